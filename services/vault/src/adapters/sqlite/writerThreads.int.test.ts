import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { isVaultError } from '../../domain/errors.js';
import { initialState } from '../../domain/state.js';
import { ANY, type RecordedEvent } from '../../ports/EventLog.js';
import { emptyBatch, type ViewBatch } from '../../ports/ViewStore.js';
import { getSqliteEventLog, getSqliteKeyStore, getSqliteViewStore } from './index.js';
import { startWriterThread } from './writers/thread.js';

const event = (i: number) => ({
  id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
  type: 'Noted',
  data: { i },
  metadata: { actor: 'test', at: '2024-01-01T00:00:00.000Z' },
});

/**
 * How many turns the event loop makes while `start()`'s work runs. Counting starts after the call,
 * so work done on this thread before it returns gets no turns at all.
 */
async function turnsDuring<T>(start: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    turns += 1;
    setImmediate(spin);
  };
  const work = start().finally(() => (done = true));
  setImmediate(spin);
  return { result: await work, turns };
}

/** 20,000 keys of one category each. */
const manyKeys = () =>
  Array.from({ length: 20_000 }, (_, i) => ({
    keyId: `s-${i}/contact/1`,
    subjectId: `s-${i}`,
    category: 'contact',
    wrapped: new Uint8Array(72).fill(7),
    kekVersion: 1,
    createdAt: '2024-01-01T00:00:00.000Z',
  }));

describe('SQLite writer threads', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pdv-writer-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('commits every append accepted before close(), then refuses new ones', async () => {
    const path = join(dir, 'events.db');
    const log = getSqliteEventLog({ path });
    const pending = Array.from({ length: 200 }, (_, i) => log.append(`stream-${i % 7}`, [event(i)], ANY));
    const closing = log.close();
    const results = await Promise.all(pending);
    await closing;
    expect(new Set(results.map((r) => r.position)).size).toBe(200);
    expect(isVaultError(await log.append('s', [event(999)], ANY).catch((e: unknown) => e), 'STORE_UNAVAILABLE')).toBe(
      true,
    );

    const reopened = getSqliteEventLog({ path });
    expect(await reopened.headPosition()).toBe(200);
    expect(
      (await reopened.readAll({ maxCount: 500 })).map((e) => (e.data as { i: number }).i).sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 200 }, (_, i) => i));
    await reopened.close();
  });

  it(
    "creates the keys accepted before close() on the key store's writer thread, answers races with one winner, " +
      'then refuses new ones',
    async () => {
      const path = join(dir, 'keys.db');
      const keys = getSqliteKeyStore({ path });
      const key = (i: number, byte: number) => ({
        keyId: `s-${i}/contact/1`,
        subjectId: `s-${i}`,
        category: 'contact',
        wrapped: new Uint8Array(72).fill(byte),
        kekVersion: 1,
        createdAt: '2024-01-01T00:00:00.000Z',
      });
      // Two writers race for every id: each gets the one key that was stored.
      const first = Array.from({ length: 100 }, (_, i) => keys.createIfAbsent([key(i, 1)]));
      const second = Array.from({ length: 100 }, (_, i) => keys.createIfAbsent([key(i, 2)]));
      const closing = keys.close();
      const [a, b] = await Promise.all([Promise.all(first), Promise.all(second)]);
      await closing;
      for (let i = 0; i < 100; i++) {
        const won = a[i]!.get(`s-${i}/contact/1`)!;
        expect(b[i]!.get(`s-${i}/contact/1`)!.wrapped).toEqual(won.wrapped);
        expect(won.wrapped[0]).toBe(1);
      }
      expect(isVaultError(await keys.createIfAbsent([key(999, 1)]).catch((e: unknown) => e), 'STORE_UNAVAILABLE')).toBe(
        true,
      );

      const reopened = getSqliteKeyStore({ path });
      expect((await reopened.getByIds(Array.from({ length: 100 }, (_, i) => `s-${i}/contact/1`))).size).toBe(100);
      // A shredded id is never created again, by the writer thread either.
      await reopened.shred(['s-0/contact/1'], 'erasure', '2024-02-01T00:00:00.000Z');
      expect((await reopened.createIfAbsent([key(0, 3)])).size).toBe(0);
      await reopened.close();
    },
  );

  it('creates keys without holding the event loop: it turns while the commit runs and waits for the disk', async () => {
    const keys = getSqliteKeyStore({ path: join(dir, 'keys.db') });
    // A commit on this thread would have finished before the first turn.
    const { result, turns } = await turnsDuring(() => keys.createIfAbsent(manyKeys()));
    expect(result.size).toBe(20_000);
    expect(turns).toBeGreaterThan(10);
    await keys.close();
  });

  it('shreds keys on the writer thread without holding the event loop, and never creates one again', async () => {
    const keys = getSqliteKeyStore({ path: join(dir, 'shred-keys.db') });
    const many = manyKeys();
    await keys.createIfAbsent(many);
    const ids = many.map((k) => k.keyId);
    const { result: shredded, turns } = await turnsDuring(() => keys.shred(ids, 'erasure', '2024-02-01T00:00:00.000Z'));
    expect(shredded.sort()).toEqual([...ids].sort());
    // Deleting 20,000 rows, their tombstones, the fsync and the WAL's truncation ran on the writer thread.
    expect(turns).toBeGreaterThan(10);
    expect((await keys.getByIds(ids.slice(0, 100))).size).toBe(0);
    expect(await keys.listTombstones({ keyIds: ids.slice(0, 3) })).toEqual(
      ids.slice(0, 3).map((keyId, i) => expect.objectContaining({ keyId, subjectId: `s-${i}`, reason: 'erasure' })),
    );
    expect(await keys.shred(ids.slice(0, 10), 'erasure', '2024-03-01T00:00:00.000Z')).toEqual([]);
    expect((await keys.createIfAbsent(many.slice(0, 1))).size).toBe(0);
    await keys.close();
    await expect(keys.shred(ids.slice(0, 1), 'erasure', '2024-03-01T00:00:00.000Z')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
  });

  it("commits a catch-up's projection batch on the views' writer thread, a live write's few on this one", async () => {
    const views = getSqliteViewStore({ path: join(dir, 'views.db') });
    const batch = (n: number, from: number): ViewBatch => ({
      ...emptyBatch(),
      subjects: Array.from({ length: n }, (_, i) => {
        const subjectId = `s-${from + i}`;
        return { subjectId, position: from + i + 1, state: initialState(subjectId) };
      }),
    });
    const big = await turnsDuring(() => views.apply('subjects', batch(2_000, 0), 2_000, 0));
    expect(big).toEqual({ result: true, turns: expect.any(Number) as number });
    expect(big.turns).toBeGreaterThan(0);
    const small = await turnsDuring(() => views.apply('subjects', batch(3, 2_000), 2_003, 2_000));
    expect(small).toEqual({ result: true, turns: 0 });
    // In order, each with its checkpoint: a batch computed from a stale one changes nothing.
    expect(await views.apply('subjects', batch(100, 5_000), 5_100, 2_000)).toBe(false);
    expect(await views.checkpoint('subjects')).toBe(2_003);
    expect([...(await views.getSubjects(['s-0', 's-1999', 's-2002', 's-5000'])).keys()].sort()).toEqual([
      's-0',
      's-1999',
      's-2002',
    ]);
    await views.close();
  });

  it('fails every write with STORE_UNAVAILABLE, instead of hanging, when its writer thread cannot start', async () => {
    const writer = startWriterThread<unknown[], null>('accessLog', {
      path: join(dir, 'missing', 'access.db'),
      maxPerCommit: 10,
    });
    const first = await writer.write([]).catch((e: unknown) => e);
    expect(isVaultError(first, 'STORE_UNAVAILABLE')).toBe(true);
    expect(isVaultError(writer.failure, 'STORE_UNAVAILABLE')).toBe(true);
    expect(isVaultError(await writer.write([]).catch((e: unknown) => e), 'STORE_UNAVAILABLE')).toBe(true);
    await writer.close();
  });

  it('fails later writes with STORE_UNAVAILABLE, and reports it, when a running writer thread dies', async () => {
    const writer = startWriterThread<unknown, null>('eventLog', { path: join(dir, 'events.db'), maxPerCommit: 10 });
    expect(writer.failure).toBeUndefined();
    // Not a list of appends: the thread throws outside any transaction and stops.
    const fatal = await writer.write(null).catch((e: unknown) => e);
    expect(isVaultError(fatal, 'STORE_UNAVAILABLE')).toBe(true);
    expect(isVaultError(writer.failure, 'STORE_UNAVAILABLE')).toBe(true);
    expect(isVaultError(await writer.write([]).catch((e: unknown) => e), 'STORE_UNAVAILABLE')).toBe(true);
    await writer.close();
  });

  it('reports no failure while its writer thread runs, and the closed state once closed', async () => {
    const log = getSqliteEventLog({ path: join(dir, 'events.db') });
    await log.append('s', [event(1)], ANY);
    expect(log.failure).toBeUndefined();
    await log.close();
    expect(isVaultError(log.failure, 'STORE_UNAVAILABLE')).toBe(true);
  });

  it(
    "delivers a subscription every event in position order, its own process's from memory and another's " +
      'from the file between them',
    async () => {
      const path = join(dir, 'events.db');
      const here = getSqliteEventLog({ path, pollIntervalMs: 50 });
      const elsewhere = getSqliteEventLog({ path, pollIntervalMs: 50 }); // another process on the same file
      const seen: RecordedEvent[] = [];
      const sub = here.subscribe({ onEvents: (page) => void seen.push(...page) });
      const positions: number[] = [];
      for (let i = 0; i < 30; i++) {
        // Runs of local appends with another process's appends between them, some concurrent.
        const log = i % 3 === 2 ? elsewhere : here;
        positions.push((await log.append(`stream-${i % 4}`, [event(2 * i), event(2 * i + 1)], ANY)).position);
        if (i % 5 === 4)
          positions.push(
            ...(
              await Promise.all([here.append('x', [event(100 + i)], ANY), elsewhere.append('y', [event(200 + i)], ANY)])
            ).map((r) => r.position),
          );
      }
      const head = Math.max(...positions);
      await sub.waitFor(head, 5_000);
      expect(seen.map((e) => e.position)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      // The same events, ids, data and revisions as the file holds.
      expect(seen).toEqual(await here.readAll({ maxCount: 1000 }));
      await sub.stop();
      await Promise.all([here.close(), elsewhere.close()]);
    },
  );

  it("finds another process's events by polling while its own appends keep waking it and store nothing", async () => {
    const path = join(dir, 'events.db');
    const here = getSqliteEventLog({ path, pollIntervalMs: 100 });
    const elsewhere = getSqliteEventLog({ path, pollIntervalMs: 100 });
    const sub = here.subscribe({ onEvents: () => undefined });
    await here.append('s', [event(1)], ANY);
    // Bounds far above the 100 ms poll (a loaded CI machine syncs slowly), yet well inside the 20 ms retry loop's
    // reach: a subscription whose wakes kept postponing its poll would never find the other process's event.
    await sub.waitFor(1, 5_000);
    await elsewhere.append('t', [event(2)], ANY);
    let retrying = true;
    const retries = (async () => {
      // A retry of an append already stored: answered, stores nothing, wakes the subscription.
      while (retrying) {
        await here.append('s', [event(1)], ANY);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await sub.waitFor(2, 5_000);
    } finally {
      retrying = false;
      await retries;
    }
    expect(sub.position).toBe(2);
    await sub.stop();
    await Promise.all([here.close(), elsewhere.close()]);
  });

  it('delivers everything in order to a subscription further behind than the commits kept in memory', async () => {
    const log = getSqliteEventLog({ path: join(dir, 'events.db') });
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const seen: number[] = [];
    const sub = log.subscribe({
      onEvents: async (page) => {
        seen.push(...page.map((e) => e.position));
        await held; // stuck on its first page while 2,500 more events are committed
      },
    });
    await log.append('first', [event(0)], ANY);
    for (let g = 0; g < 25; g++)
      await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(`s-${i}`, [event(1 + g * 100 + i)], ANY)));
    release();
    await sub.waitFor(2501, 10_000);
    expect(seen).toEqual(Array.from({ length: 2501 }, (_, i) => i + 1));
    await sub.stop();
    await log.close();
  });

  it('refuses an in-memory database, which its writer thread could not share', () => {
    expect(() => getSqliteEventLog({ path: ':memory:' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('does not keep a process alive once its appends are committed, even if never closed', async () => {
    const source = fileURLToPath(new URL('./index.ts', import.meta.url));
    const script = `
      const { getSqliteEventLog } = await import(${JSON.stringify(source)});
      const log = getSqliteEventLog({ path: ${JSON.stringify(join(dir, 'events.db'))} });
      const r = await log.append('s', [${JSON.stringify(event(1))}], 'any');
      process.stdout.write(JSON.stringify(r));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { timeout: 20_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual({ nextRevision: 0, position: 1 });
  });
});
