import { VaultError } from '../domain/errors.js';
import { uuidv7 } from '../support/uuidv7.js';
import { REQUESTS_CATEGORY, type DomainEvent, type Unsealed } from '../domain/events.js';
import { keyIdFor } from '../domain/subject.js';
import { contextTag, envelopeParts, openValue, openValueParts, sealValue, sealValueParts, valueContext, type EnvelopeParts } from '../crypto/envelope.js';
import type { KeyRing } from '../crypto/keyRing.js';
import type { EventMetadata, NewEvent } from '../ports/EventLog.js';
import type { FieldState } from '../domain/subject.js';

/** Key ids a decision writes under (created on first use). */
export function keyIdsWritten(subjectId: string, events: readonly DomainEvent<Unsealed>[]): string[] {
  const ids: string[] = [];
  for (const e of events) {
    if (e.type === 'PersonalDataRecorded' || e.type === 'PersonalDataRectified') ids.push(e.data.keyId);
    else if (e.type === 'CategoryRekeyed') ids.push(e.data.newKeyId);
    else if (e.type === 'RequestExtended' || e.type === 'RequestRefused' || e.type === 'ObjectionOverridden') ids.push(requestsKeyId(subjectId));
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
          return { ...d, value: sealValue(keys.get(d.keyId)!, d.value.plain, valueContext(subjectId, d.category, d.field, id)) };
        }
        case 'CategoryRekeyed': {
          const d = e.data;
          const key = keys.get(d.newKeyId)!;
          return { ...d, values: d.values.map((v) => ({ field: v.field, value: sealValue(key, v.value.plain, valueContext(subjectId, d.category, v.field, id)) })) };
        }
        case 'RequestExtended':
        case 'RequestRefused': {
          const d = e.data;
          return { ...d, reason: sealValue(keys.get(requestsKeyId(subjectId))!, d.reason.plain, requestTextContext(subjectId, d.requestId, id)) };
        }
        case 'ObjectionOverridden': {
          const d = e.data;
          return { ...d, grounds: sealValue(keys.get(requestsKeyId(subjectId))!, d.grounds.plain, overrideGroundsContext(subjectId, d.purpose, id)) };
        }
        default:
          return e.data;
      }
    })();
    return { id, type: e.type, data: sealed, metadata };
  });
}

/** A field's sealed value made ready to open many times: decoded, split, with its context tag; no key, no plaintext. */
export interface PreparedField {
  sealed: string;
  parts: EnvelopeParts | undefined;
  tag: Uint8Array;
}

export function prepareField(subjectId: string, category: string, field: string, f: FieldState): PreparedField {
  let parts: EnvelopeParts | undefined;
  try {
    parts = envelopeParts(Buffer.from(f.value, 'base64url'));
  } catch {
    // Malformed: left for openPrepared to report, so only a read that opens it fails.
  }
  return { sealed: f.value, parts, tag: valueContext(subjectId, category, field, f.eventId) };
}

export const openPrepared = (p: PreparedField, key: Uint8Array): unknown => (p.parts ? openValueParts(key, p.parts, p.tag) : openValue(key, p.sealed, p.tag));

/**
 * A category's current values sealed together, in memory only, by a reader that keeps snapshots:
 * under the category's own data key (so a shred reaches it as it reaches the fields), with a fresh
 * nonce, bound to the subject, the category, the key and each field's event. One box opens in one
 * call where the fields would take one each.
 */
export interface PreparedBox {
  parts: EnvelopeParts;
  tag: Uint8Array;
  length: number;
}

const boxContext = (subjectId: string, category: string, keyId: string, fields: readonly { field: string; eventId: string }[]): Uint8Array =>
  contextTag('pdv/reader-box/v1', [subjectId, category, keyId, ...fields.flatMap((f) => [f.field, f.eventId])]);

/** `values[i]` is the opened value of `fields[i]`. */
export function sealBox(subjectId: string, category: string, keyId: string, fields: readonly { field: string; eventId: string }[], values: readonly unknown[], key: Uint8Array): PreparedBox {
  const tag = boxContext(subjectId, category, keyId, fields);
  return { parts: sealValueParts(key, values, tag), tag, length: values.length };
}

/** The values a box holds, in its fields' order; throws as `openValueParts` does. */
export function openBox(box: PreparedBox, key: Uint8Array): unknown[] {
  const values = openValueParts(key, box.parts, box.tag);
  if (!Array.isArray(values) || values.length !== box.length) throw new VaultError('CIPHERTEXT_INVALID', 'A category box holds the wrong number of values');
  return values;
}

/** Opens a field's current value with an already-loaded key. */
export function openField(subjectId: string, category: string, field: string, f: FieldState, key: Uint8Array): unknown {
  return openValue(key, f.value, valueContext(subjectId, category, field, f.eventId));
}
