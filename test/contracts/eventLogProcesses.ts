import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { EventLog, NewEvent, RecordedEvent, Subscription } from '@pdv/vault';
import { expect } from 'vitest';

const APPENDER = fileURLToPath(new URL('../support/eventLogAppender.ts', import.meta.url));

/** What one writer process acknowledged: every event id, and each append's last id with its position. */
export interface WriterOutcome {
  ids: string[];
  acks: { id: string; position: number }[];
}

/**
 * Starts a writer process (`test/support/eventLogAppender.ts`) on the log `logEnv` names, with
 * `appends` appends six at a time over 40 streams; resolves once it exits, rejects if it fails or
 * takes more than a minute (then it is killed).
 */
export function runWriterProcess(logEnv: Record<string, string>, writer: string, appends: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', APPENDER], {
    env: { ...process.env, ...logEnv, WRITER: writer, APPENDS: String(appends), CONCURRENCY: '6', STREAMS: '40' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise<WriterOutcome>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as WriterOutcome);
      else reject(new Error(`writer ${writer} exited with ${code ?? signal}: ${err}`));
    });
  });
}

/** A subscription that records what it is handed. */
export function follow(log: EventLog, after = 0): { seen: RecordedEvent[]; sub: Subscription } {
  const seen: RecordedEvent[] = [];
  const sub = log.subscribe({ after, batchSize: 50, onEvents: (batch) => void seen.push(...batch) });
  return { seen, sub };
}

/** Waits until `check` holds, looking every 10 ms; throws after `timeoutMs`. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An append left uncommitted: its events have positions, but no reader may see them yet. */
export interface HeldAppend {
  /** Position of the append's first event. */
  firstPosition: number;
  commit(): Promise<void>;
}

/** Opens an append whose transaction stays open until `commit`. */
export type HoldAppend = (streamId: string, events: NewEvent[]) => Promise<HeldAppend>;

/** Every event of the log, page by page. */
async function readWholeLog(log: EventLog): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await log.readAll({ after: all.at(-1)?.position ?? 0, maxCount: 1000 });
    all.push(...page);
    if (page.length < 1000) return all;
  }
}

const testEvent = (id: string): NewEvent => ({
  id,
  type: 'OrderTested',
  data: { id },
  metadata: { actor: 'contract-test', at: '2024-01-01T00:00:00.000Z' },
});

/**
 * Once the writers are under way: an append held open, and one of this process committed after
 * it under a higher position. Checks that `live` stops short of the held one and that the log
 * does not show what follows it, then commits it. Returns the ids these two appends stored.
 */
async function holdWhileOthersCommit(log: EventLog, live: { sub: Subscription }, hold: HoldAppend): Promise<string[]> {
  await until(async () => (await log.headPosition()) >= 100);
  const heldIds = ['held-0', 'held-1', 'held-2'];
  const held = await hold('held-stream', heldIds.map(testEvent));
  const after = await log.append('after-held', [testEvent('after-held-0')], 'no_stream');
  expect(after.position).toBeGreaterThan(held.firstPosition);
  // Long enough for a live subscription to have been woken by the later commits and read.
  await new Promise((r) => setTimeout(r, 500));
  expect(live.sub.position).toBeLessThan(held.firstPosition);
  expect(await log.readAll({ after: held.firstPosition - 1 })).toEqual([]);
  await held.commit();
  return [...heldIds, 'after-held-0'];
}

/**
 * Two writer processes append at once while this process follows the log with a live
 * subscription and with one that stops part of the way and resumes from its checkpoint, as a
 * restarted projection would. Every acknowledged event must be in the log at the position its
 * append returned, and each follower must have seen the log exactly as it stands: every event
 * once, in position order. With `hold`, an append also commits late under a lower position.
 */
export async function expectEveryEventOnceInOrder(
  log: EventLog,
  logEnv: Record<string, string>,
  hold?: HoldAppend,
): Promise<void> {
  const live = follow(log);
  const early = follow(log);
  let restarted: ReturnType<typeof follow> | undefined;
  try {
    const writers = Promise.all([runWriterProcess(logEnv, 'w1', 500), runWriterProcess(logEnv, 'w2', 500)]);
    const extraIds = hold ? await holdWhileOthersCommit(log, live, hold) : [];
    await until(() => early.seen.length > 0);
    await early.sub.stop();
    restarted = follow(log, early.sub.position);

    const outcomes = await writers;
    const head = await log.headPosition();
    await live.sub.waitFor(head, 30_000);
    await restarted.sub.waitFor(head, 30_000);

    const all = await readWholeLog(log);
    const acknowledged = [...outcomes.flatMap((o) => o.ids), ...extraIds];
    expect(all).toHaveLength(acknowledged.length);
    expect(new Set(all.map((e) => e.id))).toEqual(new Set(acknowledged));
    const byId = new Map(all.map((e) => [e.id, e.position]));
    for (const a of outcomes.flatMap((o) => o.acks)) expect(byId.get(a.id)).toBe(a.position);

    const ids = all.map((e) => e.id);
    expect(live.seen.map((e) => e.id)).toEqual(ids);
    expect([...early.seen, ...restarted.seen].map((e) => e.id)).toEqual(ids);
    for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);
  } finally {
    await Promise.all([live.sub.stop(), early.sub.stop(), restarted?.sub.stop()]);
  }
}
