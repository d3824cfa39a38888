import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

import { getPkcs11KekProvider, type Pkcs11KekProviderOptions } from '../../services/vault/src/adapters/pkcs11/index.js';
import type { KekProvider } from '../../services/vault/src/ports/KekProvider.js';
import { describeKekProviderContract } from './kekProvider.contract.js';

/**
 * The KekProvider contract and the HSM's own guarantees against SoftHSM2, on a token made for this
 * run in a temp dir. Without SoftHSM2 the suite is skipped, with the reason in its name
 * (`node scripts/softhsm.mjs ensure` installs it when run as root).
 */
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
type Pkcs11js = typeof import('pkcs11js');
type SoftHsmHelper = { initToken(dir: string): { conf: string; label: string; pin: string } };

const reason = existsSync(MODULE)
  ? undefined
  : `SoftHSM2 is not installed (${MODULE} is missing): run node scripts/softhsm.mjs ensure as root`;

if (reason) {
  console.warn(`pkcs11 suite skipped: ${reason}`);
  describe.skip(`PKCS#11 KEK provider on SoftHSM2 (skipped: ${reason})`, () => {
    it('runs the KekProvider contract and the HSM attribute checks', () => {});
  });
} else {
  // The token, and SOFTHSM2_CONF pointing at it, exist before anything here initialises the module.
  const dir = await mkdtemp(join(tmpdir(), 'pdv-softhsm-'));
  const helper = fileURLToPath(new URL('../../scripts/softhsm.mjs', import.meta.url));
  const token = ((await import(helper)) as SoftHsmHelper).initToken(dir);
  process.env.SOFTHSM2_CONF = token.conf;
  const pkcs11 = createRequire(import.meta.url)('pkcs11js') as Pkcs11js;

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // A label prefix per provider: every test sees a token with no KEK of its own yet.
  const optionsForTest = (): Pkcs11KekProviderOptions => ({
    slot: token.label,
    pin: token.pin,
    labelPrefix: `pdv-kek-${randomBytes(4).toString('hex')}-`,
  });

  describeKekProviderContract('pkcs11 (SoftHSM2)', async () => {
    const options = optionsForTest();
    let current = getPkcs11KekProvider(options);
    return {
      provider: current,
      reopen: async () => (current = getPkcs11KekProvider(options)),
      cleanup: () => current.close(),
    };
  });

  /**
   * Runs `fn` in a session of its own, as another user of the module in this process would: the
   * module may be initialised already (by a provider), and only then is finalising left to it.
   */
  type Lib = InstanceType<Pkcs11js['PKCS11']>;
  async function inToken<T>(fn: (lib: Lib, session: Buffer) => T | Promise<T>): Promise<T> {
    const lib = new pkcs11.PKCS11();
    lib.load(MODULE);
    let initialisedHere = true;
    try {
      lib.C_Initialize();
    } catch (e) {
      if ((e as { code?: number }).code !== pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
      initialisedHere = false;
    }
    try {
      const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === token.label)!;
      const session = lib.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION);
      try {
        try {
          lib.C_Login(session, pkcs11.CKU_USER, token.pin);
        } catch (e) {
          if ((e as { code?: number }).code !== pkcs11.CKR_USER_ALREADY_LOGGED_IN) throw e;
        }
        return await fn(lib, session);
      } finally {
        lib.C_CloseSession(session);
      }
    } finally {
      if (initialisedHere) lib.C_Finalize();
      lib.close();
    }
  }

  const findByLabel = (lib: Lib, session: Buffer, label: string) => {
    lib.C_FindObjectsInit(session, [{ type: pkcs11.CKA_LABEL, value: label }]);
    try {
      return lib.C_FindObjects(session, 10);
    } finally {
      lib.C_FindObjectsFinal(session);
    }
  };

  const flag = (value: Buffer | undefined) => value?.[0] === 1;
  const attribute = (name: string) => pkcs11[`CKA_${name}` as keyof Pkcs11js] as number;
  // LOCAL, ALWAYS_SENSITIVE and NEVER_EXTRACTABLE are the token's word that the key was born in it and never left.
  const TRUE_ATTRIBUTES = [
    ...['TOKEN', 'SENSITIVE', 'PRIVATE', 'ALWAYS_SENSITIVE', 'NEVER_EXTRACTABLE', 'LOCAL'],
    ...['ENCRYPT', 'DECRYPT'],
  ];
  const FALSE_ATTRIBUTES = ['EXTRACTABLE', 'WRAP', 'UNWRAP', 'DERIVE'];
  const withCode = (c: string) => expect.objectContaining({ code: c });

  describe('PKCS#11 KEK provider on SoftHSM2: what the token guarantees', () => {
    let options: Pkcs11KekProviderOptions;
    let provider: KekProvider;
    beforeEach(() => {
      options = optionsForTest();
      provider = getPkcs11KekProvider(options);
    });
    afterEach(async () => {
      await provider.close();
    });

    it('generates each KEK inside the token as a sensitive, never extractable, private AES-256 object', async () => {
      await provider.create(1);
      const attrs = await inToken((lib, session) => {
        const [kek, ...more] = findByLabel(lib, session, `${options.labelPrefix}1`);
        expect(more).toEqual([]);
        const names = ['CLASS', 'KEY_TYPE', 'VALUE_LEN', ...TRUE_ATTRIBUTES, ...FALSE_ATTRIBUTES];
        const read = names.map((name) => ({ type: attribute(name) }));
        return new Map(lib.C_GetAttributeValue(session, kek!, read).map((a) => [a.type, a.value]));
      });
      expect(attrs.get(pkcs11.CKA_CLASS)!.readUInt32LE()).toBe(pkcs11.CKO_SECRET_KEY);
      expect(attrs.get(pkcs11.CKA_KEY_TYPE)!.readUInt32LE()).toBe(pkcs11.CKK_AES);
      expect(attrs.get(pkcs11.CKA_VALUE_LEN)!.readUInt32LE()).toBe(32);
      for (const name of TRUE_ATTRIBUTES) expect(flag(attrs.get(attribute(name))), `CKA_${name}`).toBe(true);
      for (const name of FALSE_ATTRIBUTES) expect(flag(attrs.get(attribute(name))), `CKA_${name}`).toBe(false);
    });

    it('never gives the key value out: reading CKA_VALUE and wrapping the KEK are both refused', async () => {
      await provider.create(1);
      await inToken((lib, session) => {
        const [kek] = findByLabel(lib, session, `${options.labelPrefix}1`);
        const value = [{ type: pkcs11.CKA_VALUE }];
        expect(() => lib.C_GetAttributeValue(session, kek!, value)).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
        const wrapping = lib.C_GenerateKey(session, { mechanism: pkcs11.CKM_AES_KEY_GEN }, [
          { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_SECRET_KEY },
          { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_AES },
          { type: pkcs11.CKA_VALUE_LEN, value: 32 },
          { type: pkcs11.CKA_TOKEN, value: false },
          { type: pkcs11.CKA_WRAP, value: true },
        ]);
        const out = Buffer.alloc(64);
        const keyWrap = { mechanism: pkcs11.CKM_AES_KEY_WRAP };
        expect(() => lib.C_WrapKey(session, keyWrap, wrapping, kek!, out)).toThrow(/CKR_KEY_UNEXTRACTABLE/);
      });
    });

    it('keeps one object per epoch, and removes it from the token on destroy, and nothing else', async () => {
      await provider.create(1);
      await provider.create(1);
      await provider.create(2);
      await inToken((lib, session) => expect(findByLabel(lib, session, `${options.labelPrefix}1`)).toHaveLength(1));
      await provider.destroy(1);
      await inToken((lib, session) => {
        expect(findByLabel(lib, session, `${options.labelPrefix}1`)).toEqual([]);
        expect(findByLabel(lib, session, `${options.labelPrefix}2`)).toHaveLength(1);
      });
    });

    it('wraps a 32-byte key into version 0x02, a 12-byte IV and ciphertext with a 16-byte tag', async () => {
      await provider.create(1);
      const [w] = await provider.wrap(1, [{ key: new Uint8Array(32), aad: new Uint8Array([1]) }]);
      expect(w!.length).toBe(1 + 12 + 32 + 16);
      expect(w![0]).toBe(0x02);
    });

    it('shares the module with other users in the process: closing leaves their sessions working', async () => {
      await provider.create(1);
      await provider.close();
      await inToken(async (lib, session) => {
        const other = getPkcs11KekProvider(options);
        expect(await other.epochs()).toEqual([1]);
        await other.close();
        expect(findByLabel(lib, session, `${options.labelPrefix}1`)).toHaveLength(1);
      });
      provider = getPkcs11KekProvider(options);
      expect(await provider.epochs()).toEqual([1]);
    });

    it('finds the token by slot index as well as by label', async () => {
      const byIndex = getPkcs11KekProvider({ ...options, slot: 0 });
      try {
        await provider.create(4);
        expect(await byIndex.epochs()).toEqual([4]);
      } finally {
        await byIndex.close();
      }
    });

    it('refuses a wrong PIN, an unknown token and a missing module without naming the PIN', async () => {
      await provider.close();
      const wrongPin = '98765';
      let error: unknown;
      try {
        getPkcs11KekProvider({ ...options, pin: wrongPin });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('CKR_PIN_INCORRECT') });
      expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(wrongPin);
      expect(() => getPkcs11KekProvider({ ...options, slot: 'no-such-token' })).toThrow(withCode('CONFIG_INVALID'));
      expect(() => getPkcs11KekProvider({ ...options, slot: 7 })).toThrow(withCode('CONFIG_INVALID'));
      const missingModule = { ...options, modulePath: join(dir, 'missing.so') };
      expect(() => getPkcs11KekProvider(missingModule)).toThrow(withCode('STORE_UNAVAILABLE'));
      provider = getPkcs11KekProvider(options);
      await expect(provider.epochs()).resolves.toEqual([]);
    });

    it('refuses every call after close with STORE_UNAVAILABLE, and closes idempotently', async () => {
      await provider.create(1);
      await provider.close();
      await provider.close();
      await expect(provider.epochs()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      const item = { key: new Uint8Array(32), aad: new Uint8Array() };
      await expect(provider.wrap(1, [item])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });
  });
}
