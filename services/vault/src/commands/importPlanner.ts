import type { Worker } from 'node:worker_threads';

import { type ErrorCode, isVaultError, VaultError } from '../domain/errors.js';
import type { ProcessingRegister } from '../domain/register.js';
import { startWorker } from '../support/startWorker.js';
import { type ImportPlan, planImport } from './importPlan.js';
import { subjectIdFor } from './subjectIdFor.js';

/**
 * Where the lines of a bulk import are decided: on threads of their own, so that the main thread,
 * which seals, writes and projects, is not also the one running the deciders (on a machine of two
 * cores, it is the main thread that bounds the import's rate, not the disk).
 */

/** A line's plan, or why it is refused (a stable code and the path within the line, never a value). */
export type LinePlan = ImportPlan | { rejected: { code: ErrorCode; message: string; path: string } };

export interface ImportPlanner {
  /** The plans of these lines, in order, decided at `now` (the import's time: no line time may be later). */
  plan(texts: readonly string[], now: string): Promise<LinePlan[]>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/** The refusal as the error it was. */
export const rejection = (r: Extract<LinePlan, { rejected: unknown }>['rejected']): VaultError =>
  new VaultError(r.code, r.message, { path: r.path });

/** Each line planned here, a refusal kept as data; anything but a VaultError is a failure, not a bad line. */
export function planLines(
  texts: readonly string[],
  register: ProcessingRegister,
  secret: Uint8Array,
  now: string,
): LinePlan[] {
  return texts.map((text) => {
    try {
      return planImport(text, register, (id) => subjectIdFor(secret, id), now);
    } catch (e) {
      if (!isVaultError(e)) throw e;
      return { rejected: { code: e.code, message: e.message, path: e.path ?? '' } };
    }
  });
}

/** Plans on the calling thread (`threads` 0). */
export const inlinePlanner = (register: ProcessingRegister, secret: Uint8Array): ImportPlanner => ({
  plan: (texts, now) => Promise.resolve().then(() => planLines(texts, register, secret, now)),
  close: () => Promise.resolve(),
});

/** What a planner thread is given once (`workerData`), and asked and answers per batch. */
export interface PlannerSetup {
  register: ProcessingRegister;
  secret: Uint8Array;
}
export interface PlanRequest {
  seq: number;
  texts: readonly string[];
  now: string;
}
export type PlanReply = { seq: number; plans: LinePlan[] } | { seq: number; failed: string };

/**
 * Plans on `threads` worker threads (`importPlanner.worker.ts`), batches handed out in turn. A
 * thread that fails, or a batch it cannot plan, fails the batches waiting on it (the run stops, as
 * for a store that fails; a re-run resumes).
 */
export function threadPlanner(register: ProcessingRegister, secret: Uint8Array, threads: number): ImportPlanner {
  const setup: PlannerSetup = { register, secret };
  const pending = new Map<number, { resolve: (p: LinePlan[]) => void; reject: (e: unknown) => void }>();
  const workers: Worker[] = [];
  let failure: unknown;
  const failAll = (e: unknown) => {
    failure ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  for (let i = 0; i < threads; i++) {
    const worker = startWorker(import.meta.url, 'importPlanner', setup);
    worker.on('message', (reply: PlanReply) => {
      const p = pending.get(reply.seq);
      pending.delete(reply.seq);
      if (pending.size === 0) for (const w of workers) w.unref();
      // Named, not quoted: an unexpected error's message could hold a piece of a line.
      if ('failed' in reply) p?.reject(new Error(`Planning a batch of import lines failed (${reply.failed})`));
      else p?.resolve(reply.plans);
    });
    worker.on('error', (e) => failAll(e));
    worker.on('exit', () => failAll(new Error('An import planner thread stopped')));
    workers.push(worker);
  }
  let seq = 0;
  return {
    plan(texts, now) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what the thread failed with
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        seq += 1;
        const worker = workers[seq % workers.length]!;
        if (pending.size === 0) for (const w of workers) w.ref();
        pending.set(seq, { resolve, reject });
        worker.postMessage({ seq, texts, now } satisfies PlanRequest);
      });
    },
    async close() {
      await Promise.all(
        workers.map(async (w) => {
          w.removeAllListeners('exit');
          await w.terminate();
        }),
      );
    },
  };
}
