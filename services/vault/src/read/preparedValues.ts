import {
  contextTag,
  type EnvelopeParts,
  envelopeParts,
  openValue,
  openValueParts,
  sealValueParts,
  valueContext,
} from '../crypto/envelope.js';
import { VaultError } from '../domain/errors.js';
import type { FieldState } from '../domain/state.js';

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

export const openPrepared = (p: PreparedField, key: Uint8Array): unknown =>
  p.parts ? openValueParts(key, p.parts, p.tag) : openValue(key, p.sealed, p.tag);

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

const boxContext = (
  subjectId: string,
  category: string,
  keyId: string,
  fields: readonly { field: string; eventId: string }[],
): Uint8Array =>
  contextTag('pdv/reader-box/v1', [subjectId, category, keyId, ...fields.flatMap((f) => [f.field, f.eventId])]);

/** `values[i]` is the opened value of `fields[i]`. */
export function sealBox(
  subjectId: string,
  category: string,
  keyId: string,
  fields: readonly { field: string; eventId: string }[],
  values: readonly unknown[],
  key: Uint8Array,
): PreparedBox {
  const tag = boxContext(subjectId, category, keyId, fields);
  return { parts: sealValueParts(key, values, tag), tag, length: values.length };
}

/** The values a box holds, in its fields' order; throws as `openValueParts` does. */
export function openBox(box: PreparedBox, key: Uint8Array): unknown[] {
  const values = openValueParts(key, box.parts, box.tag);
  if (!Array.isArray(values) || values.length !== box.length)
    throw new VaultError('CIPHERTEXT_INVALID', 'A category box holds the wrong number of values');
  return values;
}
