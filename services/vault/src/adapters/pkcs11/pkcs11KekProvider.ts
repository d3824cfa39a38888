import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

import type { PKCS11 } from 'pkcs11js';

import { badInput, isVaultError, VaultError } from '../../domain/errors.js';
import type { KekProvider } from '../../ports/KekProvider.js';

type Pkcs11js = typeof import('pkcs11js');
type Handle = Buffer;

export interface Pkcs11KekProviderOptions {
  /**
   * Path of the PKCS#11 module (the shared library the HSM's vendor ships).
   * Default: `/usr/lib/softhsm/libsofthsm2.so` (SoftHSM2 as Debian installs it).
   */
  modulePath?: string;
  /**
   * The token: an index into the slots that hold a token, in the order the module lists them, or
   * the token's label. Default: `0`.
   */
  slot?: number | string;
  /** The user PIN. No default. Used once, to log in: it is not kept, logged or put in an error. */
  pin: string;
  /**
   * Prefix of the KEK objects' labels: the KEK of epoch e is labelled `<labelPrefix><e>`. Vaults
   * that share a token need prefixes of their own. Default: `'pdv-kek-'`.
   */
  labelPrefix?: string;
}

export const DEFAULT_PKCS11_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const DEFAULT_KEK_LABEL_PREFIX = 'pdv-kek-';

const FORMAT_GCM = 0x02;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// A batch of a whole re-keying would otherwise hold the event loop for as long as the HSM takes.
const YIELD_EVERY = 1024;
// PKCS#11 3.0's code for a failed AEAD tag; pkcs11js (2.30 constants) does not name it.
const CKR_AEAD_DECRYPT_FAILED = 0x35;

/** One loaded module per path in a process: a second C_Initialize of the same library is refused. */
const libraries = new Map<string, { lib: PKCS11; users: number; initialisedHere: boolean }>();

/**
 * KEKs held by an HSM through PKCS#11: each epoch's KEK is a 256-bit AES key generated inside the
 * token as a sensitive, non-extractable token object, so wrapping and unwrapping (AES-GCM) happen
 * inside the HSM and destroying the object destroys the only copy. Opens one logged-in session
 * now; `close()` ends it (and finalises the module once no provider in the process uses it).
 * Throws STORE_UNAVAILABLE when the module does not load or the token refuses the PIN, and
 * CONFIG_INVALID when the slot does not exist.
 */
// One closure over the PKCS#11 session and its key handles; each method in it is short.
// eslint-disable-next-line max-lines-per-function -- see above
export function getPkcs11KekProvider(options: Pkcs11KekProviderOptions): KekProvider {
  const modulePath = options.modulePath ?? DEFAULT_PKCS11_MODULE;
  const prefix = options.labelPrefix ?? DEFAULT_KEK_LABEL_PREFIX;
  const api = loadPkcs11js();

  /** The one place a PKCS#11 failure becomes a vault error: the call and its CKR code, nothing else. */
  const p11 = <T>(call: string, fn: () => T, path?: string): T => {
    try {
      return fn();
    } catch (e) {
      if (isVaultError(e)) throw e;
      const code = (e as { code?: unknown }).code;
      const ckr = e instanceof api.Pkcs11Error && /^CKR_\w+$/.test(e.message) ? e.message : undefined;
      // SoftHSM2 reports a failed GCM tag as CKR_GENERAL_ERROR; other tokens use the data codes.
      const tagFailures = [
        api.CKR_ENCRYPTED_DATA_INVALID,
        api.CKR_ENCRYPTED_DATA_LEN_RANGE,
        CKR_AEAD_DECRYPT_FAILED,
        api.CKR_GENERAL_ERROR,
      ];
      if (call === 'C_Decrypt' && ckr && tagFailures.includes(code as number)) {
        const message = 'A wrapped key failed authentication: tampered, or wrapped for another context or epoch';
        throw new VaultError('CIPHERTEXT_INVALID', message, { path });
      }
      if (code === api.CKR_KEY_HANDLE_INVALID || code === api.CKR_OBJECT_HANDLE_INVALID) {
        throw new VaultError('KEK_UNAVAILABLE', 'The KEK was destroyed while the call was using it', { path });
      }
      const reason = ckr ?? (call === 'load' ? `cannot load the module ${modulePath}` : 'the PKCS#11 binding failed');
      const details = { call, ...(ckr && { ckr }) };
      throw new VaultError('STORE_UNAVAILABLE', `The HSM refused ${call}: ${reason}`, { details });
    }
  };

  const library = acquire(api, modulePath, p11);
  let session: Handle;
  try {
    const slot = pickSlot(library.lib, options.slot ?? 0, p11);
    session = p11('C_OpenSession', () => library.lib.C_OpenSession(slot, api.CKF_SERIAL_SESSION | api.CKF_RW_SESSION));
    try {
      // Login is per token and process: another provider's session may have logged in already.
      p11('C_Login', () => {
        try {
          library.lib.C_Login(session, api.CKU_USER, options.pin);
        } catch (e) {
          if ((e as { code?: unknown }).code !== api.CKR_USER_ALREADY_LOGGED_IN) throw e;
        }
      });
    } catch (e) {
      closeQuietly(() => library.lib.C_CloseSession(session));
      throw e;
    }
  } catch (e) {
    closeQuietly(() => release(modulePath, p11));
    throw e;
  }
  const lib = library.lib;
  let closed = false;
  let ivHonoured = false;

  const checkOpen = () => {
    if (closed) throw new VaultError('STORE_UNAVAILABLE', 'The PKCS#11 KEK provider is closed');
  };

  const findKeys = (label?: string): Handle[] => {
    const template = [
      { type: api.CKA_CLASS, value: api.CKO_SECRET_KEY },
      { type: api.CKA_KEY_TYPE, value: api.CKK_AES },
      ...(label === undefined ? [] : [{ type: api.CKA_LABEL, value: label }]),
    ];
    p11('C_FindObjectsInit', () => lib.C_FindObjectsInit(session, template));
    try {
      const found: Handle[] = [];
      for (;;) {
        const page = p11('C_FindObjects', () => lib.C_FindObjects(session, 256));
        if (page.length === 0) return found;
        found.push(...page);
      }
    } finally {
      p11('C_FindObjectsFinal', () => lib.C_FindObjectsFinal(session));
    }
  };

  // A create race between two processes could leave two objects with one label: wrap uses the
  // first, and destroy removes them all.
  const kekOf = (epoch: number): Handle => {
    checkOpen();
    checkEpoch(epoch);
    const [handle] = findKeys(prefix + epoch);
    if (!handle) {
      const message = `The KEK of epoch ${epoch} does not exist (destroyed, or never created)`;
      throw new VaultError('KEK_UNAVAILABLE', message, { details: { epoch } });
    }
    return handle;
  };

  /**
   * Once per provider: a token that used an IV of its own without reporting it would make every
   * wrapped key impossible to unwrap, so the first wrap is opened again before any is returned.
   */
  const checkIvHonoured = (kek: Handle, iv: Buffer, item: { key: Uint8Array; aad: Uint8Array }, sealed: Buffer) => {
    try {
      p11('C_DecryptInit', () => lib.C_DecryptInit(session, gcm(iv, item.aad), kek));
      const opened = p11('C_Decrypt', () => lib.C_Decrypt(session, sealed, Buffer.alloc(sealed.length)));
      if (opened.equals(asBuffer(item.key))) return;
    } catch (e) {
      if (!isVaultError(e, 'CIPHERTEXT_INVALID')) throw e;
    }
    const message = 'The token did not encrypt with the IV it reported, so nothing it wraps could be unwrapped';
    throw new VaultError('STORE_UNAVAILABLE', message, { details: { call: 'C_Encrypt' } });
  };

  const gcm = (iv: Buffer, aad: Uint8Array) => ({
    mechanism: api.CKM_AES_GCM,
    parameter: { type: api.CK_PARAMS_GCM, iv, ivBits: IV_BYTES * 8, aad: asBuffer(aad), tagBits: TAG_BYTES * 8 },
  });

  return {
    kind: 'pkcs11',

    async epochs() {
      checkOpen();
      const epochs = new Set<number>();
      for (const handle of findKeys()) {
        const labelOnly = [{ type: api.CKA_LABEL }];
        let label: { value: Buffer } | undefined;
        try {
          [label] = p11('C_GetAttributeValue', () => lib.C_GetAttributeValue(session, handle, labelOnly));
        } catch (e) {
          // Destroyed by another process (the end of its rotation) between the find and here: not an epoch any more.
          if (isVaultError(e, 'KEK_UNAVAILABLE')) continue;
          throw e;
        }
        const text = label?.value.toString('utf8') ?? '';
        const digits = text.startsWith(prefix) ? text.slice(prefix.length) : '';
        if (/^[1-9][0-9]*$/.test(digits) && Number.isSafeInteger(Number(digits))) epochs.add(Number(digits));
      }
      return [...epochs].sort((a, b) => a - b);
    },

    async create(epoch) {
      checkOpen();
      checkEpoch(epoch);
      if (findKeys(prefix + epoch).length > 0) return;
      p11('C_GenerateKey', () =>
        lib.C_GenerateKey(session, { mechanism: api.CKM_AES_KEY_GEN }, [
          { type: api.CKA_CLASS, value: api.CKO_SECRET_KEY },
          { type: api.CKA_KEY_TYPE, value: api.CKK_AES },
          { type: api.CKA_VALUE_LEN, value: 32 },
          { type: api.CKA_LABEL, value: prefix + epoch },
          // Outlives the session, never leaves the token in the clear or wrapped, hidden until login.
          { type: api.CKA_TOKEN, value: true },
          { type: api.CKA_SENSITIVE, value: true },
          { type: api.CKA_EXTRACTABLE, value: false },
          { type: api.CKA_PRIVATE, value: true },
          { type: api.CKA_ENCRYPT, value: true },
          { type: api.CKA_DECRYPT, value: true },
          // Least privilege: a KEK that could wrap, unwrap or derive would be a way to move keys
          // into or out of the token that this provider never needs.
          { type: api.CKA_WRAP, value: false },
          { type: api.CKA_UNWRAP, value: false },
          { type: api.CKA_DERIVE, value: false },
        ]),
      );
    },

    async wrap(epoch, items) {
      let kek = kekOf(epoch);
      // One draw for the batch; each item still gets its own 12 random bytes, never reused.
      const ivs = randomBytes(IV_BYTES * items.length);
      const wrapped: Uint8Array[] = [];
      for (const [i, item] of items.entries()) {
        if (i > 0 && i % YIELD_EVERY === 0) {
          await yieldToLoop();
          kek = kekOf(epoch);
        }
        const path = `items[${i}]`;
        const iv = ivs.subarray(i * IV_BYTES, (i + 1) * IV_BYTES);
        p11('C_EncryptInit', () => lib.C_EncryptInit(session, gcm(iv, item.aad), kek), path);
        const room = Buffer.alloc(item.key.length + TAG_BYTES);
        const sealed = p11('C_Encrypt', () => lib.C_Encrypt(session, asBuffer(item.key), room), path);
        if (!ivHonoured) {
          checkIvHonoured(kek, iv, item, sealed);
          ivHonoured = true;
        }
        // The IV is copied out only now: an HSM in FIPS mode (AWS CloudHSM) ignores the caller's IV
        // and writes the one it generated into that same buffer, which pkcs11js hands it directly.
        const out = new Uint8Array(1 + IV_BYTES + sealed.length);
        out[0] = FORMAT_GCM;
        out.set(iv, 1);
        out.set(sealed, 1 + IV_BYTES);
        wrapped.push(out);
      }
      return wrapped;
    },

    async unwrap(epoch, items) {
      let kek = kekOf(epoch);
      const keys: Uint8Array[] = [];
      for (const [i, item] of items.entries()) {
        if (i > 0 && i % YIELD_EVERY === 0) {
          await yieldToLoop();
          kek = kekOf(epoch);
        }
        const path = `items[${i}]`;
        const w = asBuffer(item.wrapped);
        if (w.length < 1 + IV_BYTES + TAG_BYTES || w[0] !== FORMAT_GCM) {
          const message = "A wrapped key is truncated or not in the PKCS#11 provider's format";
          throw new VaultError('CIPHERTEXT_INVALID', message, { path });
        }
        const iv = w.subarray(1, 1 + IV_BYTES);
        p11('C_DecryptInit', () => lib.C_DecryptInit(session, gcm(iv, item.aad), kek), path);
        const room = Buffer.alloc(w.length);
        const key = p11('C_Decrypt', () => lib.C_Decrypt(session, w.subarray(1 + IV_BYTES), room), path);
        keys.push(new Uint8Array(key.buffer, key.byteOffset, key.length));
      }
      return keys;
    },

    async destroy(epoch) {
      checkOpen();
      checkEpoch(epoch);
      for (const handle of findKeys(prefix + epoch)) {
        try {
          p11('C_DestroyObject', () => lib.C_DestroyObject(session, handle));
        } catch (e) {
          // Another session destroyed it between the find and here: the outcome asked for.
          if (!isVaultError(e, 'KEK_UNAVAILABLE')) throw e;
        }
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        p11('C_CloseSession', () => lib.C_CloseSession(session));
      } finally {
        release(modulePath, p11);
      }
    },
  };
}

/** Loaded on first use, so a vault on the local provider runs where the native binding did not build. */
function loadPkcs11js(): Pkcs11js {
  try {
    return createRequire(import.meta.url)('pkcs11js') as Pkcs11js;
  } catch {
    const message = 'The pkcs11js binding is not installed or did not build; the pkcs11 KEK provider needs it';
    throw new VaultError('STORE_UNAVAILABLE', message);
  }
}

type P11 = <T>(call: string, fn: () => T, path?: string) => T;

function acquire(api: Pkcs11js, modulePath: string, p11: P11) {
  let entry = libraries.get(modulePath);
  if (!entry) {
    const lib = new api.PKCS11();
    p11('load', () => lib.load(modulePath));
    let initialisedHere = true;
    p11('C_Initialize', () => {
      try {
        lib.C_Initialize();
      } catch (e) {
        // Something else in the process initialised the module: use it, leave finalising to it.
        if ((e as { code?: unknown }).code !== api.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
          closeQuietly(() => lib.close());
          throw e;
        }
        initialisedHere = false;
      }
    });
    entry = { lib, users: 0, initialisedHere };
    libraries.set(modulePath, entry);
  }
  entry.users += 1;
  return entry;
}

function release(modulePath: string, p11: P11): void {
  const entry = libraries.get(modulePath);
  if (!entry || --entry.users > 0) return;
  libraries.delete(modulePath);
  try {
    if (entry.initialisedHere) p11('C_Finalize', () => entry.lib.C_Finalize());
  } finally {
    closeQuietly(() => entry.lib.close());
  }
}

function pickSlot(lib: PKCS11, slot: number | string, p11: P11): Handle {
  const slots = p11('C_GetSlotList', () => lib.C_GetSlotList(true));
  if (typeof slot === 'number') {
    const found = Number.isInteger(slot) ? slots[slot] : undefined;
    if (!found) {
      const message = `PKCS#11 slot index ${slot} does not exist: the module lists ${slots.length} with a token`;
      throw new VaultError('CONFIG_INVALID', message);
    }
    return found;
  }
  for (const s of slots) {
    if (p11('C_GetTokenInfo', () => lib.C_GetTokenInfo(s)).label.trim() === slot.trim()) return s;
  }
  throw new VaultError('CONFIG_INVALID', `No PKCS#11 token is labelled "${slot}"`);
}

function checkEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 1) throw badInput('An epoch is a positive integer', 'epoch');
}

/** For clean-up on a path that is already failing: the first error is the one worth reporting. */
function closeQuietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // The original failure is already on its way to the caller.
  }
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
