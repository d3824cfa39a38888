import { type ErrorCode, ErrorCodes, isVaultError, VaultError } from '../../../domain/errors.js';
import { toVaultError } from '../openDatabase.js';

/** An error as it crosses back from a writer thread: the vault's code survives, nothing else is trusted. */
export interface WireError {
  code?: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export function toWire(e: unknown): WireError {
  const v = toVaultError(e);
  if (isVaultError(v)) return { code: v.code, message: v.message, ...(v.details ? { details: v.details } : {}) };
  // Not ours: its message is not passed on (it could quote data); the API masks it as internal.
  return { message: 'SQLite write failed' };
}

export function fromWire(w: WireError): Error {
  return w.code && w.code in ErrorCodes
    ? new VaultError(w.code, w.message, w.details ? { details: w.details } : {})
    : new Error(w.message);
}

/** What the thread that owns a store sends its writer thread, and what comes back. */
export type WriterMessage<P> =
  | { type: 'write'; seq: number; payload: P }
  /** The checkpointer stopped: checkpoint on commit again, as SQLite does by default. */
  | { type: 'autoCheckpoint' }
  | { type: 'close' };
export type WriterReply<R> = { seq: number; result: R } | { seq: number; failed: WireError };
