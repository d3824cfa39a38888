import { REQUESTS_CATEGORY } from '../domain/events.js';
import { type FieldState, keyIdFor } from '../domain/state.js';
import { openValue, valueContext } from './envelope.js';

/**
 * Where a subject's values are sealed and what each is bound to: the key of its requests' free
 * text and the context of every kind of sealed value, and the opening of a field's value. The
 * write side seals with them (commands/sealDecision.ts); the read models, reports and request
 * texts open with them, so they live below both.
 */

/** The key that seals the free text of a subject's requests (and of the DPO's objection overrides). */
export const requestsKeyId = (subjectId: string): string => keyIdFor(subjectId, REQUESTS_CATEGORY, 1);

/** Context of a request's sealed free text. */
export const requestTextContext = (subjectId: string, requestId: string, eventId: string): Uint8Array =>
  valueContext(subjectId, REQUESTS_CATEGORY, requestId, eventId);

/** Context of the sealed grounds of an objection override (`objection/` keeps it apart from request ids). */
export const overrideGroundsContext = (subjectId: string, purpose: string, eventId: string): Uint8Array =>
  valueContext(subjectId, REQUESTS_CATEGORY, `objection/${purpose}`, eventId);

/** Context of a value a subject proposed for a field (`rectification/` keeps it apart from the field's own values). */
export const proposalContext = (subjectId: string, category: string, field: string, eventId: string): Uint8Array =>
  valueContext(subjectId, category, `rectification/${field}`, eventId);

/** Opens a field's current value with an already-loaded key. */
export function openField(subjectId: string, category: string, field: string, f: FieldState, key: Uint8Array): unknown {
  return openValue(key, f.value, valueContext(subjectId, category, field, f.eventId));
}

/** Opens what a subject proposed for a field it contests, with an already-loaded key. */
export function openProposal(subjectId: string, category: string, field: string, f: FieldState, key: Uint8Array) {
  const p = f.contested!.proposal;
  return openValue(key, p.sealed, proposalContext(subjectId, category, field, p.eventId));
}
