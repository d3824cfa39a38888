import type { ConsentChannel, ExportKind, RequestType, Sealed, ShredReason } from './events.js';
import type { LegalBasis, Source } from './register.js';

/**
 * One subject's aggregate state: what decide reads and evolve builds from the subject's stream.
 * It holds sealed values (ciphertext) and metadata only, so it can be snapshotted into the read
 * models. Every other domain module takes the state from here, and this module takes nothing from
 * them, so the domain's imports run one way.
 */

/** A field's current value, sealed under its category's current key (`CategoryState.keyId`). */
export interface FieldState {
  value: Sealed;
  eventId: string;
  recordedAt: string;
  updatedAt: string;
  purpose: string;
  legalBasis: LegalBasis;
  /**
   * Other purposes the same value is kept for, each with its legal basis (`PersonalDataHeld`); the
   * value goes when the last of them and `purpose` is released. Absent: only `purpose`.
   */
  alsoHeldFor?: { purpose: string; legalBasis: LegalBasis }[];
  /** Where the value came from, as first recorded: a rectification corrects the value, not its provenance. */
  source: Source;
  /** The last rectification: who made it (the event's actor, never personal data) and when. */
  rectified?: { by: string; at: string };
  /** Art. 18(1)(a): the subject contests the value; its rectification request waits for the DPO. */
  contested?: ContestedValue;
}

/**
 * A value the subject asked to rectify where it may not rectify directly (it did not provide it):
 * the request it opened and the value it proposed, sealed under the category's key (so erasing the
 * category erases the proposal too).
 */
export interface ContestedValue {
  requestId: string;
  at: string;
  keyId: string;
  proposal: SealedText;
}

export interface CategoryState {
  /** Bumped on every re-key and on first write after a shred: each generation has its own key. */
  generation: number;
  keyId: string;
  fields: Record<string, FieldState>;
  /** Fields erased one by one (the category lives on, re-keyed), until recorded again: reads show them as erased. */
  erasedFields?: Record<string, { at: string; reason: string }>;
  firstRecordedAt: string;
  /**
   * When the oldest value still sealed under the current key was recorded, where that is not the
   * key's first write: set by a re-key, which carries over only values whose own time goes on.
   * Retention that runs per entry (trigger `recorded`) is next due from it.
   */
  keySince?: string;
  lastActivityAt: string;
  shredded: { at: string; reason: ShredReason } | null;
  /**
   * Values that belong to an entry of the category (e.g. one debt-collection case) rather than to the
   * category itself, by entry id: each entry has its own key, so it is kept, and shredded, on its own
   * clock (see domain/retention.ts). Absent: no entries, as in snapshots from before they existed.
   */
  entries?: Record<string, EntryState>;
}

/** One entry of a category: its values under its own key, and the lifecycle events of its own. */
export interface EntryState {
  generation: number;
  keyId: string;
  fields: Record<string, FieldState>;
  firstRecordedAt: string;
  lastActivityAt: string;
  /** When each lifecycle event of this entry happened (e.g. its case closed). */
  lifecycle: Record<string, string>;
  shredded: { at: string; reason: ShredReason } | null;
  /**
   * Fields of this entry erased one by one (the entry lives on, re-keyed), until recorded again: reads show them as
   * erased with the entry. Absent: none.
   */
  erasedFields?: Record<string, { at: string; reason: string }>;
  /**
   * A legal hold the DPO placed on this entry alone (e.g. litigation over one debt-collection case): the entry is kept
   * until it ends, past its own period and past an erasure, while the category's other entries go on their clocks.
   * Absent: none.
   */
  hold?: { basis: string; until: string; at: string };
}

/**
 * One consent given, as the vault can show it. Null fields: a consent recorded before the vault
 * kept its proof (unknown provenance); `givenAt` is null only for a withdrawal of a consent the
 * vault never recorded.
 */
export interface ConsentProof {
  /** The ConsentGiven event; null for unknown provenance. */
  eventId: string | null;
  givenAt: string | null;
  noticeId: string | null;
  noticeVersion: string | null;
  channel: ConsentChannel | null;
  collectedBy: string | null;
  withdrawnAt: string | null;
  /** How the withdrawal reached the controller, and who took it; absent or null when not recorded. */
  withdrawalChannel?: ConsentChannel | null;
  withdrawnBy?: string | null;
}

export interface ConsentState {
  given: boolean;
  /** When it was last given or withdrawn. */
  at: string;
  /** Every consent given for the purpose, oldest first; absent in snapshots from before proofs were kept. */
  proofs?: ConsentProof[];
}

export type RequestStatus = 'OPEN' | 'COMPLETED' | 'REFUSED';

/** Free text sealed under the subject's requests key, bound to the event that carried it. */
export interface SealedText {
  sealed: string;
  eventId: string;
}

export interface RequestState {
  requestId: string;
  requestType: RequestType;
  receivedAt: string;
  channel: string;
  dueAt: string;
  /**
   * The controller's answer period the request was opened under (an ISO 8601 duration, from the
   * register); absent: the law's one calendar month.
   */
  answerPeriod?: string;
  /**
   * The due date the request missed: set when an event finds it still open past its due date, and
   * kept after it is answered. Absent in snapshots from before it was kept (domain/deadlines.ts
   * derives it from the dates then).
   */
  missedDeadlineAt?: string | null;
  extendedMonths: number;
  /** Each extension: months, and its sealed reason with the event it was sealed for. */
  extensions: { months: number; at: string; reason: SealedText }[];
  verifiedAt: string | null;
  verificationMethod: string | null;
  /** The identity provider of an `oidcLogin` verification. */
  verificationIssuer?: string;
  status: RequestStatus;
  closedAt: string | null;
  certificateEventId: string | null;
  linkId: string | null;
  refusalReason: SealedText | null;
}

export interface NotificationState {
  /** Categories recorded from another source since the subject was last informed. */
  categories: string[];
  openedAt: string;
  dueAt: string;
}

export interface LinkState {
  linkId: string;
  kind: ExportKind;
  tokenHash: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

/** One direct transmission of a portability export (Art. 20(2)), as its attempts left it. */
export interface TransmissionState {
  transmissionId: string;
  receiver: string;
  requestedBy: string;
  requestedAt: string;
  /** `retrying`: the last attempt recorded was not the final one. */
  outcome: 'delivered' | 'failed' | 'retrying';
  attempts: { at: string; status: number | null; sha256: string; bytes: number }[];
}

/** Requests, the duty to inform and export links (domain/requests.ts decides and applies them). */
export interface RightsState {
  requests: Record<string, RequestState>;
  /** The open Art. 14 obligation, if any. */
  notification: NotificationState | null;
  informed: { at: string; channel: string }[];
  links: Record<string, LinkState>;
  /** Direct transmissions of the portability export, by id; absent in snapshots from before they were kept. */
  transmissions?: Record<string, TransmissionState>;
}

/** The grounds of an objection the DPO overrode: sealed, bound to the event that carried them. */
export interface OverriddenObjection {
  objectedAt: string;
  at: string;
  grounds: SealedText;
}

export interface SubjectState {
  subjectId: string;
  registeredAt: string | null;
  /** Revision of the last event applied; -1 for a stream with no events. */
  revision: number;
  erasedAt: string | null;
  categories: Record<string, CategoryState>;
  /** Per purpose: whether consent stands, and the proof of every consent given (domain/consent.ts). */
  consents: Record<string, ConsentState>;
  restrictions: Record<string, { at: string; reason: string }>;
  /** Objections standing (Art. 21): each stops the processing it reaches. */
  objections: Record<string, { at: string }>;
  /** Objections the DPO overrode on compelling grounds; absent in snapshots from before overrides existed. */
  overriddenObjections?: Record<string, OverriddenObjection>;
  holds: Record<string, { basis: string; until: string; at: string }>;
  lifecycle: Record<string, string>;
  /** Requests, the duty to inform and export links (domain/requests.ts). */
  rights: RightsState;
}

export const initialRights = (): RightsState => ({ requests: {}, notification: null, informed: [], links: {} });

export const initialState = (subjectId: string): SubjectState => ({
  subjectId,
  registeredAt: null,
  revision: -1,
  erasedAt: null,
  categories: {},
  consents: {},
  restrictions: {},
  objections: {},
  holds: {},
  lifecycle: {},
  rights: initialRights(),
});

/** Key ids are deterministic, so two writers deciding from the same state agree on them. */
export const keyIdFor = (subjectId: string, category: string, generation: number): string =>
  `${subjectId}/${category}/${generation}`;

/**
 * An entry's key id: the category's segment names the entry too (`category~entry`), so the key store
 * binds the wrapped key to both and no entry's key opens another's values.
 */
export const entryKeyIdFor = (subjectId: string, category: string, entry: string, generation: number): string =>
  keyIdFor(subjectId, `${category}~${entry}`, generation);

/**
 * The entry `entry` of a category, if it has one. Own properties only: an entry id is the service's (`constructor` is
 * a well-formed one), never a property every object has.
 */
export const entryOf = (c: CategoryState | undefined, entry: string): EntryState | undefined =>
  c?.entries && Object.hasOwn(c.entries, entry) ? c.entries[entry] : undefined;

/** The entry `entry` of a category while its key lives. */
export const liveEntryOf = (c: CategoryState | undefined, entry: string): EntryState | undefined => {
  const e = entryOf(c, entry);
  return e && !e.shredded ? e : undefined;
};

/** The keys of the category's entries still live: shredding the whole category shreds them too. */
export const liveEntryKeyIds = (c: CategoryState): string[] =>
  Object.values(c.entries ?? {}).flatMap((e) => (e.shredded ? [] : [e.keyId]));

/** The keys shredding the whole category destroys: its own (unless already gone) and its live entries'. */
export const categoryKeyIds = (c: CategoryState): string[] => [
  // A category that only ever had entries has no key of its own ('').
  ...(c.shredded || !c.keyId ? [] : [c.keyId]),
  ...liveEntryKeyIds(c),
];

/** The generation a key id names (its last segment). */
export const generationOf = (keyId: string): number => Number(keyId.slice(keyId.lastIndexOf('/') + 1));
