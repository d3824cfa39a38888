import type { LegalBasis, Source } from './register.js';
import type { ShredReason } from '../ports/KeyStore.js';

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
}

export type EventPayloads<V> = {
  SubjectRegistered: { subjectId: string };
  PersonalDataRecorded: DataItem<V>;
  PersonalDataRectified: DataItem<V>;
  /** One field erased. The category is re-keyed right after, so past values become unreadable. */
  PersonalDataErased: { category: string; field: string; reason: string };
  /** The remaining values of a category re-sealed under a new key; the old key is shredded. */
  CategoryRekeyed: { category: string; oldKeyIds: string[]; newKeyId: string; values: { field: string; value: V }[] };
  ConsentGiven: { purpose: string };
  ConsentWithdrawn: { purpose: string };
  ProcessingRestricted: { categories: string[]; reason: string };
  RestrictionLifted: { categories: string[] };
  ObjectionRaised: { purpose: string };
  LegalHoldPlaced: { category: string; basis: string; until: string };
  LegalHoldReleased: { category: string };
  LifecycleEventRecorded: { event: string; categories: string[] };
  CategoryShredded: { category: string; keyIds: string[]; reason: ShredReason; rule?: string };
  SubjectErased: {
    reason: string;
    requestId?: string;
    shredded: string[];
    retained: { category: string; basis: string; until: string }[];
  };
};

export type EventType = keyof EventPayloads<unknown>;

export type DomainEvent<V = Sealed> = {
  [K in EventType]: { type: K; data: EventPayloads<V>[K] };
}[EventType];

export type EventOf<K extends EventType, V = Sealed> = { type: K; data: EventPayloads<V>[K] };

/** Reason codes are plaintext; they must be codes, not prose. */
export const ERASURE_REASONS = ['subjectRequest', 'consentWithdrawn', 'objection', 'noLongerNecessary', 'unlawful', 'legalObligation', 'child', 'other'] as const;
export const RESTRICTION_REASONS = ['accuracyContested', 'unlawful', 'legalClaims', 'objectionPending', 'other'] as const;
