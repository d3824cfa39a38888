import { badInput } from './errors.js';
import { unknownName } from './names.js';
import type { ValueType } from './register.js';

/**
 * Validation and normalisation of values by register type. Error messages name the type and
 * the path, never the value: the value is personal data.
 */

const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]{2,}$/u;
const E164 = /^\+[1-9]\d{6,14}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MAX_STRING = 1_000;
const MAX_FREE_TEXT = 20_000;
const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

export type PlainValue = string | number | boolean | Record<string, string>;

/**
 * Composes (NFC: a decomposed `é` is the same address as a composed one), lower-cases and trims;
 * internal spaces are never valid in an address.
 */
export function normaliseEmail(raw: string): string {
  return raw.normalize('NFC').trim().toLowerCase();
}

/** E.164: `+` and digits only. Accepts spaces, dashes, dots, parentheses and a leading `00`. */
export function normalisePhone(raw: string): string {
  let s = raw.trim().replace(/[\s\-.()/]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  return s;
}

// A lone UTF-16 surrogate (not a character: it would be stored and hashed as U+FFFD, so different
// inputs would meet in the blind index), a control character, and for identifiers also the
// invisible characters (format characters such as the zero-width space, joiners and bidi marks,
// and every other default-ignorable one: variation selectors, the combining grapheme joiner,
// Hangul fillers) that make two addresses look alike.
const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_LINES = /[^\P{Cc}\t\n\r]/u;
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/**
 * Refuses text that is not clean Unicode for its kind; `lines`: tabs and line breaks are allowed (text, not
 * identifiers).
 */
export function checkText(s: string, what: string, path: string, { lines = false, identifier = false } = {}): string {
  if (LONE_SURROGATE.test(s)) throw badInput(`A ${what} must be valid Unicode text (it holds a lone surrogate)`, path);
  if ((lines ? CONTROL_BUT_LINES : CONTROL).test(s)) throw badInput(`A ${what} must not hold control characters`, path);
  if (identifier && INVISIBLE.test(s)) throw badInput(`A ${what} must not hold invisible formatting characters`, path);
  return s;
}

function expectString(v: unknown, type: ValueType, path: string, max: number): string {
  if (typeof v !== 'string') throw badInput(`Expected a ${type} (string)`, path);
  const s = v.trim();
  if (s.length === 0) throw badInput(`A ${type} must not be empty`, path);
  if (s.length > max) throw badInput(`A ${type} must be at most ${max} characters`, path);
  const identifier = type === 'email' || type === 'phone';
  return checkText(s, type, path, { lines: !identifier, identifier });
}

/** Returns the value to store (normalised where the type has one canonical form). */
export function validateValue(type: ValueType, v: unknown, path: string): PlainValue {
  switch (type) {
    case 'email': {
      const s = normaliseEmail(expectString(v, type, path, 254));
      if (!EMAIL.test(s)) throw badInput('Malformed email address', path);
      return s;
    }
    case 'phone': {
      const s = normalisePhone(expectString(v, type, path, 40));
      if (!E164.test(s)) throw badInput('Malformed phone number: use international format, e.g. +31 20 123 4567', path);
      return s;
    }
    case 'string':
      return expectString(v, type, path, MAX_STRING);
    case 'freeText':
      return expectString(v, type, path, MAX_FREE_TEXT);
    case 'date': {
      const s = expectString(v, type, path, 10);
      const m = DATE.exec(s);
      const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
      if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
        throw badInput('Malformed date: use YYYY-MM-DD', path);
      }
      return s;
    }
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw badInput('Expected a finite number', path);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw badInput('Expected a boolean', path);
      return v;
    case 'address':
      return validateRecord(v, path, ['street', 'houseNumber', 'postalCode', 'city', 'region', 'country'], 'address');
    case 'document': {
      const doc = validateRecord(v, path, ['name', 'mediaType', 'contentBase64'], 'document');
      if (!doc.mediaType || !doc.contentBase64) throw badInput('A document needs mediaType and contentBase64', path);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(doc.contentBase64))
        throw badInput('document.contentBase64 is not base64', `${path}.contentBase64`);
      if ((doc.contentBase64.length * 3) / 4 > MAX_DOCUMENT_BYTES)
        throw badInput(`A document must be at most ${MAX_DOCUMENT_BYTES} bytes`, path);
      return doc;
    }
  }
}

function validateRecord(v: unknown, path: string, keys: string[], type: string): Record<string, string> {
  if (typeof v === 'string') {
    if (type === 'address') return { street: expectString(v, 'address', path, MAX_STRING) };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badInput(`Expected a ${type} object`, path);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (!keys.includes(k)) throw unknownName(`${type} property`, keys, path);
    if (typeof x !== 'string') throw badInput(`${type}.${k} must be a string`, `${path}.${k}`);
    if (x.trim() !== '')
      out[k] = k === 'contentBase64' ? x : checkText(x.trim(), `${type}.${k}`, `${path}.${k}`, { lines: true });
  }
  if (Object.keys(out).length === 0) throw badInput(`A ${type} must not be empty`, path);
  return out;
}

/** The form a lookup value takes before it is hashed into the blind index. */
export function lookupForm(type: ValueType, v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (type === 'email') return `email:${normaliseEmail(v)}`;
  if (type === 'phone') return `phone:${normalisePhone(v)}`;
  return `${type}:${v.trim().toLowerCase()}`;
}
