import type { Worker } from 'node:worker_threads';

import { VaultError } from '../../../domain/errors.js';
import { startWorker } from '../../../support/startWorker.js';
import { closedError, type SqliteOptions } from '../openDatabase.js';
import { fromWire, type WriterMessage, type WriterReply } from './wire.js';

/** The main-thread end of a writer thread: each `write` is answered once its transaction is durable. */
export interface WriterThread<P, R> {
  write(payload: P): Promise<R>;
  /** Set once the thread failed or stopped; every later write fails with it. */
  readonly failure: VaultError | undefined;
  /** Writes sent to the thread and not answered yet. */
  readonly pending: number;
  /** Waits for the writes in flight, then closes the thread's connection and ends it. */
  close(): Promise<void>;
  /** Tells the thread's connection to checkpoint on commit again (its checkpointer stopped). */
  autoCheckpoint(): void;
}

/**
 * Starts `writers/<name>.worker` with `workerData`. better-sqlite3 is synchronous: a commit with
 * `synchronous=FULL` holds its thread until the disk has it. In a writer thread, that is not the
 * event loop serving requests. The thread keeps the process alive only while writes are in flight.
 */
const spawn = (name: 'eventLog' | 'accessLog' | 'keyStore' | 'views' | 'checkpoint', workerData: unknown): Worker =>
  startWorker(import.meta.url, name, workerData);

export interface CheckpointerOptions extends SqliteOptions {
  /** How often to checkpoint, in ms. */
  intervalMs: number;
}

/**
 * Starts `writers/checkpoint.worker` on a database; it never keeps the process alive. Should it
 * stop on its own (it failed), `onStop` runs, so that the owner can checkpoint again itself.
 */
export function startCheckpointer(options: CheckpointerOptions, onStop: () => void): { close(): Promise<void> } {
  const worker = spawn('checkpoint', options);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let closing = false;
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    if (!closing) onStop();
  };
  worker.on('error', stop);
  worker.once('exit', stop);
  return {
    async close() {
      closing = true;
      if (!stopped) {
        worker.ref();
        worker.postMessage({ type: 'close' });
      }
      await exited;
    },
  };
}

export function startWriterThread<P, R>(
  name: 'eventLog' | 'accessLog' | 'keyStore' | 'views',
  workerData: unknown,
): WriterThread<P, R> {
  const worker = spawn(name, workerData);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const pending = new Map<number, { resolve: (r: R) => void; reject: (e: unknown) => void }>();
  let seq = 0;
  let failure: VaultError | undefined;
  let drained: (() => void) | undefined;

  const settled = (): void => {
    if (pending.size > 0) return;
    worker.unref();
    drained?.();
  };
  const failAll = (error: VaultError): void => {
    failure ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    settled();
  };
  worker.on('error', () => failAll(new VaultError('STORE_UNAVAILABLE', `The SQLite ${name} writer thread failed`)));
  worker.on('exit', () => failAll(closedError()));
  worker.on('message', (reply: WriterReply<R>) => {
    const p = pending.get(reply.seq);
    if (!p) return;
    pending.delete(reply.seq);
    if ('failed' in reply) p.reject(fromWire(reply.failed));
    else p.resolve(reply.result);
    settled();
  });

  return {
    get failure() {
      return failure;
    },
    get pending() {
      return pending.size;
    },
    write(payload) {
      if (failure) return Promise.reject(failure);
      return new Promise<R>((resolve, reject) => {
        if (pending.size === 0) worker.ref();
        pending.set(++seq, { resolve, reject });
        worker.postMessage({ type: 'write', seq, payload } satisfies WriterMessage<P>);
      });
    },
    autoCheckpoint() {
      if (!failure) worker.postMessage({ type: 'autoCheckpoint' } satisfies WriterMessage<P>);
    },
    async close() {
      if (pending.size > 0) await new Promise<void>((resolve) => (drained = resolve));
      if (!failure) {
        // Kept alive until it has closed its connection: close() resolves only after that.
        worker.ref();
        worker.postMessage({ type: 'close' } satisfies WriterMessage<P>);
      }
      await exited;
    },
  };
}
