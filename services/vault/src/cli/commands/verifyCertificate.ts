import { readFile } from 'node:fs/promises';

import type { Command } from 'commander';

import { embeddedState, loadConfig, postgresSchemaOf } from '../../config/loadConfig.js';
import { keyStoreHolds } from '../../config/openStores.js';
import type { FlattenedJws, PublicJwk } from '../../crypto/signer.js';
import { VaultError } from '../../domain/errors.js';
import { type SignedCertificate, verifyCertificate } from '../../rights/eraseSubject.js';
import { SIGNING_SECRET } from '../../vault.js';
import { openCliVault } from '../openCliVault.js';

export function addVerifyCertificateCommand(program: Command): void {
  program
    .command('verify-certificate')
    .argument(
      '<file>',
      'a signed erasure certificate: JSON with its jws (protected, payload, signature) and, optionally, the ' +
        'certificate shown with it; or the jws alone, as that object or in compact form',
    )
    .option(
      '--public-key <file>',
      "the vault's public signing key: a JWK, or the JWK Set of /.well-known/jwks.json; default: this vault's own key",
    )
    .description('Verify the signature of an erasure certificate')
    .action(async (file: string, opts: { publicKey?: string }) => {
      const signed = signedCertificate(await readFile(file, 'utf8'));
      if (!signed)
        throw new VaultError(
          'BAD_USER_INPUT',
          `${file} is not a signed erasure certificate (JSON with a jws: protected, payload, signature)`,
        );
      let jwk: PublicJwk;
      if (opts.publicKey) jwk = publicKeyFor(signed.jws, await readFile(opts.publicKey, 'utf8'), opts.publicKey);
      else {
        const config = loadConfig();
        // No vault here, or one without a signing key: opening it would create one (its files, or its
        // tables in PostgreSQL, and a new key), and every certificate would look forged.
        const signing = await keyStoreHolds(config, SIGNING_SECRET);
        if (signing === undefined) {
          throw new VaultError(
            'BAD_USER_INPUT',
            embeddedState(config)
              ? `No vault in ${config.dataDir} to take the signing key from: pass --public-key, or set VAULT_DATA_DIR`
              : `No vault in PostgreSQL schema ${postgresSchemaOf(config)} to take the signing key from: pass ` +
                  `--public-key, or set VAULT_POSTGRES_SCHEMA`,
          );
        }
        if (!signing)
          throw new VaultError(
            'BAD_USER_INPUT',
            'This vault has no signing key yet, so it signed no certificate: pass --public-key, or point ' +
              'VAULT_STATE_STORE at the vault that signed it',
          );
        const vault = await openCliVault(config);
        jwk = vault.signer.publicJwk;
        await vault.close();
      }
      const cert = verifyCertificate(signed, jwk);
      // The command's answer on stdout (ids and categories, no personal data), not a log line.
      process.stdout.write(
        `valid: erasure of subject ${cert.subjectId} at ${cert.erasedAt}, signed by key ${cert.signingKeyId}\n`,
      );
      const retained = cert.categoriesRetained.map((r) => `${r.category} until ${r.until} (${r.basis})`).join('; ');
      process.stdout.write(
        `shredded: ${cert.categoriesShredded.join(', ') || '(none)'}; retained: ${retained || '(none)'}\n`,
      );
    });
}

/**
 * The certificate in a file, in one of the shapes the vault hands it out: `{ jws, certificate? }`
 * at the top, or a saved GraphQL answer of `eraseSubject` (`data.eraseSubject`) or of
 * `completeRequest` (`data.completeRequest.certificate`). Undefined for anything else, and for
 * a file with more than one JWS in it: what is checked must be the only thing there to read.
 */
export function signedCertificate(
  text: string,
): (Pick<SignedCertificate, 'jws'> & { certificate?: unknown }) | undefined {
  // The JWS alone in compact form: protected.payload.signature.
  const compact = /^\s*([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\s*$/.exec(text);
  if (compact) return { jws: { protected: compact[1]!, payload: compact[2]!, signature: compact[3]! } };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const isJws = (j: unknown): j is FlattenedJws =>
    typeof j === 'object' &&
    j !== null &&
    ['protected', 'payload', 'signature'].every((k) => typeof (j as Record<string, unknown>)[k] === 'string');
  const at = (v: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>(
      (o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined),
      v,
    );
  // The JWS alone as its JSON object, with nothing else beside it.
  if (isJws(doc) && Object.keys(doc).every((k) => k === 'protected' || k === 'payload' || k === 'signature')) {
    return { jws: { protected: doc.protected, payload: doc.payload, signature: doc.signature } };
  }
  const places = [at(doc), at(doc, 'data', 'eraseSubject'), at(doc, 'data', 'completeRequest', 'certificate')];
  const found = places.filter((p): p is { jws: FlattenedJws; certificate?: unknown } => isJws(at(p, 'jws')));
  // One `jws` in the whole file, and a top-level certificate file holds nothing else beside it.
  const jwsKeys = (v: unknown): number =>
    typeof v !== 'object' || v === null
      ? 0
      : Object.entries(v).reduce<number>((n, [k, c]) => n + (k === 'jws' ? 1 : 0) + jwsKeys(c), 0);
  const topLevel = found[0] === doc && Object.keys(doc as object).some((k) => k !== 'jws' && k !== 'certificate');
  if (found.length !== 1 || jwsKeys(doc) !== 1 || topLevel) return undefined;
  const [{ jws, certificate }] = found as [{ jws: FlattenedJws; certificate?: unknown }];
  return certificate === undefined ? { jws } : { jws, certificate };
}

/**
 * The public key to check `jws` with, from a file holding a JWK or a JWK Set (as served at
 * /.well-known/jwks.json): of a set, the key whose `kid` the JWS names, else its only key.
 */
export function publicKeyFor(jws: FlattenedJws, text: string, file: string): PublicJwk {
  const notKey = () => new VaultError('BAD_USER_INPUT', `${file} is neither a public JWK nor a JWK Set`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw notKey();
  }
  const isJwk = (k: unknown): k is PublicJwk =>
    typeof k === 'object' &&
    k !== null &&
    typeof (k as { kty?: unknown }).kty === 'string' &&
    typeof (k as { x?: unknown }).x === 'string';
  if (isJwk(doc)) return doc;
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every(isJwk)) throw notKey();
  let kid: unknown;
  try {
    kid = (JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as { kid?: unknown }).kid;
  } catch {
    kid = undefined;
  }
  const key = keys.find((k) => k.kid !== undefined && k.kid === kid) ?? (keys.length === 1 ? keys[0] : undefined);
  if (!key) throw new VaultError('BAD_USER_INPUT', `${file} holds no key with the id the certificate was signed with`);
  return key;
}
