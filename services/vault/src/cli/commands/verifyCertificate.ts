import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { VaultError } from '../../domain/errors.js';
import type { PublicJwk } from '../../crypto/signer.js';
import { verifyCertificate, type SignedCertificate } from '../../rights/eraseSubject.js';
import type { FlattenedJws } from '../../crypto/signer.js';
import { openCliVault } from '../openCliVault.js';

export function registerVerifyCertificate(program: Command): void {
  program
    .command('verify-certificate')
    .argument('<file>', 'a signed erasure certificate: JSON with its jws (protected, payload, signature) and, optionally, the certificate shown with it')
    .option('--public-key <file>', "the vault's public signing key as a JWK; default: this vault's own key")
    .description('Verify the signature of an erasure certificate')
    .action(async (file: string, opts: { publicKey?: string }) => {
      const signed = signedCertificate(await readFile(file, 'utf8'));
      if (!signed) throw new VaultError('BAD_USER_INPUT', `${file} is not a signed erasure certificate (JSON with a jws: protected, payload, signature)`);
      let jwk: PublicJwk;
      if (opts.publicKey) jwk = JSON.parse(await readFile(opts.publicKey, 'utf8')) as PublicJwk;
      else {
        const vault = await openCliVault();
        jwk = vault.signer.publicJwk;
        await vault.close();
      }
      const cert = verifyCertificate(signed, jwk);
      console.log(`valid: erasure of subject ${cert.subjectId} at ${cert.erasedAt}, signed by key ${jwk.kid ?? '(given)'}`);
      console.log(`shredded: ${cert.categoriesShredded.join(', ') || '(none)'}; retained: ${cert.categoriesRetained.map((r) => `${r.category} until ${r.until} (${r.basis})`).join('; ') || '(none)'}`);
    });
}

/**
 * The certificate in a file: `{ jws, certificate? }` as `eraseSubject` and `completeRequest`
 * answer it, bare or anywhere in a saved GraphQL response; undefined when there is none.
 */
export function signedCertificate(text: string): (Pick<SignedCertificate, 'jws'> & { certificate?: unknown }) | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const isJws = (j: unknown): j is FlattenedJws =>
    typeof j === 'object' && j !== null && ['protected', 'payload', 'signature'].every((k) => typeof (j as Record<string, unknown>)[k] === 'string');
  // The object holding the jws: the document itself, or within a saved GraphQL response
  // (`data.eraseSubject`, `data.completeRequest.certificate`).
  const find = (v: unknown, depth: number): { jws: FlattenedJws; certificate?: unknown } | undefined => {
    if (typeof v !== 'object' || v === null || depth > 4) return undefined;
    if (isJws((v as { jws?: unknown }).jws)) return v as { jws: FlattenedJws; certificate?: unknown };
    for (const child of Object.values(v)) {
      const hit = find(child, depth + 1);
      if (hit) return hit;
    }
    return undefined;
  };
  const candidate = find(doc, 0);
  if (!candidate) return undefined;
  return candidate.certificate === undefined ? { jws: candidate.jws } : { jws: candidate.jws, certificate: candidate.certificate };
}
