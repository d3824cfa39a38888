import { sealValue, valueContext } from '../crypto/envelope.js';
import type { KeyRing } from '../crypto/keyRing.js';
import { overrideGroundsContext, proposalContext, requestsKeyId, requestTextContext } from '../crypto/sealedFields.js';
import { type DomainEvent, type Unsealed } from '../domain/events.js';
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
  return sealEvents(subjectId, events, keys, metadata);
}

/**
 * `sealDecision` with the keys at hand (every id `keyIdsWritten` names): for a caller that fetched
 * the keys of many decisions in one call (the bulk import).
 */
export function sealEvents(
  subjectId: string,
  events: readonly DomainEvent<Unsealed>[],
  keys: ReadonlyMap<string, Uint8Array>,
  metadata: EventMetadata,
): NewEvent[] {
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
