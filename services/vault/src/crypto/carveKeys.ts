import { ENVELOPE_V1 } from './envelope.js';
import { secretbox } from './secretbox.js';

/** A wrapped data key of the local custody: version byte, nonce (24), box of tag (16) and key (32). */
const WRAPPED_BYTES = 1 + 24 + 16 + 16 + 32;

export interface CarvedKey {
  /** Whose key it is: the owner the tag names. */
  owner: string;
  epoch: number;
  offset: number;
  key: Uint8Array;
}

/**
 * Carves `bytes` for wrapped keys, as an attacker holding the KEKs would: every offset where an
 * envelope could start is opened under every KEK, and an opened box whose sealed tag is one of
 * `tags` (hex of the 16-byte tag, mapped to whose it is) is a recovered key. Pure: no I/O.
 */
export function carveWrappedKeys(
  bytes: Uint8Array,
  keks: readonly { epoch: number; kek: Uint8Array }[],
  tags: ReadonlyMap<string, string>,
): CarvedKey[] {
  const found: CarvedKey[] = [];
  for (let i = 0; i + WRAPPED_BYTES <= bytes.length; i++) {
    if (bytes[i] !== ENVELOPE_V1) continue;
    const nonce = bytes.subarray(i + 1, i + 25);
    const box = bytes.subarray(i + 25, i + WRAPPED_BYTES);
    for (const { epoch, kek } of keks) {
      const inner = secretbox.open(box, nonce, kek);
      if (!inner) continue;
      const owner = tags.get(Buffer.from(inner.subarray(0, 16)).toString('hex'));
      if (owner !== undefined) found.push({ owner, epoch, offset: i, key: new Uint8Array(inner.subarray(16)) });
    }
  }
  return found;
}
