import { badInput, VaultError } from './errors.js';
import type { EventOf, Sealed, Unsealed } from './events.js';
import type { RightsState, SubjectState, TransmissionState } from './state.js';

/**
 * Direct transmissions of the portability export to another controller (Art. 20(2)) as part of the
 * subject's record: each attempt is an event in the subject's stream, so the subject (its access
 * report) and the DPO see who asked, to whom, when, what was sent (its digest) and how it ended.
 * Nothing here is personal data: ids, a register name, an actor, a digest, an HTTP status.
 */

export type { TransmissionState } from './state.js';

/** One attempt as the rights layer reports it, the event's own fields; `requestedBy` is the actor of the call. */
export type TransmissionAttemptInput = { type: 'RecordTransmissionAttempt' } & EventOf<
  'ExportTransmissionAttempted',
  Unsealed
>['data'];

/** A transmission asked for, as the rights layer records it before the first attempt. */
export type TransmissionRequestInput = { type: 'RequestTransmission' } & EventOf<
  'ExportTransmissionRequested',
  Unsealed
>['data'];

const ID = /^[A-Za-z0-9-]{8,64}$/;
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const ACTOR = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/;

/** An own entry of a map keyed by ids a caller gives (any string, `constructor` included), if any. */
const own = <T>(map: Record<string, T> | undefined, key: string): T | undefined =>
  map && Object.hasOwn(map, key) ? map[key] : undefined;

/** The transmission with this id, if any. */
export const transmissionOf = (state: SubjectState, transmissionId: string): TransmissionState | undefined =>
  own(state.rights?.transmissions, transmissionId);

function checkNames(c: TransmissionRequestInput | TransmissionAttemptInput): void {
  if (!ID.test(c.transmissionId)) throw badInput('A transmission id is 8 to 64 letters, digits or -', 'transmissionId');
  if (!NAME.test(c.receiver)) throw badInput('A receiver is a name from the register', 'receiver');
  if (!ACTOR.test(c.requestedBy)) throw badInput('requestedBy is an actor code', 'requestedBy');
}

function checkShape(c: TransmissionAttemptInput): void {
  checkNames(c);
  if (!Number.isInteger(c.attempt) || c.attempt < 1) throw badInput('attempt counts from 1', 'attempt');
  if (!SHA256.test(c.sha256)) throw badInput('sha256 is 64 hex digits', 'sha256');
  if (!Number.isInteger(c.bytes) || c.bytes < 0) throw badInput('bytes is a whole number, 0 or more', 'bytes');
  if (c.status !== null && (!Number.isInteger(c.status) || c.status < 100 || c.status > 599))
    throw badInput('status is an HTTP status or null', 'status');
  if (c.delivered && !c.final) throw badInput('A delivered attempt is the final one', 'final');
}

/**
 * Records a transmission asked for, before its first attempt: it is `retrying` with no attempt until one is recorded.
 * An id already used is a CONFLICT, nothing recorded.
 */
export function requestTransmission(
  state: SubjectState,
  command: TransmissionRequestInput,
): EventOf<'ExportTransmissionRequested', Unsealed>[] {
  checkNames(command);
  if (transmissionOf(state, command.transmissionId)) {
    const details = { transmissionId: command.transmissionId };
    throw new VaultError('CONFLICT', 'This transmission was asked for already', { path: 'transmissionId', details });
  }
  const { transmissionId, receiver, requestedBy } = command;
  return [{ type: 'ExportTransmissionRequested', data: { transmissionId, receiver, requestedBy } }];
}

/**
 * Records one attempt. Attempts come in order (the first follows the request, or opens a transmission recorded
 * before requests were; each next one follows the last recorded), and none after the final one: otherwise CONFLICT,
 * nothing recorded.
 */
export function recordTransmissionAttempt(
  state: SubjectState,
  command: TransmissionAttemptInput,
): EventOf<'ExportTransmissionAttempted', Unsealed>[] {
  checkShape(command);
  const t = transmissionOf(state, command.transmissionId);
  const expected = t ? t.attempts.length + 1 : 1;
  if ((t && t.outcome !== 'retrying') || command.attempt !== expected || (t && t.receiver !== command.receiver)) {
    const details = { transmissionId: command.transmissionId, attempt: command.attempt };
    throw new VaultError('CONFLICT', 'Not the next attempt of this transmission', { path: 'attempt', details });
  }
  const { type: _type, ...data } = command;
  return [{ type: 'ExportTransmissionAttempted', data }];
}

/** Applies ExportTransmissionRequested: the transmission, with no attempt yet. */
export function transmissionRequested(
  r: RightsState,
  e: EventOf<'ExportTransmissionRequested', Sealed> & { at: string },
): void {
  const { transmissionId, receiver, requestedBy } = e.data;
  (r.transmissions ??= {})[transmissionId] = {
    transmissionId,
    receiver,
    requestedBy,
    requestedAt: e.at,
    outcome: 'retrying',
    attempts: [],
  };
}

/** Applies ExportTransmissionAttempted. */
export function transmissionAttempted(
  r: RightsState,
  e: EventOf<'ExportTransmissionAttempted', Sealed> & { at: string },
): void {
  const d = e.data;
  const all = (r.transmissions ??= {});
  const t = (all[d.transmissionId] ??= {
    transmissionId: d.transmissionId,
    receiver: d.receiver,
    requestedBy: d.requestedBy,
    requestedAt: e.at,
    outcome: 'retrying',
    attempts: [],
  });
  t.attempts.push({ at: e.at, status: d.status, sha256: d.sha256, bytes: d.bytes });
  t.outcome = d.delivered ? 'delivered' : d.final ? 'failed' : 'retrying';
}
