import { openValue, sealValue, valueContext } from '../crypto/envelope.js';
import type { KeyRing } from '../crypto/keyRing.js';
import { type DomainEvent, REQUESTS_CATEGORY, type Unsealed } from '../domain/events.js';
import type { FieldState } from '../domain/subject.js';
import { keyIdFor } from '../domain/subject.js';
import type { EventMetadata, NewEvent } from '../ports/EventLog.js';
import { uuidv7 } from '../support/uuidv7.js';

/** Key ids a decision writes under (created on first use). */
export function keyIdsWritten(subjectId: string, events: readonly DomainEvent<Unsealed>[]): string[] {
  const ids: string[] = [];
  for (const e of events) {
    if (e.type === 'PersonalDataRecorded' || e.type === 'PersonalDataRectified' || e.type === 'RectificationRequested')
      ids.push(e.data.keyId);
    else if (e.type === 'CategoryRekeyed') ids.push(e.data.newKeyId);
    else if (e.type === 'RequestExtended' || e.type === 'RequestRefused' || e.type === 'ObjectionOverridden')
      ids.push(requestsKeyId(subjectId));
  }
  return ids;
}

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

/**
 * Turns the domain's decision into events for the log: assigns ids, and seals every value under
 * its category key, bound to (subject, category, field, event id).
 */
export async function sealDecision(
  subjectId: string,
  events: readonly DomainEvent<Unsealed>[],
  keyRing: KeyRing,
  metadata: EventMetadata,
): Promise<NewEvent[]> {
  const keys = await keyRing.ensure(keyIdsWritten(subjectId, events));
  return events.map((e) => {
    const id = uuidv7();
    const sealed = (() => {
      switch (e.type) {
        case 'PersonalDataRecorded':
        case 'PersonalDataRectified': {
          const d = e.data;
          return {
            ...d,
            value: sealValue(keys.get(d.keyId)!, d.value.plain, valueContext(subjectId, d.category, d.field, id)),
          };
        }
        case 'RectificationRequested': {
          const d = e.data;
          return {
            ...d,
            value: sealValue(keys.get(d.keyId)!, d.value.plain, proposalContext(subjectId, d.category, d.field, id)),
          };
        }
        case 'CategoryRekeyed': {
          const d = e.data;
          const key = keys.get(d.newKeyId)!;
          return {
            ...d,
            values: d.values.map((v) => ({
              field: v.field,
              value: sealValue(key, v.value.plain, valueContext(subjectId, d.category, v.field, id)),
            })),
          };
        }
        case 'RequestExtended':
        case 'RequestRefused': {
          const d = e.data;
          return {
            ...d,
            reason: sealValue(
              keys.get(requestsKeyId(subjectId))!,
              d.reason.plain,
              requestTextContext(subjectId, d.requestId, id),
            ),
          };
        }
        case 'ObjectionOverridden': {
          const d = e.data;
          return {
            ...d,
            grounds: sealValue(
              keys.get(requestsKeyId(subjectId))!,
              d.grounds.plain,
              overrideGroundsContext(subjectId, d.purpose, id),
            ),
          };
        }
        default:
          return e.data;
      }
    })();
    return { id, type: e.type, data: sealed, metadata };
  });
}

/** Opens a field's current value with an already-loaded key. */
export function openField(subjectId: string, category: string, field: string, f: FieldState, key: Uint8Array): unknown {
  return openValue(key, f.value, valueContext(subjectId, category, field, f.eventId));
}

/** Opens what a subject proposed for a field it contests, with an already-loaded key. */
export function openProposal(subjectId: string, category: string, field: string, f: FieldState, key: Uint8Array) {
  const p = f.contested!.proposal;
  return openValue(key, p.sealed, proposalContext(subjectId, category, field, p.eventId));
}
