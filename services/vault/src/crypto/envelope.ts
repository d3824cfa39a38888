import { hash, randomFillSync } from 'node:crypto';

import nacl from 'tweetnacl';

import { VaultError } from '../domain/errors.js';
import { secretbox } from './secretbox.js';

/**
 * The sealed-value envelope, version 1:
 *
 *   0x01 | nonce (24 bytes, fresh and random) | secretbox( contextTag (16) | plaintext )
 *
 * secretbox has no associated data, so the context (what the bytes belong to: subject,
 * category, field, event) is bound by sealing a digest of it inside the box. Tampering fails
 * the MAC (CIPHERTEXT_INVALID); a ciphertext moved to another context opens, if at all, to the
 * wrong tag (CONTEXT_MISMATCH). The version byte lets a later format coexist with this one.
 */
export const ENVELOPE_V1 = 0x01;
const TAG_BYTES = 16;
const HEADER = 1 + nacl.secretbox.nonceLength;

export function contextTag(domain: string, context: readonly string[]): Uint8Array {
  // One-shot hash: several times cheaper than a Hash object, and this runs once per value.
  return hash('sha256', `${domain}\u0000${context.join('\u0000')}`, 'buffer').subarray(0, TAG_BYTES);
}

// Nonces come from the system CSPRNG in blocks: one call per 170 seals instead of one each.
// A nonce is public (it is stored next to the box); it only has to be unique, which 24 random bytes are.
const NONCE_POOL = Buffer.alloc(nacl.secretbox.nonceLength * 170);
let noncesUsed = NONCE_POOL.length;

/** A version 1 envelope around `inner` (context tag first), built in one buffer: header, fresh nonce, box. */
function sealInner(key: Uint8Array, inner: Uint8Array): Buffer {
  if (noncesUsed === NONCE_POOL.length) {
    randomFillSync(NONCE_POOL);
    noncesUsed = 0;
  }
  const out = Buffer.allocUnsafe(HEADER + nacl.secretbox.overheadLength + inner.length);
  out[0] = ENVELOPE_V1;
  // Copied out of the pool: its bytes are overwritten at the next refill.
  NONCE_POOL.copy(out, 1, noncesUsed, noncesUsed + nacl.secretbox.nonceLength);
  noncesUsed += nacl.secretbox.nonceLength;
  secretbox.sealInto(out.subarray(HEADER), inner, out.subarray(1, HEADER), key);
  return out;
}

/** An envelope of its own (not a slice of Node's shared buffer pool): wrapped keys and secrets are kept and stored. */
export function seal(key: Uint8Array, plaintext: Uint8Array, tag: Uint8Array): Uint8Array {
  const inner = Buffer.allocUnsafe(TAG_BYTES + plaintext.length);
  inner.set(tag, 0);
  inner.set(plaintext, TAG_BYTES);
  const out = new Uint8Array(sealInner(key, inner));
  inner.fill(0);
  return out;
}

/** An envelope's nonce and box, split once (a reader that opens the same envelope often keeps them). */
export interface EnvelopeParts {
  nonce: Uint8Array;
  box: Uint8Array;
}

export function envelopeParts(envelope: Uint8Array, what = 'sealed value'): EnvelopeParts {
  if (envelope.length < HEADER + nacl.secretbox.overheadLength + TAG_BYTES || envelope[0] !== ENVELOPE_V1) {
    throw new VaultError('CIPHERTEXT_INVALID', `The ${what} is not a version 1 envelope`);
  }
  return { nonce: envelope.subarray(1, HEADER), box: envelope.subarray(HEADER) };
}

/** The opened box, context tag still in front (`TAG_BYTES`), after checking the tag. */
function openParts(key: Uint8Array, { nonce, box }: EnvelopeParts, tag: Uint8Array, what: string): Uint8Array {
  const inner = secretbox.open(box, nonce, key);
  if (!inner)
    throw new VaultError('CIPHERTEXT_INVALID', `The ${what} failed authentication (tampered, or under another key)`);
  for (let i = 0; i < TAG_BYTES; i++) {
    if (inner[i] !== tag[i])
      throw new VaultError(
        'CONTEXT_MISMATCH',
        `The ${what} belongs to another context (subject, category, field or event)`,
      );
  }
  return inner;
}

export function open(key: Uint8Array, envelope: Uint8Array, tag: Uint8Array, what = 'sealed value'): Uint8Array {
  return openParts(key, envelopeParts(envelope, what), tag, what).subarray(TAG_BYTES);
}

const decoder = new TextDecoder();

/** Context of a personal-data value: the event that carried it. */
export const valueContext = (subjectId: string, category: string, field: string, eventId: string): Uint8Array =>
  contextTag('pdv/value/v1', [subjectId, category, field, eventId]);

/** The envelope of `value` as JSON, handed to `use` (a pool slice, valid only during the call). */
function withSealedJson<T>(key: Uint8Array, value: unknown, tag: Uint8Array, use: (envelope: Buffer) => T): T {
  const json = JSON.stringify(value) as string | undefined;
  // undefined, a function or a symbol: nothing that could be opened again.
  if (json === undefined) throw new VaultError('BAD_USER_INPUT', 'A sealed value must be representable as JSON');
  // The JSON written straight behind the tag: no intermediate encoding or copies.
  const inner = Buffer.allocUnsafe(TAG_BYTES + Buffer.byteLength(json));
  inner.set(tag, 0);
  inner.write(json, TAG_BYTES);
  try {
    return use(sealInner(key, inner));
  } finally {
    // The plaintext's bytes do not stay behind in the pool slab that other buffers share.
    inner.fill(0);
  }
}

export function sealValue(key: Uint8Array, value: unknown, tag: Uint8Array): string {
  return withSealedJson(key, value, tag, (envelope) => envelope.toString('base64url'));
}

/**
 * `sealValue` split into its parts, in bytes of their own (not a slice of Node's shared pool, which
 * a long-kept slice would hold whole): for an envelope kept in memory and opened with `openValueParts`.
 */
export function sealValueParts(key: Uint8Array, value: unknown, tag: Uint8Array): EnvelopeParts {
  return envelopeParts(withSealedJson(key, value, tag, (envelope) => new Uint8Array(envelope)));
}

export function openValue(key: Uint8Array, sealed: string, tag: Uint8Array): unknown {
  return openValueParts(key, envelopeParts(Buffer.from(sealed, 'base64url')), tag);
}

/** `openValue` for an envelope already decoded from its base64url text and split (a reader that keeps them). */
export function openValueParts(key: Uint8Array, parts: EnvelopeParts, tag: Uint8Array): unknown {
  const inner = openParts(key, parts, tag, 'sealed value');
  // sodium-native answers with a Buffer, whose own UTF-8 decoding is the cheaper one for short text.
  return JSON.parse(
    Buffer.isBuffer(inner) ? inner.toString('utf8', TAG_BYTES) : decoder.decode(inner.subarray(TAG_BYTES)),
  );
}
