import { firstDueAt, requestDueAt } from './deadlines.js';
import { assertCode, badInput, VaultError } from './errors.js';
import {
  CHANNELS,
  type DomainEvent,
  type EventOf,
  type EventType,
  type ExportKind,
  REQUEST_TYPES,
  type RequestType,
  type Sealed,
  type Unsealed,
  VERIFICATION_METHODS,
} from './events.js';
import type { RequestState, RightsState, SubjectState } from './state.js';
import { addMonths, instantInput } from './time.js';
import { transmissionAttempted, transmissionRequested } from './transmissions.js';

/**
 * Data-subject requests (Art. 12), the duty to inform (Art. 14) and one-time export links, as
 * part of the subject's aggregate: their events live in the subject's stream.
 */

export {
  initialRights,
  type LinkState,
  type NotificationState,
  type RequestState,
  type RequestStatus,
  type RightsState,
  type SealedText,
} from './state.js';

/** One calendar month after receipt, clamped to the month's end (Jan 31 → Feb 28/29). */
export const dueDate = (receivedAt: string, months = 1): string =>
  addMonths(new Date(receivedAt), months).toISOString();

type RightsEvent<K extends EventType> = EventOf<K, Sealed> & { id: string; at: string };

/**
 * An event that finds a request still open past its due date proves the deadline was missed:
 * that stays on the record, whatever later events do to the due date or the status.
 */
function noteMissed(q: RequestState, at: string): void {
  if (q.status === 'OPEN' && !q.missedDeadlineAt && at > q.dueAt) q.missedDeadlineAt = q.dueAt;
}

/** The request an event names, once it has noted whether the event came after the deadline. */
function requestAt(r: RightsState, requestId: string, at: string): RequestState | undefined {
  const q = Object.hasOwn(r.requests, requestId) ? r.requests[requestId] : undefined;
  if (q) noteMissed(q, at);
  return q;
}

/** One function per rights event family, chosen by evolveRights. */
type RightsEvolver<K extends EventType> = (r: RightsState, e: RightsEvent<K>) => void;

const requestOpened: RightsEvolver<'RequestOpened'> = (r, { data }) => {
  r.requests[data.requestId] = {
    requestId: data.requestId,
    requestType: data.requestType,
    receivedAt: data.receivedAt,
    channel: data.channel,
    dueAt: data.dueAt,
    ...(data.answerPeriod ? { answerPeriod: data.answerPeriod } : {}),
    missedDeadlineAt: null,
    extendedMonths: 0,
    extensions: [],
    verifiedAt: null,
    verificationMethod: null,
    status: 'OPEN',
    closedAt: null,
    certificateEventId: null,
    linkId: null,
    refusalReason: null,
  };
};

const identityVerified: RightsEvolver<'IdentityVerified'> = (r, e) => {
  const q = requestAt(r, e.data.requestId, e.at);
  if (!q) return;
  q.verifiedAt = e.at;
  q.verificationMethod = e.data.method;
  if (e.data.issuer) q.verificationIssuer = e.data.issuer;
};

// An extension the log holds from after the deadline (decided before they were refused) leaves the miss on record.
const requestExtended: RightsEvolver<'RequestExtended'> = (r, e) => {
  const q = requestAt(r, e.data.requestId, e.at);
  if (!q) return;
  q.extendedMonths += e.data.months;
  q.extensions.push({ months: e.data.months, at: e.at, reason: { sealed: e.data.reason, eventId: e.id } });
  q.dueAt = e.data.dueAt;
};

const requestCompleted: RightsEvolver<'RequestCompleted'> = (r, e) => {
  const q = requestAt(r, e.data.requestId, e.at);
  if (!q) return;
  q.status = 'COMPLETED';
  q.closedAt = e.at;
  q.certificateEventId = e.data.certificateEventId ?? null;
  q.linkId = e.data.linkId ?? null;
};

const requestRefused: RightsEvolver<'RequestRefused'> = (r, e) => {
  const q = requestAt(r, e.data.requestId, e.at);
  if (!q) return;
  q.status = 'REFUSED';
  q.closedAt = e.at;
  q.refusalReason = { sealed: e.data.reason, eventId: e.id };
};

/** Data from elsewhere than the subject opens the duty to inform (Art. 14). */
const dataRecorded: RightsEvolver<'PersonalDataRecorded'> = (r, e) => {
  if (e.data.source === 'subject') return;
  if (!r.notification) r.notification = { categories: [], openedAt: e.at, dueAt: dueDate(e.at) };
  if (!r.notification.categories.includes(e.data.category)) r.notification.categories.push(e.data.category);
};

const subjectInformed: RightsEvolver<'SubjectInformed'> = (r, { data }) => {
  r.notification = null;
  r.informed.push({ at: data.informedAt, channel: data.channel });
};

const exportLinkCreated: RightsEvolver<'ExportLinkCreated'> = (r, { data, at }) => {
  const { linkId, kind, tokenHash, expiresAt } = data;
  r.links[linkId] = { linkId, kind, tokenHash, createdAt: at, expiresAt, usedAt: null };
};

const exportLinkUsed: RightsEvolver<'ExportLinkUsed'> = (r, e) => {
  const l = r.links[e.data.linkId];
  if (l) l.usedAt = e.at;
};

/**
 * Applies the rights events; other events pass through. A switch, since it sees every event of
 * every fold and projection (see evolve/index.ts).
 */
export function evolveRights(r: RightsState, e: DomainEvent<Sealed> & { id: string; at: string }): void {
  switch (e.type) {
    case 'RequestOpened':
      return requestOpened(r, e);
    case 'IdentityVerified':
      return identityVerified(r, e);
    case 'RequestExtended':
      return requestExtended(r, e);
    case 'RequestCompleted':
      return requestCompleted(r, e);
    case 'RequestRefused':
      return requestRefused(r, e);
    case 'PersonalDataRecorded':
      return dataRecorded(r, e);
    case 'SubjectInformed':
      return subjectInformed(r, e);
    case 'ExportLinkCreated':
      return exportLinkCreated(r, e);
    case 'ExportLinkUsed':
      return exportLinkUsed(r, e);
    case 'ExportTransmissionRequested':
      return transmissionRequested(r, e);
    case 'ExportTransmissionAttempted':
      return transmissionAttempted(r, e);
    default:
      return;
  }
}

export type RightsCommand =
  /**
   * `verifiedBy`: how the login that sent the request verified who asks (a subject's own request through the privacy
   * centre), recorded in the same append as the opening, so no failure between two writes leaves it unverified.
   */
  | {
      type: 'OpenRequest';
      requestId: string;
      requestType: string;
      receivedAt: string;
      channel: string;
      verifiedBy?: { method: string; issuer?: string };
    }
  | { type: 'VerifyIdentity'; requestId: string; method: string; issuer?: string }
  | { type: 'ExtendRequest'; requestId: string; months: number; reason: string }
  /**
   * `link`: the download an access or portability request is answered with, created in the same
   * append (two completions cannot both make one).
   */
  | { type: 'CompleteRequest'; requestId: string; certificateEventId?: string; link?: NewLink }
  | { type: 'RefuseRequest'; requestId: string; reason: string }
  | { type: 'MarkInformed'; at: string; channel: string }
  | ({ type: 'CreateExportLink' } & NewLink)
  | { type: 'UseExportLink'; linkId: string };

/** A download link as a command creates it: the token itself never reaches the log, only its hash. */
export interface NewLink {
  linkId: string;
  kind: ExportKind;
  tokenHash: string;
  expiresAt: string;
}

const linkCreated = (link: NewLink, now: string): DomainEvent<Unsealed> => {
  if (link.expiresAt <= now) throw badInput('expiresAt must be in the future', 'expiresAt');
  return {
    type: 'ExportLinkCreated',
    data: { linkId: link.linkId, kind: link.kind, tokenHash: link.tokenHash, expiresAt: link.expiresAt },
  };
};

const plain = (v: unknown): Unsealed => ({ plain: v });

/**
 * `answerPeriod`: the controller's answer period from the register (`ProcessingRegister.answerPeriod`);
 * undefined: the law's month.
 */
type RightsDecider<K extends RightsCommand['type']> = (
  state: SubjectState,
  command: Extract<RightsCommand, { type: K }>,
  now: string,
  answerPeriod?: string,
) => DomainEvent<Unsealed>[];

const openNewRequest: RightsDecider<'OpenRequest'> = (state, command, now, answerPeriod) => {
  if (!(REQUEST_TYPES as readonly string[]).includes(command.requestType)) {
    throw badInput(`Unknown request type; one of ${REQUEST_TYPES.join(', ')}`, 'type');
  }
  const receivedAt = instantInput(command.receivedAt, 'receivedAt');
  if (receivedAt > now) throw badInput('receivedAt cannot be in the future', 'receivedAt');
  assertCode(CHANNELS, command.channel, 'channel');
  const { requestId, channel } = command;
  if (requestOf(state, requestId))
    throw new VaultError('CONFLICT', 'Request already opened', { details: { requestId } });
  const requestType = command.requestType as RequestType;
  const dueAt = requestDueAt(receivedAt, answerPeriod);
  const period = answerPeriod ? { answerPeriod } : {};
  const opened: DomainEvent<Unsealed> = {
    type: 'RequestOpened',
    data: { requestId, requestType, receivedAt, channel, dueAt, ...period },
  };
  const by = command.verifiedBy;
  if (!by) return [opened];
  assertCode(VERIFICATION_METHODS, by.method, 'method');
  const issuer = by.issuer ? { issuer: by.issuer } : {};
  return [opened, { type: 'IdentityVerified', data: { requestId, method: by.method, ...issuer } }];
};

const verifyIdentity: RightsDecider<'VerifyIdentity'> = (state, command) => {
  const q = openRequest(state, command.requestId);
  assertCode(VERIFICATION_METHODS, command.method, 'method');
  if (q.verifiedAt) return [];
  const issuer = command.issuer ? { issuer: command.issuer } : {};
  return [{ type: 'IdentityVerified', data: { requestId: q.requestId, method: command.method, ...issuer } }];
};

/**
 * Art. 12(3): by one or two months, at most two in total, with a reason; counted from receipt. The
 * subject must be told of an extension within the first answer period, so one decided after it
 * (a request already overdue, or extended late) is refused, and its missed deadline stands.
 */
const extendRequest: RightsDecider<'ExtendRequest'> = (state, command, now) => {
  const q = openRequest(state, command.requestId);
  const firstDue = firstDueAt(q);
  if (now > firstDue) {
    const message =
      `A request can be extended only within its first answer period (Art. 12(3)), which ended ${firstDue}; ` +
      'answer it (complete or refuse) instead';
    throw new VaultError('CONFLICT', message, { path: 'requestId', details: { requestId: q.requestId, firstDue } });
  }
  const { months } = command;
  if (!Number.isInteger(months) || months < 1 || months > 2) throw badInput('An extension is 1 or 2 months', 'months');
  if (q.extendedMonths + months > 2) {
    const message = `A request can be extended by at most two further months in total (already ${q.extendedMonths})`;
    throw badInput(message, 'months');
  }
  if (!command.reason.trim()) throw badInput('An extension needs a reason (Art. 12(3))', 'reason');
  const dueAt = requestDueAt(q.receivedAt, q.answerPeriod, q.extendedMonths + months);
  return [{ type: 'RequestExtended', data: { requestId: q.requestId, months, reason: plain(command.reason), dueAt } }];
};

const completeRequest: RightsDecider<'CompleteRequest'> = (state, command, now) => {
  const q = openRequest(state, command.requestId);
  assertVerified(q);
  return [
    ...(command.link ? [linkCreated(command.link, now)] : []),
    {
      type: 'RequestCompleted',
      data: {
        requestId: q.requestId,
        ...(command.certificateEventId ? { certificateEventId: command.certificateEventId } : {}),
        ...(command.link ? { linkId: command.link.linkId } : {}),
      },
    },
  ];
};

const refuseRequest: RightsDecider<'RefuseRequest'> = (state, command) => {
  const q = openRequest(state, command.requestId);
  if (!command.reason.trim()) throw badInput('A refusal needs a reason (Art. 12(4))', 'reason');
  return [{ type: 'RequestRefused', data: { requestId: q.requestId, reason: plain(command.reason) } }];
};

const markInformed: RightsDecider<'MarkInformed'> = (state, command) => {
  const informedAt = instantInput(command.at, 'at');
  assertCode(CHANNELS, command.channel, 'channel');
  if (!state.rights.notification) throw new VaultError('NOT_FOUND', 'No pending duty to inform this subject');
  return [{ type: 'SubjectInformed', data: { channel: command.channel, informedAt } }];
};

const useExportLink: RightsDecider<'UseExportLink'> = (state, command, now) => {
  const l = own(state.rights.links, command.linkId);
  if (!l) throw new VaultError('NOT_FOUND', 'Unknown link');
  if (l.usedAt) throw new VaultError('LINK_GONE', 'This download link was already used');
  if (l.expiresAt <= now) throw new VaultError('LINK_GONE', 'This download link has expired');
  return [{ type: 'ExportLinkUsed', data: { linkId: l.linkId } }];
};

/** One decider per rights command. */
const rightsDeciders: { [K in RightsCommand['type']]: RightsDecider<K> } = {
  OpenRequest: openNewRequest,
  VerifyIdentity: verifyIdentity,
  ExtendRequest: extendRequest,
  CompleteRequest: completeRequest,
  RefuseRequest: refuseRequest,
  MarkInformed: markInformed,
  CreateExportLink: (_state, command, now) => [linkCreated(command, now)],
  UseExportLink: useExportLink,
};

/** `answerPeriod`: the controller's from the register; undefined: the law's one calendar month. */
export function decideRights(
  state: SubjectState,
  command: RightsCommand,
  now: string,
  answerPeriod?: string,
): DomainEvent<Unsealed>[] {
  const decider = rightsDeciders[command.type] as (
    s: SubjectState,
    c: RightsCommand,
    now: string,
    answerPeriod?: string,
  ) => DomainEvent<Unsealed>[];
  return decider(state, command, now, answerPeriod);
}

/** An own entry of a map keyed by ids a caller gives (any string, `constructor` included), if any. */
const own = <T>(map: Record<string, T>, key: string): T | undefined => (Object.hasOwn(map, key) ? map[key] : undefined);

/** The subject's request with this id, if any. */
export const requestOf = (state: SubjectState, requestId: string): RequestState | undefined =>
  state.rights ? own(state.rights.requests, requestId) : undefined;

function openRequest(state: SubjectState, requestId: string): RequestState {
  const q = requestOf(state, requestId);
  if (!q) throw new VaultError('NOT_FOUND', 'Request not found', { path: 'requestId', details: { requestId } });
  if (q.status !== 'OPEN')
    throw new VaultError('CONFLICT', `Request is already ${q.status.toLowerCase()}`, { details: { requestId } });
  return q;
}

/**
 * Art. 12(6): a request is carried out for the person it is about. Completing it erases, or hands
 * over every value the vault holds, so the requester's identity must be verified first.
 */
export function assertVerified(q: Pick<RequestState, 'requestId'> & { verifiedAt: string | null | undefined }): void {
  if (!q.verifiedAt) {
    throw new VaultError(
      'IDENTITY_NOT_VERIFIED',
      "Verify the requester's identity (verifyIdentity) before completing the request",
      { details: { requestId: q.requestId } },
    );
  }
}

export interface TrackedRow {
  kind: 'request' | 'notification' | 'link' | 'transmission';
  /** Request id, link token hash, transmission id, or the subject id for its notification. */
  id: string;
  subjectId: string;
  status: string;
  /**
   * What the row is listed and found overdue by. For a request: its due date, or while it is open
   * the deadline it missed (`data.dueAt` is its due date as the log has it), so a request extended
   * after its deadline stays in the overdue list until it is answered.
   */
  dueAt: string | null;
  /** Metadata only (types, dates, channels): never free text or values. */
  data: Record<string, unknown>;
}

/** The rows the read models keep so the DPO can list requests, pending notifications and links. */
export function trackedRowsOf(state: SubjectState): TrackedRow[] {
  const rows: TrackedRow[] = [];
  const r = state.rights;
  if (!r) return rows;
  for (const q of Object.values(r.requests)) {
    rows.push({
      kind: 'request',
      id: q.requestId,
      subjectId: state.subjectId,
      status: q.status,
      dueAt: (q.status === 'OPEN' && q.missedDeadlineAt) || q.dueAt,
      data: {
        dueAt: q.dueAt,
        missedDeadlineAt: q.missedDeadlineAt ?? null,
        requestType: q.requestType,
        receivedAt: q.receivedAt,
        channel: q.channel,
        extendedMonths: q.extendedMonths,
        verifiedAt: q.verifiedAt,
        ...(q.verificationMethod ? { verificationMethod: q.verificationMethod } : {}),
        ...(q.verificationIssuer ? { verificationIssuer: q.verificationIssuer } : {}),
        closedAt: q.closedAt,
      },
    });
  }
  if (r.notification) {
    rows.push({
      kind: 'notification',
      id: state.subjectId,
      subjectId: state.subjectId,
      status: 'PENDING',
      dueAt: r.notification.dueAt,
      data: { categories: r.notification.categories, openedAt: r.notification.openedAt },
    });
  }
  // A transmission a stopped vault cut short (before its first attempt was recorded, or in a pause between two) is
  // found here at start and goes on (resumeTransmissions).
  for (const t of Object.values(r.transmissions ?? {})) {
    if (t.outcome !== 'retrying') continue;
    rows.push({
      kind: 'transmission',
      id: t.transmissionId,
      subjectId: state.subjectId,
      status: 'RETRYING',
      dueAt: t.attempts[t.attempts.length - 1]?.at ?? t.requestedAt,
      data: { receiver: t.receiver, requestedBy: t.requestedBy, attempts: t.attempts.length },
    });
  }
  for (const l of Object.values(r.links)) {
    rows.push({
      kind: 'link',
      id: l.tokenHash,
      subjectId: state.subjectId,
      status: l.usedAt ? 'USED' : 'ACTIVE',
      dueAt: l.expiresAt,
      data: { linkId: l.linkId, kind: l.kind },
    });
  }
  return rows;
}
