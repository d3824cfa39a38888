import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';

import { isVaultError } from '../domain/errors.js';
import { openValue, seal, sealValue, valueContext } from './envelope.js';
import { parseMasterKeys } from './masterKey.js';

const key = nacl.randomBytes(32);
const ctx = valueContext('s1', 'contact', 'email', 'e1');

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isVaultError(e) ? e.code : 'not a vault error';
  }
  return undefined;
};

describe('sealed values', () => {
  it('round-trips a value and uses a fresh nonce each time', () => {
    const a = sealValue(key, 'ada@example.com', ctx);
    const b = sealValue(key, 'ada@example.com', ctx);
    expect(a).not.toBe(b);
    expect(openValue(key, a, ctx)).toBe('ada@example.com');
  });

  it('never repeats a nonce across refills of the nonce pool, and what was sealed before a refill still opens', () => {
    const nonces = new Set<string>();
    const boxes: Uint8Array[] = [];
    for (let i = 0; i < 1000; i++) {
      const box = Buffer.from(sealValue(key, i, ctx), 'base64url');
      boxes.push(box);
      nonces.add(box.subarray(1, 25).toString('hex'));
    }
    expect(nonces.size).toBe(1000);
    // Sealing more (and refilling the pool) leaves what was sealed before openable.
    expect(boxes.map((b) => openValue(key, Buffer.from(b).toString('base64url'), ctx))).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    );
  });

  it('rejects a tampered ciphertext', () => {
    const sealed = Buffer.from(sealValue(key, 'ada@example.com', ctx), 'base64url');
    sealed[sealed.length - 3]! ^= 0x01;
    expect(code(() => openValue(key, sealed.toString('base64url'), ctx))).toBe('CIPHERTEXT_INVALID');
  });

  it('rejects a truncated or unversioned envelope', () => {
    const sealed = Buffer.from(sealValue(key, 'x', ctx), 'base64url');
    expect(code(() => openValue(key, sealed.subarray(0, 20).toString('base64url'), ctx))).toBe('CIPHERTEXT_INVALID');
    sealed[0] = 0x02;
    expect(code(() => openValue(key, sealed.toString('base64url'), ctx))).toBe('CIPHERTEXT_INVALID');
  });

  it('rejects a ciphertext transplanted to another subject, category, field or event', () => {
    const sealed = sealValue(key, 'ada@example.com', ctx);
    for (const other of [
      valueContext('s2', 'contact', 'email', 'e1'),
      valueContext('s1', 'marketing', 'email', 'e1'),
      valueContext('s1', 'contact', 'phone', 'e1'),
      valueContext('s1', 'contact', 'email', 'e2'),
    ]) {
      expect(code(() => openValue(key, sealed, other))).toBe('CONTEXT_MISMATCH');
    }
  });

  it('writes the version 1 format: 0x01, the nonce, then secretbox(context tag | UTF-8 JSON) under the key', () => {
    for (const value of ['ada@example.com', { n: 1, s: 'Zoë' }, 42, null]) {
      const sealed = Buffer.from(sealValue(key, value, ctx), 'base64url');
      const nonce = sealed.subarray(1, 25);
      // The reference: tweetnacl's secretbox over the tag and the JSON text.
      const expected = nacl.secretbox(Buffer.concat([ctx, Buffer.from(JSON.stringify(value), 'utf8')]), nonce, key);
      expect(sealed[0]).toBe(0x01);
      expect(sealed.subarray(25).equals(Buffer.from(expected))).toBe(true);
    }
    const wrapped = seal(key, Buffer.from('a secret'), ctx);
    expect(
      Buffer.from(wrapped.subarray(25)).equals(
        Buffer.from(nacl.secretbox(Buffer.concat([ctx, Buffer.from('a secret')]), wrapped.subarray(1, 25), key)),
      ),
    ).toBe(true);
    // Its own memory, not a slice of Node's shared buffer pool.
    expect([wrapped.byteOffset, wrapped.buffer.byteLength]).toEqual([0, wrapped.length]);
  });

  it('refuses a value that JSON cannot carry, instead of sealing something that never opens', () => {
    for (const v of [undefined, () => 1, Symbol('s')])
      expect(code(() => sealValue(key, v, ctx))).toBe('BAD_USER_INPUT');
    // Non-ASCII text is sealed by its UTF-8 bytes.
    expect(openValue(key, sealValue(key, { name: 'Zoë Łukasz 李' }, ctx), ctx)).toEqual({ name: 'Zoë Łukasz 李' });
  });

  it('rejects a ciphertext under another key', () => {
    expect(code(() => openValue(nacl.randomBytes(32), sealValue(key, 'x', ctx), ctx))).toBe('CIPHERTEXT_INVALID');
  });
});

describe('master keys', () => {
  it('parses one key as version 1 and a rotation list with the highest version current', () => {
    const k1 = Buffer.alloc(32, 1).toString('base64');
    const k2 = Buffer.alloc(32, 2).toString('base64');
    expect(parseMasterKeys(k1, 'env').current).toBe(1);
    const both = parseMasterKeys(`v2:${k2},v1:${k1}`, 'env');
    expect(both.current).toBe(2);
    expect(both.keys.size).toBe(2);
  });
  it('rejects a key of the wrong length without echoing it', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    try {
      parseMasterKeys(short, 'VAULT_MASTER_KEY');
      throw new Error('accepted');
    } catch (e) {
      expect(isVaultError(e, 'CONFIG_INVALID')).toBe(true);
      expect(String((e as Error).message)).not.toContain(short);
    }
  });
});

describe('secretbox implementations', () => {
  it('produce byte-identical boxes and open each other', async () => {
    const { secretbox, tweetnaclBox } = await import('./secretbox.js');
    const nonce = nacl.randomBytes(24);
    for (const size of [0, 1, 64, 1000]) {
      const m = nacl.randomBytes(size);
      const sealed = (box: typeof secretbox) => {
        const out = new Uint8Array(size + 16);
        box.sealInto(out, m, nonce, key);
        return out;
      };
      const a = sealed(secretbox);
      const b = sealed(tweetnaclBox);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      expect(Buffer.from(tweetnaclBox.open(a, nonce, key)!).equals(Buffer.from(m))).toBe(true);
      expect(Buffer.from(secretbox.open(b, nonce, key)!).equals(Buffer.from(m))).toBe(true);
      // Sealing into a caller's buffer (the envelope frames its box that way) gives the same bytes.
      for (const box of [secretbox, tweetnaclBox]) {
        const out = Buffer.alloc(size + 16 + 3);
        box.sealInto(out.subarray(2, 2 + size + 16), m, nonce, key);
        expect(out.subarray(2, 2 + size + 16).equals(Buffer.from(b))).toBe(true);
        expect([out[0], out[1], out[out.length - 1]]).toEqual([0, 0, 0]);
      }
    }
    expect(secretbox.open(nacl.randomBytes(40), nonce, key)).toBeNull();
  });
});
