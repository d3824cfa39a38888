import type { KeyRing } from '../crypto/keyRing.js';
import { isConflictError, VaultError } from '../domain/errors.js';
import { streamOf } from '../domain/events.js';
import type { ProcessingRegister } from '../domain/register.js';
import { type EventLog, type NewEvent, NO_STREAM } from '../ports/EventLog.js';
import { IMPORT_ACTOR, type ImportPlan } from './importPlan.js';
import { type ImportPlanner, inlinePlanner, rejection, threadPlanner } from './importPlanner.js';
import { keyIdsWritten, sealEvents } from './sealDecision.js';
import { IMPORT_ID_SECRET } from './subjectIdFor.js';

export { IMPORT_ID_SECRET, subjectIdFor } from './subjectIdFor.js';

/**
 * Bulk import (`vault import`): one new subject per line, each decided by the domain's own
 * deciders (importPlan.ts), sealed, and appended whole in ONE append that expects no stream, so a
 * crash never leaves half a subject and a subject already there is never written twice. Lines go
 * in batches: a batch's new keys are created in one key-store call, and its appends are queued
 * together, so the event log's group commit writes them in one transaction; several batches are in
 * flight at once, so one's keys commit while another's events do.
 */

export interface ImportDeps {
  log: EventLog;
  keyRing: KeyRing;
  register: ProcessingRegister;
  now: () => string;
}

export interface ImportOptions {
  /**
   * Lines in flight at once. Default 256: a batch waits for two commits in turn (its new keys, then its events), so
   * several batches in flight keep one's keys committing while another's events do.
   */
  concurrency?: number;
  /**
   * Lines decided and written together: one existence check each, one key-store call and one group of appends for
   * the batch. Default 64, at most `concurrency`.
   */
  batchSize?: number;
  /**
   * Threads that decide the lines with the domain's deciders, beside the main thread that seals, writes and
   * projects. Default 1; 0 decides them on the calling thread.
   */
  planThreads?: number;
  /** Called for each refused line, with its 1-based number, code and path within the line (never a value). */
  onReject?: (reject: ImportReject) => void;
  /** Called after each line with the counts so far and the bytes of input read. */
  onProgress?: (counts: ImportCounts) => void;
}

export interface ImportReject {
  line: number;
  code: string;
  path: string;
}

export interface ImportCounts {
  /** Lines read (blank lines are not counted). */
  lines: number;
  imported: number;
  /** Lines whose subject was in the log already (an earlier or interrupted run, or a repeated external id). */
  existing: number;
  rejected: number;
  /** Fields of the imported lines. */
  fields: number;
  /** Bytes of input read (UTF-8, a newline a line), for progress against a file's size. */
  bytes: number;
}

/**
 * A line as the reader hands it over: its text, or only its length in bytes when it was longer
 * than the reader holds (refused as LINE_TOO_LONG, its bytes never read into memory).
 */
export type ImportLine = string | { readonly oversizedBytes: number };

/** Imports every line of `lines`; resolves with the counts once every append is done. */
export async function importSubjects(
  deps: ImportDeps,
  lines: AsyncIterable<ImportLine>,
  options: ImportOptions = {},
): Promise<ImportCounts> {
  // Taken before the first await: a readline interface emits lines as soon as its input flows, and
  // lines emitted before anyone iterates are lost (the iterator buffers only from its creation).
  const iterator = lines[Symbol.asyncIterator]();
  const secret = await deps.keyRing.secret(IMPORT_ID_SECRET, 32);
  const threads = Math.max(0, Math.floor(options.planThreads ?? 1));
  const planner = threads > 0 ? threadPlanner(deps.register, secret, threads) : inlinePlanner(deps.register, secret);
  try {
    return await runBatches(deps, planner, { [Symbol.asyncIterator]: () => iterator }, options);
  } finally {
    await planner.close();
  }
}

/**
 * Reads the lines into batches and keeps up to `concurrency` lines' worth of batches in flight,
 * counting each line's outcome as its batch settles.
 */
async function runBatches(
  deps: ImportDeps,
  planner: ImportPlanner,
  lines: AsyncIterable<ImportLine>,
  options: ImportOptions,
): Promise<ImportCounts> {
  const counts: ImportCounts = { lines: 0, imported: 0, existing: 0, rejected: 0, fields: 0, bytes: 0 };
  const limit = Math.max(1, options.concurrency ?? 256);
  const batchSize = Math.max(1, Math.min(limit, options.batchSize ?? 64));
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const count = (number: number, outcome: Outcome) => {
    if (outcome.kind === 'rejected') {
      counts.rejected += 1;
      options.onReject?.({ line: number, code: outcome.error.code, path: outcome.error.path ?? '' });
    } else if (outcome.kind === 'existing') counts.existing += 1;
    else {
      counts.imported += 1;
      counts.fields += outcome.fields;
    }
    options.onProgress?.(counts);
  };
  let batch: NumberedLine[] = [];
  const launch = () => {
    const taken = batch;
    batch = [];
    const p: Promise<void> = importBatch(deps, planner, taken).then(
      (outcomes) => {
        inFlight.delete(p);
        outcomes.forEach((o, i) => count(taken[i]!.number, o));
      },
      (e: unknown) => {
        inFlight.delete(p);
        failure ??= e;
      },
    );
    inFlight.add(p);
  };
  let number = 0;
  for await (const text of lines) {
    number += 1;
    if (typeof text !== 'string') {
      counts.bytes += text.oversizedBytes + 1;
      counts.lines += 1;
      count(number, { kind: 'rejected', error: tooLong(text.oversizedBytes) });
      continue;
    }
    counts.bytes += Buffer.byteLength(text) + 1;
    if (text.trim() === '') continue;
    counts.lines += 1;
    batch.push({ text, number });
    if (batch.length < batchSize) continue;
    launch();
    while (inFlight.size * batchSize >= limit && !failure) await Promise.race(inFlight);
    // A store that fails is not a bad line: the run stops, and a re-run resumes where it stood.
    if (failure) break;
  }
  if (batch.length > 0 && !failure) launch();
  await Promise.all(inFlight);
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what an append or a key store threw
  if (failure) throw failure;
  return counts;
}

const tooLong = (bytes: number) =>
  new VaultError('LINE_TOO_LONG', `The line has ${bytes} bytes, more than the import reads (--max-line-bytes)`, {
    path: '',
  });

interface NumberedLine {
  text: string;
  /** 1-based, in the input. */
  number: number;
}

type Outcome = { kind: 'imported'; fields: number } | { kind: 'existing' } | { kind: 'rejected'; error: VaultError };

/**
 * One batch of lines, each decided on its own and the batch written together: the new subjects'
 * keys in one key-store call (one commit), then every subject's events as one append of its own,
 * all queued at once so the log commits them in one group. The outcome of each line, in order.
 */
async function importBatch(
  deps: ImportDeps,
  planner: ImportPlanner,
  lines: readonly NumberedLine[],
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const planned: { index: number; plan: ImportPlan }[] = [];
  const plans = await planner.plan(
    lines.map((l) => l.text),
    deps.now(),
  );
  plans.forEach((plan, index) => {
    if ('rejected' in plan) outcomes[index] = { kind: 'rejected', error: rejection(plan.rejected) };
    else planned.push({ index, plan });
  });
  // Checked before sealing: no key is made for a subject that is there already (erased ones included).
  const found = await Promise.all(
    planned.map(({ plan }) => deps.log.readStream(streamOf(plan.subjectId), { maxCount: 1 })),
  );
  const fresh = planned.filter(({ index }, i) => {
    if (found[i]!.length === 0) return true;
    outcomes[index] = { kind: 'existing' };
    return false;
  });
  const keys = await deps.keyRing.ensure(
    fresh.flatMap(({ plan }) => plan.steps.flatMap((s) => keyIdsWritten(plan.subjectId, s.events))),
  );
  let sealed: NewEvent[][];
  try {
    sealed = fresh.map(({ plan }) =>
      plan.steps.flatMap((s) => sealEvents(plan.subjectId, s.events, keys, { actor: IMPORT_ACTOR, at: s.at })),
    );
  } finally {
    for (const key of keys.values()) key.fill(0);
  }
  await Promise.all(
    fresh.map(async ({ index, plan }, i) => {
      try {
        await deps.log.append(streamOf(plan.subjectId), sealed[i]!, NO_STREAM);
        outcomes[index] = { kind: 'imported', fields: plan.fields };
      } catch (e) {
        // The same external id on another line in flight, or another import run, got there first.
        if (!isConflictError(e)) throw e;
        outcomes[index] = { kind: 'existing' };
      }
    }),
  );
  return outcomes;
}
