import type { LegalBasis, Source } from './register.js';

/**
 * The events of one subject's stream. Everything here except `sealed` strings is plaintext
 * metadata and must never hold personal data: ids, names from the register, codes, dates.
 * Values and free text travel only inside `sealed` (see crypto/envelope.ts).
 */

/** A value as the domain produces it, before the application layer seals it. */
export interface Unsealed {
  plain: unknown;
}
/** A value after sealing: the versioned envelope, base64url. */
export type Sealed = string;

export interface DataItem<V> {
  category: string;
  field: string;
  keyId: string;
  value: V;
  purpose: string;
  legalBasis: LegalBasis;
  source: Source;
  /**
   * The entry the value belongs to where the category's period runs per entry from an event of the
   * entry's own (e.g. the debt-collection case it came with): an opaque id the service chooses, never
   * a personal value. Absent: the category's own value, as in events written before entries existed.
   */
  entry?: string;
}

export type EventPayloads<V> = {
  SubjectRegistered: { subjectId: string };
  PersonalDataRecorded: DataItem<V>;
  PersonalDataRectified: DataItem<V>;
  /**
   * Art. 16 and 18(1)(a): the subject proposes a value for a field it did not provide, under the
   * rectification request opened with it; the value is contested until the DPO completes (the
   * proposal becomes the value) or refuses the request. The proposal is sealed under `keyId`; `entry`: a value of
   * that entry (sealed under the entry's key), absent: the category's own.
   */
  RectificationRequested: {
    requestId: string;
    category: string;
    field: string;
    keyId: string;
    value: V;
    entry?: string;
  };
  /**
   * The value is kept for one more purpose (and its legal basis) too: a service that does not hold
   * it wrote the same value for its own purpose (issue 23, case 7). It stays while any purpose
   * keeping it still stands. `entry`: the value of that entry (e.g. a debt-collection case);
   * absent: the category's own.
   */
  PersonalDataHeld: { category: string; field: string; purpose: string; legalBasis: LegalBasis; entry?: string };
  /**
   * A purpose no longer keeps the value: the consent it rested on was withdrawn. When it was the
   * value's last purpose, the value is erased in the same decision (Art. 17(1)(b)).
   */
  PersonalDataReleased: { category: string; field: string; purpose: string; entry?: string };
  /**
   * One field erased. The category (or, with `entry`, that entry) is re-keyed right after, so past values become
   * unreadable. `entry`: the value of that entry; absent: the category's own.
   */
  PersonalDataErased: { category: string; field: string; reason: string; entry?: string };
  /**
   * The category's remaining values re-sealed under its next key, and the old keys shredded with every value they
   * sealed. `reason` says why (the key tombstones carry it): a field erasure when absent (events written before it).
   * `entry`: that entry's values and key (an entry key id); absent: the category's own.
   */
  CategoryRekeyed: {
    category: string;
    oldKeyIds: string[];
    newKeyId: string;
    values: { field: string; value: V }[];
    reason?: ShredReason;
    entry?: string;
  };
  /**
   * What the subject consented to and how, so the controller can demonstrate it (Art. 7(1)): the
   * privacy notice shown (its id and version), the channel and the principal who collected it; the
   * event's time is when it was given. Consents recorded before these were kept have only the
   * purpose: they load, and show as of unknown provenance.
   */
  ConsentGiven: {
    purpose: string;
    noticeId?: string;
    noticeVersion?: string;
    channel?: ConsentChannel;
    collectedBy?: string;
  };
  /**
   * The consent to `purpose` ends. `channel` and `collectedBy` (the principal that took the withdrawal) show how
   * it reached the controller, as a consent given does; absent in withdrawals recorded before they were kept.
   */
  ConsentWithdrawn: { purpose: string; channel?: ConsentChannel; collectedBy?: string };
  ProcessingRestricted: { categories: string[]; reason: string };
  RestrictionLifted: { categories: string[] };
  ObjectionRaised: { purpose: string };
  /**
   * Art. 21(1): the controller's compelling legitimate grounds (or legal claims) override the
   * objection, which no longer stops the processing. The grounds are free text, so sealed.
   */
  ObjectionOverridden: { purpose: string; grounds: V };
  /**
   * The DPO keeps the category (or, with `entry`, that entry alone) until `until`, past its retention and past an
   * erasure. One hold a category and one an entry; a second extends it.
   */
  LegalHoldPlaced: { category: string; basis: string; until: string; entry?: string };
  LegalHoldReleased: { category: string; entry?: string };
  /** `entry`: the event happened to one entry (a case closed), whose own clock it starts; absent: the subject's. */
  LifecycleEventRecorded: { event: string; categories: string[]; entry?: string };
  /** `entry`: only that entry's key was shredded (its own period ended); absent: the whole category's keys. */
  CategoryShredded: { category: string; keyIds: string[]; reason: ShredReason; rule?: string; entry?: string };
  /**
   * An Art. 12 data-subject request; due one calendar month after receipt, or earlier under the
   * controller's `answerPeriod` from the register (kept here when it set one; absent: the law's month).
   */
  RequestOpened: {
    requestId: string;
    requestType: RequestType;
    receivedAt: string;
    channel: string;
    dueAt: string;
    answerPeriod?: string;
  };
  /** `issuer`: the identity provider of an `oidcLogin` (a URL, not personal data). */
  IdentityVerified: { requestId: string; method: string; issuer?: string };
  /** Extended by 1–2 months in total (Art. 12(3)); the reason is free text, so sealed. */
  RequestExtended: { requestId: string; months: number; reason: V; dueAt: string };
  RequestCompleted: { requestId: string; certificateEventId?: string; linkId?: string };
  RequestRefused: { requestId: string; reason: V };
  /** Art. 14: data obtained elsewhere; the subject must be informed within one month. */
  SubjectInformed: { channel: string; informedAt: string };
  /** A one-time download link. Only the SHA-256 of its token is stored. */
  ExportLinkCreated: { linkId: string; kind: ExportKind; tokenHash: string; expiresAt: string };
  ExportLinkUsed: { linkId: string };
  /**
   * A direct transmission of the portability export asked for (Art. 20(2)), recorded before its first attempt, so a
   * vault stopped before that attempt was recorded goes on with it when it starts again: who asked (an actor) and the
   * receiver by its register name. Its attempts follow under the same id.
   */
  ExportTransmissionRequested: { transmissionId: string; receiver: string; requestedBy: string };
  /**
   * One attempt to send the subject's portability export to a receiving controller (Art. 20(2)):
   * who asked (an actor), the receiver by its register name, the digest of the bytes sent and the
   * receiver's HTTP status (null: no answer). Attempts of one transmission share its id; `final`:
   * none follows (delivered, refused for good, or the attempts are used up).
   */
  ExportTransmissionAttempted: {
    transmissionId: string;
    receiver: string;
    requestedBy: string;
    attempt: number;
    sha256: string;
    bytes: number;
    status: number | null;
    delivered: boolean;
    final: boolean;
  };
  SubjectErased: {
    reason: string;
    requestId?: string;
    shredded: string[];
    /**
     * Held categories with their basis and end; `entries`, where the period runs per entry, each
     * value's own end (absent in events from before it was recorded).
     */
    retained: {
      category: string;
      basis: string;
      until: string;
      entries?: RetainedValue[];
    }[];
    /**
     * Keys the key store held for the subject that no event names: made for a write the log then
     * refused (nothing sealed under them was kept). Destroyed with the erasure.
     */
    strayKeyIds?: string[];
  };
};

/**
 * One value an erasure leaves while a hold keeps it: its field, its entry (absent: the category's own value), and when
 * it goes (`open` while the period that keeps it has not started); `basis` where its own hold differs from the row's
 * (an entry held alone).
 */
export interface RetainedValue {
  field: string;
  until: string;
  entry?: string;
  basis?: string;
}

export type EventType = keyof EventPayloads<unknown>;

/** Why a category key was destroyed. `consentExpired`: a consent past its validity (`consentValidFor`). */
export type ShredReason = 'erasure' | 'retention' | 'withdrawal' | 'objection' | 'fieldErasure' | 'consentExpired';

/** One stream per subject, named by this prefix and the subject id. */
export const STREAM_PREFIX = 'subject-';
export const streamOf = (subjectId: string): string => `${STREAM_PREFIX}${subjectId}`;
export const subjectOf = (streamId: string): string | undefined =>
  streamId.startsWith(STREAM_PREFIX) ? streamId.slice(STREAM_PREFIX.length) : undefined;

export const REQUEST_TYPES = ['ACCESS', 'PORTABILITY', 'ERASURE', 'RECTIFICATION', 'RESTRICTION', 'OBJECTION'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export const EXPORT_KINDS = ['ACCESS', 'PORTABILITY'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** Internal category whose key seals the free text of requests (never shredded by erasure: accountability). */
export const REQUESTS_CATEGORY = '_requests';

export type DomainEvent<V = Sealed> = {
  [K in EventType]: { type: K; data: EventPayloads<V>[K] };
}[EventType];

export type EventOf<K extends EventType, V = Sealed> = { type: K; data: EventPayloads<V>[K] };

/**
 * Reasons and hold bases travel as plaintext metadata, so they are codes, never prose: the
 * grounds of Art. 17(1) and 17(3), of Art. 18(1), and the usual grounds of a litigation hold.
 */
export const ERASURE_REASONS = [
  'subjectRequest',
  'consentWithdrawn',
  'objection',
  'noLongerNecessary',
  'unlawful',
  'legalObligation',
  'child',
  'other',
] as const;
export const RESTRICTION_REASONS = [
  'accuracyContested',
  'unlawful',
  'noLongerNeededButClaims',
  'objectionPending',
  'other',
] as const;
export const HOLD_BASES = [
  'litigation',
  'regulatoryInvestigation',
  'taxAudit',
  'lawEnforcementRequest',
  'contractualClaim',
  'insuranceClaim',
  'other',
] as const;
/** How a request reached the controller, and how the subject was informed (Art. 14): codes, not addresses. */
export const CHANNELS = ['email', 'post', 'webForm', 'phone', 'inPerson', 'app', 'other'] as const;
/** How a consent reached the controller: codes, not addresses or free text. */
export const CONSENT_CHANNELS = ['webForm', 'app', 'api', 'email', 'phone', 'paper', 'inPerson', 'other'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];
/** How the subject's identity was verified (Art. 12(6)): codes, not document numbers. */
export const VERIFICATION_METHODS = [
  'accountLogin',
  'emailConfirmation',
  'idDocument',
  'videoCall',
  'knownContact',
  'oidcLogin',
  'other',
] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];
export type RestrictionReason = (typeof RESTRICTION_REASONS)[number];
export type HoldBasis = (typeof HOLD_BASES)[number];
