import { createRequire } from 'node:module';

import nacl from 'tweetnacl';

/**
 * XSalsa20-Poly1305 (`crypto_secretbox`). tweetnacl is the reference implementation; when
 * sodium-native loads (it ships prebuilt binaries), the same construction runs natively, several
 * times faster, with byte-identical output (a unit test holds the two to that). Set
 * `VAULT_CRYPTO=tweetnacl` to force the pure-JS path.
 */
export interface SecretBox {
  readonly implementation: 'sodium-native' | 'tweetnacl';
  /** The box of `message` written into `out`, exactly message length + MAC bytes (the envelope frames it). */
  sealInto(out: Uint8Array, message: Uint8Array, nonce: Uint8Array, key: Uint8Array): void;
  /** null when authentication fails. */
  open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
}

interface Sodium {
  crypto_secretbox_MACBYTES: number;
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
}

export const tweetnaclBox: SecretBox = {
  implementation: 'tweetnacl',
  sealInto: (out, m, n, k) => out.set(nacl.secretbox(m, n, k)),
  open: (c, n, k) => nacl.secretbox.open(c, n, k),
};

function sodiumBox(sodium: Sodium): SecretBox {
  const mac = sodium.crypto_secretbox_MACBYTES;
  return {
    implementation: 'sodium-native',
    sealInto: (out, m, n, k) => sodium.crypto_secretbox_easy(out, m, n, k),
    open: (c, n, k) => {
      if (c.length < mac) return null;
      const m = Buffer.allocUnsafe(c.length - mac);
      return sodium.crypto_secretbox_open_easy(m, c, n, k) ? m : null;
    },
  };
}

function load(): SecretBox {
  if (process.env.VAULT_CRYPTO === 'tweetnacl') return tweetnaclBox;
  try {
    return sodiumBox(createRequire(import.meta.url)('sodium-native') as Sodium);
  } catch {
    return tweetnaclBox;
  }
}

export const secretbox: SecretBox = load();
