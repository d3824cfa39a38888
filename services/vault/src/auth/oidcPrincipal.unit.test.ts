import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { exportJWK, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';

import type { VaultConfig } from '../config/loadConfig.js';
import { loadOidcSettings } from '../config/oidcSettings.js';
import { createTokenVerifier } from './tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'pdv-oidc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ISSUER = 'https://login.example.com/';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwksFile = join(dir, 'jwks.json');
writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', kid: 'k1' }] }));
const oidc = loadOidcSettings({ VAULT_OIDC_ISSUER: ISSUER, VAULT_OIDC_CLIENT_ID: 'privacy-pages' }).oidc!;
const config: VaultConfig = {
  dataDir: dir,
  synchronous: 'NORMAL',
  port: 0,
  logLevel: 'silent',
  jwksFile,
  jwtIssuer: 'https://tokens.example.com/',
  oidc,
};
const verifier = createTokenVerifier(config);

const sign = (claims: Record<string, unknown>, iss = ISSUER) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(iss)
    .setAudience('pdv-vault')
    .setExpirationTime('5m')
    .sign(privateKey);

describe('an access token from the OIDC provider', () => {
  it('is the subject its subject-id claim names, logged in through the provider', async () => {
    const token = await sign({ sub: 'u-17', client_id: 'privacy-pages', pdv_subject_id: 's-42' });
    expect(await verifier.verify(token)).toEqual({
      role: 'subject',
      subjectId: 's-42',
      login: { method: 'oidcLogin', issuer: ISSUER },
    });
  });

  it('is the DPO when the role claim holds the DPO role, named by sub', async () => {
    const token = await sign({ sub: 'dpo-anna', client_id: 'privacy-pages', roles: ['staff', 'dpo'] });
    expect(await verifier.verify(token)).toEqual({ role: 'dpo', name: 'dpo-anna' });
  });

  it('is refused when issued to another client or without a subject id', async () => {
    for (const claims of [
      { sub: 'u-1', client_id: 'someone-else', pdv_subject_id: 's-42' },
      { sub: 'u-1', client_id: 'privacy-pages' },
    ]) {
      await expect(verifier.verify(await sign(claims))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('is refused from an issuer that is neither the provider nor the vault’s own', async () => {
    const token = await sign({ sub: 'u-1', client_id: 'privacy-pages', pdv_subject_id: 's-42' }, 'https://evil/');
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('does not change how the vault’s own tokens read', async () => {
    const token = await sign({ role: 'subject', sub: 's-7' }, 'https://tokens.example.com/');
    expect(await verifier.verify(token)).toEqual({ role: 'subject', subjectId: 's-7' });
  });
});

describe('VAULT_OIDC_* settings', () => {
  it('are checked at start', () => {
    expect(() => loadOidcSettings({ VAULT_OIDC_CLIENT_ID: 'x' })).toThrow(/VAULT_OIDC_ISSUER/);
    expect(() => loadOidcSettings({ VAULT_OIDC_ISSUER: 'not a url', VAULT_OIDC_CLIENT_ID: 'x' })).toThrow(
      /VAULT_OIDC_ISSUER/,
    );
    expect(() => loadOidcSettings({ VAULT_OIDC_ISSUER: ISSUER })).toThrow(/VAULT_OIDC_CLIENT_ID/);
    expect(loadOidcSettings({})).toEqual({});
  });
});
