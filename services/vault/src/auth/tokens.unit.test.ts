import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';

import type { VaultConfig } from '../config/loadConfig.js';
import { isVaultError } from '../domain/errors.js';
import { actorOf, createTokenVerifier, mintDevToken, principalFrom } from './tokens.js';

const dirs: string[] = [];
const config = (extra: Partial<VaultConfig> = {}): VaultConfig => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pdv-auth-'));
  dirs.push(dataDir);
  return { dataDir, synchronous: 'NORMAL', port: 0, logLevel: 'silent', ...extra };
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('production key files', () => {
  it('stop the start with CONFIG_INVALID naming the variable when missing or not a key', () => {
    const c = config();
    const garbage = join(c.dataDir, 'garbage');
    writeFileSync(garbage, 'not a key {');
    for (const [extra, variable] of [
      [{ jwksFile: join(c.dataDir, 'missing.json') }, 'VAULT_JWKS_FILE'],
      [{ jwksFile: garbage }, 'VAULT_JWKS_FILE'],
      [{ jwtPublicKeyFile: join(c.dataDir, 'missing.pem') }, 'VAULT_JWT_PUBLIC_KEY_FILE'],
      [{ jwtPublicKeyFile: garbage }, 'VAULT_JWT_PUBLIC_KEY_FILE'],
    ] as const) {
      expect(() => createTokenVerifier({ ...c, ...extra })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(variable) }),
      );
    }
  });
});

describe('development tokens', () => {
  it('a minted service token verifies to the same principal', async () => {
    const c = config();
    const token = await mintDevToken(c, { role: 'service', name: 'billing', purposes: ['contract', 'marketing'] });
    expect(await createTokenVerifier(c).verify(token)).toEqual({
      role: 'service',
      name: 'billing',
      purposes: ['contract', 'marketing'],
    });
  });

  it('a token minted with another data directory secret does not verify', async () => {
    const token = await mintDevToken(config(), { role: 'dpo', name: 'alice' });
    await expect(createTokenVerifier(config()).verify(token)).rejects.toSatisfy((e) =>
      isVaultError(e, 'UNAUTHENTICATED'),
    );
  });

  it('minting is refused when a production key is configured', async () => {
    await expect(
      mintDevToken(config({ jwksFile: '/nonexistent/jwks.json' }), { role: 'dpo', name: 'x' }),
    ).rejects.toSatisfy((e) => isVaultError(e, 'CONFIG_INVALID'));
  });
});

describe('production keys', () => {
  it('verifies RS256 tokens with a PEM public key and refuses HS256 tokens', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const c = config();
    const pem = join(c.dataDir, 'issuer.pem');
    writeFileSync(pem, publicKey.export({ type: 'spki', format: 'pem' }));
    const prod = { ...c, jwtPublicKeyFile: pem, jwtAudience: 'pdv-vault' };
    const good = await new SignJWT({ role: 'subject' })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('subj-1')
      .setAudience('pdv-vault')
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await createTokenVerifier(prod).verify(good)).toEqual({ role: 'subject', subjectId: 'subj-1' });
    const hs = await new SignJWT({ role: 'dpo', name: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('pdv-vault')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('k'.repeat(40)));
    await expect(createTokenVerifier(prod).verify(hs)).rejects.toSatisfy((e) => isVaultError(e, 'UNAUTHENTICATED'));
  });
});

describe('claims', () => {
  it.each<[Record<string, unknown>, string]>([
    [{ role: 'service', purposes: ['contract'] }, 'no name'],
    [{ role: 'service', name: 'a b', purposes: [] }, 'a name with a space'],
    [{ role: 'service', name: 'crm', purposes: [1] }, 'purposes that are not names'],
    [{ role: 'subject' }, 'a subject without sub'],
    [{ role: 'admin', name: 'root' }, 'an unknown role'],
  ])('refuses %j (%s)', (claims, _why) => {
    expect(() => principalFrom(claims)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it('accepts purposes as a comma-separated string and names actors without personal data', () => {
    const p = principalFrom({ role: 'service', name: 'crm', purposes: 'contract,billing' });
    expect(p).toEqual({ role: 'service', name: 'crm', purposes: ['contract', 'billing'] });
    expect(actorOf(p)).toBe('service:crm');
    expect(actorOf({ role: 'subject', subjectId: 'abc' })).toBe('subject:abc');
  });
});
