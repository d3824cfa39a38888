import { createHmac } from 'node:crypto';

import type { KeyRing } from '../crypto/keyRing.js';
import { isConflictError, isVaultError, VaultError } from '../domain/errors.js';
import { streamOf } from '../domain/events.js';
import type { ProcessingRegister } from '../domain/register.js';
import { type EventLog, type NewEvent, NO_STREAM } from '../ports/EventLog.js';
import { IMPORT_ACTOR, type ImportPlan, planImport } from './importPlan.js';
import { sealDecision } from './sealDecision.js';

/**
 * Bulk import (`vault import`): one new subject per line, each decided by the domain's own
 * deciders (importPlan.ts), sealed, and appended whole in ONE append that expects no stream, so a
 * crash never leaves half a subject and a subject already there is never written twice. Many
 * lines are in flight at once, so the event log's group commit writes them in large batches.
 */

export interface ImportDeps {
  log: EventLog;
  keyRing: KeyRing;
  register: ProcessingRegister;
  now: () => string;
}

export interface ImportOptions {
  /**
   * Lines decided, sealed and appended at once. Default 256: each waits for two commits (its new keys, then its
   * events), so it takes many in flight to keep the group commits large.
   */
  concurrency?: number;
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

/** The key-store secret subject ids are derived from: they tell nothing of the external ids without it. */
export const IMPORT_ID_SECRET = 'import-subject-ids';

/**
 * The subject id an external id maps to: a UUID (version 8, RFC 9562) made of HMAC-SHA-256 of the
 * external id under a vault secret. The same on every run against the same vault, so a re-run
 * finds the subject; not reversible nor guessable without the secret.
 */
export function subjectIdFor(secret: Uint8Array, externalId: string): string {
  const h = createHmac('sha256', secret).update('pdv/import/v1\0').update(externalId, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

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
  const counts: ImportCounts = { lines: 0, imported: 0, existing: 0, rejected: 0, fields: 0, bytes: 0 };
  const limit = Math.max(1, options.concurrency ?? 256);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const one = async (text: string, number: number) => {
    count(number, await importLine(deps, secret, text));
  };
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
  let number = 0;
  for await (const text of { [Symbol.asyncIterator]: () => iterator }) {
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
    const p: Promise<void> = one(text, number).then(
      () => void inFlight.delete(p),
      (e: unknown) => {
        inFlight.delete(p);
        failure ??= e;
      },
    );
    inFlight.add(p);
    if (inFlight.size >= limit) await Promise.race(inFlight);
    // A store that fails is not a bad line: the run stops, and a re-run resumes where it stood.
    if (failure) break;
  }
  await Promise.all(inFlight);
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what an append or a key store threw
  if (failure) throw failure;
  return counts;
}

const tooLong = (bytes: number) =>
  new VaultError('LINE_TOO_LONG', `The line has ${bytes} bytes, more than the import reads (--max-line-bytes)`, {
    path: '',
  });

type Outcome = { kind: 'imported'; fields: number } | { kind: 'existing' } | { kind: 'rejected'; error: VaultError };

async function importLine(deps: ImportDeps, secret: Uint8Array, text: string): Promise<Outcome> {
  let plan: ImportPlan;
  try {
    plan = planImport(text, deps.register, (id) => subjectIdFor(secret, id), deps.now());
  } catch (e) {
    if (isVaultError(e)) return { kind: 'rejected', error: e };
    throw e;
  }
  const { subjectId } = plan;
  const stream = streamOf(subjectId);
  // Checked before sealing: no key is made for a subject that is there already (erased ones included).
  if ((await deps.log.readStream(stream, { maxCount: 1 })).length > 0) return { kind: 'existing' };
  const sealed = await Promise.all(
    plan.steps.map((s) => sealDecision(subjectId, s.events, deps.keyRing, { actor: IMPORT_ACTOR, at: s.at })),
  );
  const events: NewEvent[] = sealed.flat();
  try {
    await deps.log.append(stream, events, NO_STREAM);
  } catch (e) {
    // The same external id on another line in flight, or another import run, got there first.
    if (isConflictError(e)) return { kind: 'existing' };
    throw e;
  }
  return { kind: 'imported', fields: plan.fields };
}
