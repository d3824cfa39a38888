import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { VaultError } from '../../domain/errors.js';
import type { PublicJwk } from '../../crypto/signer.js';
import { verifyCertificate, type SignedCertificate } from '../../rights/eraseSubject.js';
import { openCliVault } from '../openCliVault.js';

export function registerVerifyCertificate(program: Command): void {
  program
    .command('verify-certificate')
    .argument('<file>', 'a signed erasure certificate (JSON with certificate and jws)')
    .option('--public-key <file>', "the vault's public signing key as a JWK; default: this vault's own key")
    .description('Verify the signature of an erasure certificate')
    .action(async (file: string, opts: { publicKey?: string }) => {
      const signed = JSON.parse(await readFile(file, 'utf8')) as SignedCertificate;
      if (!signed?.jws || !signed.certificate) throw new VaultError('BAD_USER_INPUT', `${file} is not a signed erasure certificate`);
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
