import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import nacl from 'tweetnacl';

import { VaultError } from '../domain/errors.js';
import { makePrivateDir, writeNewPrivateFile } from '../support/privateFiles.js';

/** The key-encryption keys by version; `current` wraps new keys, older ones still unwrap. */
export interface MasterKeys {
  current: number;
  keys: Map<number, Uint8Array>;
}

/**
 * Parses `base64` (version 1) or `v2:base64,v1:base64` (the highest version is current).
 * Errors never echo the key material.
 */
export function parseMasterKeys(text: string, source: string): MasterKeys {
  const keys = new Map<number, Uint8Array>();
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) throw new VaultError('CONFIG_INVALID', `${source} is empty`);
  for (const part of parts) {
    const m = /^(?:v(\d+):)?([A-Za-z0-9+/_-]+={0,2})$/.exec(part);
    if (!m)
      throw new VaultError('CONFIG_INVALID', `${source}: expected base64, or v<N>:base64 entries separated by commas`);
    const version = m[1] ? Number(m[1]) : 1;
    if (version < 1 || version > 255)
      throw new VaultError('CONFIG_INVALID', `${source}: master key versions run from 1 to 255`);
    const bytes = Buffer.from(m[2]!, m[2]!.includes('-') || m[2]!.includes('_') ? 'base64url' : 'base64');
    if (bytes.length !== 32) {
      bytes.fill(0);
      throw new VaultError(
        'CONFIG_INVALID',
        `${source}: a master key must be 32 bytes (got ${bytes.length} for version ${version})`,
      );
    }
    if (keys.has(version)) {
      bytes.fill(0);
      throw new VaultError('CONFIG_INVALID', `${source}: version ${version} appears twice`);
    }
    keys.set(version, new Uint8Array(bytes));
    // Decoded into Node's shared buffer pool: those bytes must not outlive the copy.
    bytes.fill(0);
  }
  return { current: Math.max(...keys.keys()), keys };
}

export interface MasterKeySource {
  /** The key text itself (`VAULT_MASTER_KEY`), as a string or as bytes (which the caller zeroes once resolved). */
  masterKey?: string | Uint8Array;
  masterKeyFile?: string;
  dataDir: string;
  /** Only the embedded default may generate a key. */
  allowGenerate: boolean;
  /**
   * Production mode: a development key is neither generated nor used, even one a development run
   * left in the data directory (it would sit beside keys.db, in every backup of it). Default false.
   */
  production?: boolean;
  warn: (message: string) => void;
}

export const DEV_MASTER_KEY_FILE = 'master.key';

/** Resolves the master keys from configuration, generating a development key when allowed. */
export function resolveMasterKeys(src: MasterKeySource): MasterKeys {
  if (src.masterKey && src.masterKey.length > 0) {
    // The text passes through a string, which JavaScript cannot overwrite: it is dropped here and collected.
    const mk = src.masterKey;
    const text = typeof mk === 'string' ? mk : Buffer.from(mk.buffer, mk.byteOffset, mk.byteLength).toString('latin1');
    return parseMasterKeys(text, 'VAULT_MASTER_KEY');
  }
  if (src.masterKeyFile) {
    if (!existsSync(src.masterKeyFile))
      throw new VaultError('CONFIG_INVALID', `VAULT_MASTER_KEY_FILE points to a missing file: ${src.masterKeyFile}`);
    return parseKeyFile(src.masterKeyFile, 'VAULT_MASTER_KEY_FILE');
  }
  const devFile = join(src.dataDir, DEV_MASTER_KEY_FILE);
  if (src.production) {
    throw new VaultError(
      'CONFIG_INVALID',
      `Production mode refuses a development master key (${DEV_MASTER_KEY_FILE} in the data directory): set ` +
        `VAULT_MASTER_KEY_FILE or VAULT_MASTER_KEY, or VAULT_KEK_PROVIDER=pkcs11`,
    );
  }
  if (existsSync(devFile)) {
    src.warn(
      `Using the development master key in ${devFile}. For development only: set VAULT_MASTER_KEY or ` +
        `VAULT_MASTER_KEY_FILE in production.`,
    );
    return parseKeyFile(devFile, devFile);
  }
  if (!src.allowGenerate)
    throw new VaultError(
      'CONFIG_INVALID',
      'No master key: set VAULT_MASTER_KEY (base64, 32 bytes) or VAULT_MASTER_KEY_FILE',
    );
  makePrivateDir(src.dataDir);
  writeNewPrivateFile(devFile, `${Buffer.from(nacl.randomBytes(32)).toString('base64')}\n`);
  src.warn(
    `Generated a development master key into ${devFile}. For development only: anyone with this file can read the ` +
      `vault. Set VAULT_MASTER_KEY or VAULT_MASTER_KEY_FILE in production.`,
  );
  return parseKeyFile(devFile, devFile);
}

/** A key file's keys; the bytes read are zeroed once parsed. */
function parseKeyFile(path: string, source: string): MasterKeys {
  const raw = readFileSync(path);
  try {
    return parseMasterKeys(raw.toString('latin1'), source);
  } finally {
    raw.fill(0);
  }
}
