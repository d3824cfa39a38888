import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { aadTag } from '../adapters/localKek/getLocalKekProvider.js';
import { carveWrappedKeys } from '../crypto/carveKeys.js';
import { envelopeParts } from '../crypto/envelope.js';
import { wrapTag } from '../crypto/keyRing.js';
import { secretbox } from '../crypto/secretbox.js';
import { VaultError } from '../domain/errors.js';
import type { KekProvider } from '../ports/KekProvider.js';
import type { KeyStore } from '../ports/KeyStore.js';

/** What `vault audit-erasure` found: every destroyed key it could open again, and how many sealed values those open. */
export interface ErasureAudit {
  files: number;
  bytes: number;
  /** Keys the key store's tombstones say are destroyed. */
  destroyedKeys: number;
  /** Destroyed keys found and opened, with where (file, byte offset) and under which epoch. */
  recoveredKeys: { keyId: string; file: string; offset: number; epoch: number }[];
  /** Sealed values (base64url envelopes anywhere in the files) that a recovered key opens. */
  recoveredValues: number;
}

/** Every regular file under the given paths (files or directories), recursively. */
export function filesUnder(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return [];
    if (st.isDirectory()) return filesUnder(readdirSync(p).map((f) => join(p, f)));
    return st.isFile() ? [p] : [];
  });
}

const BASE64URL_RUN = /[A-Za-z0-9_-]{80,}/g;

/**
 * A file's bytes, or undefined when it was removed after it was listed: a live database drops and
 * rewrites relation files while it is carved, and a file that is gone holds nothing anymore.
 */
function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The forensic attack on an erasure, made a tool: with the KEKs (as whoever holds the master key
 * and the epoch key file would have them), every byte of every file under `paths` is carved for
 * a wrapped copy of a key the key store says it destroyed; each one found is then tried on every
 * sealed value in the files. Nothing recovered is the only passing result.
 */
export async function auditErasure(deps: {
  keys: KeyStore;
  kek: KekProvider;
  paths: readonly string[];
}): Promise<ErasureAudit> {
  const custody = deps.kek as KekProvider & { keksForAudit?: () => Promise<{ epoch: number; kek: Uint8Array }[]> };
  if (!custody.keksForAudit) {
    throw new VaultError(
      'CONFIG_INVALID',
      "audit-erasure carves with the local custody's key-encryption keys; " +
        "an HSM's never leave it (VAULT_KEK_PROVIDER=pkcs11)",
    );
  }
  const keks = await custody.keksForAudit();
  const tombstones = await deps.keys.listTombstones();
  const tags = new Map(
    tombstones.map((t) => [Buffer.from(aadTag(wrapTag(t.subjectId, t.category, t.keyId))).toString('hex'), t.keyId]),
  );
  const audit: ErasureAudit = {
    files: 0,
    bytes: 0,
    destroyedKeys: tombstones.length,
    recoveredKeys: [],
    recoveredValues: 0,
  };
  const recovered = new Map<string, Uint8Array>();
  const files = filesUnder(deps.paths);
  for (const file of files) {
    const bytes = readIfThere(file);
    if (!bytes) continue;
    audit.files += 1;
    audit.bytes += bytes.length;
    for (const c of carveWrappedKeys(bytes, keks, tags)) {
      audit.recoveredKeys.push({ keyId: c.owner, file, offset: c.offset, epoch: c.epoch });
      recovered.set(c.owner, c.key);
    }
  }
  if (recovered.size > 0) {
    for (const file of files) {
      const text = readIfThere(file)?.toString('latin1');
      if (text === undefined) continue;
      for (const run of text.matchAll(BASE64URL_RUN)) {
        let parts;
        try {
          parts = envelopeParts(Buffer.from(run[0], 'base64url'));
        } catch {
          continue;
        }
        for (const key of recovered.values())
          if (secretbox.open(parts.box, parts.nonce, key)) audit.recoveredValues += 1;
      }
    }
  }
  for (const k of keks) k.kek.fill(0);
  return audit;
}
