import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { createTokenVerifier, mintDevToken } from '../auth/tokens.js';
import { resolveMasterKeys } from '../crypto/masterKey.js';
import { loadConfig, type VaultConfig } from './loadConfig.js';
import { openKekProvider } from './openStores.js';

const refusal = (run: () => unknown): unknown => {
  try {
    run();
  } catch (e) {
    return e;
  }
  return undefined;
};

const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
const JWT_SECRET = 'a-development-secret-of-at-least-32-characters';

/** Everything production needs; each test takes one thing away. */
const ready: NodeJS.ProcessEnv = {
  NODE_ENV: 'production',
  VAULT_JWKS_FILE: '/run/secrets/vault/jwks.json',
  VAULT_JWT_ISSUER: 'https://login.example.com/',
  VAULT_MASTER_KEY_FILE: '/run/secrets/vault/master-key',
};
const without = (name: string, env: NodeJS.ProcessEnv = ready): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(env).filter(([k]) => k !== name));

describe('production mode', () => {
  it('starts with a token key, an issuer and a master key file, in production mode', () => {
    expect(loadConfig(ready)).toMatchObject({ mode: 'production', jwtIssuer: 'https://login.example.com/' });
  });

  it('refuses to start with nothing configured, naming every missing setting at once', () => {
    const e = refusal(() => loadConfig({ NODE_ENV: 'production' }));
    expect(e).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { missing: ['VAULT_JWKS_FILE', 'VAULT_JWT_ISSUER', 'VAULT_MASTER_KEY_FILE'] },
    });
    const message = (e as Error).message;
    for (const name of [
      'NODE_ENV=production',
      'VAULT_JWKS_FILE',
      'VAULT_JWT_PUBLIC_KEY_FILE',
      'VAULT_JWT_ISSUER',
      'VAULT_MASTER_KEY_FILE',
      'VAULT_KEK_PROVIDER=pkcs11',
    ])
      expect(message).toContain(name);
  });

  it.each([
    ['VAULT_JWKS_FILE', without('VAULT_JWKS_FILE')],
    ['VAULT_JWT_ISSUER', without('VAULT_JWT_ISSUER')],
    ['VAULT_MASTER_KEY_FILE', without('VAULT_MASTER_KEY_FILE')],
  ])('refuses to start without %s, and names only that', (missing, env) => {
    expect(refusal(() => loadConfig(env))).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(missing),
      details: { missing: [missing] },
    });
  });

  it('takes a PEM public key for a JWKS, VAULT_MASTER_KEY for its file, and an HSM for a master key', () => {
    const pem = { ...without('VAULT_JWKS_FILE'), VAULT_JWT_PUBLIC_KEY_FILE: '/run/secrets/vault/issuer.pem' };
    expect(loadConfig(pem).mode).toBe('production');
    expect(loadConfig({ ...without('VAULT_MASTER_KEY_FILE'), VAULT_MASTER_KEY: MASTER_KEY }).mode).toBe('production');
    const hsm = {
      ...without('VAULT_MASTER_KEY_FILE'),
      VAULT_KEK_PROVIDER: 'pkcs11',
      VAULT_PKCS11_SLOT: '0',
      VAULT_PKCS11_PIN: '1234',
    };
    expect(loadConfig(hsm)).toMatchObject({ mode: 'production', kekProvider: 'pkcs11' });
    expect(loadConfig({ ...hsm, VAULT_PKCS11_LABEL_PREFIX: 'billing-kek-' }).pkcs11).toMatchObject({
      labelPrefix: 'billing-kek-',
    });
    expect(refusal(() => loadConfig({ ...hsm, VAULT_PKCS11_LABEL_PREFIX: 'no spaces' }))).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('VAULT_PKCS11_LABEL_PREFIX'),
    });
  });

  it('does not take the development HS256 secret for a token key, and never echoes a secret', () => {
    const env = { ...without('VAULT_JWKS_FILE', without('VAULT_MASTER_KEY_FILE')), VAULT_JWT_SECRET: JWT_SECRET };
    const e = refusal(() => loadConfig(env)) as Error;
    expect(e).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('VAULT_JWT_SECRET is for development only'),
    });
    expect(e.message).not.toContain(JWT_SECRET);
    const withKey = refusal(() =>
      loadConfig({ ...without('VAULT_JWT_ISSUER'), VAULT_MASTER_KEY_FILE: undefined, VAULT_MASTER_KEY: MASTER_KEY }),
    ) as Error;
    expect(withKey.message).not.toContain(MASTER_KEY);
  });

  it('applies VAULT_MODE=production whatever NODE_ENV says, and names it as the reason', () => {
    expect(refusal(() => loadConfig({ VAULT_MODE: 'production' }))).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('VAULT_MODE=production'),
    });
    expect(refusal(() => loadConfig({ VAULT_MODE: 'Production', NODE_ENV: 'test' }))).toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it.each([[undefined], ['test'], ['development'], ['']])(
    'leaves NODE_ENV=%s in development mode, with its generated keys',
    (nodeEnv) => {
      expect(loadConfig(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }).mode).toBe('development');
    },
  );

  it('lets VAULT_MODE=development run the development fallbacks under NODE_ENV=production', () => {
    expect(loadConfig({ NODE_ENV: 'production', VAULT_MODE: 'development' }).mode).toBe('development');
  });

  it('refuses a VAULT_MODE it does not know, naming the variable', () => {
    expect(refusal(() => loadConfig({ VAULT_MODE: 'prod' }))).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('VAULT_MODE'),
    });
  });
});

describe('production mode in a configuration built by hand', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'pdv-prod-'));
    dirs.push(d);
    return d;
  };
  const config = (over: Partial<VaultConfig> = {}): VaultConfig => ({
    dataDir: dataDir(),
    synchronous: 'FULL',
    port: 0,
    logLevel: 'silent',
    mode: 'production',
    ...over,
  });

  it('generates no development master key beside keys.db, and uses none a development run left', async () => {
    const c = config();
    expect(
      refusal(() => resolveMasterKeys({ dataDir: c.dataDir, allowGenerate: true, production: true, warn: () => {} })),
    ).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('VAULT_MASTER_KEY_FILE') });
    await expect(openKekProvider(c, { allowGenerate: true, warn: () => {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    expect(readdirSync(c.dataDir)).toEqual([]);
    writeFileSync(join(c.dataDir, 'master.key'), `${MASTER_KEY}\n`, { mode: 0o600 });
    await expect(openKekProvider(c, { allowGenerate: true, warn: () => {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('master.key'),
    });
    // The same directory in development mode opens with the key that is there.
    const dev = await openKekProvider({ ...c, mode: 'development' }, { allowGenerate: false, warn: () => {} });
    await dev.close();
  });

  it('verifies no development token and generates no token secret', async () => {
    const c = config({ jwtIssuer: 'https://login.example.com/' });
    expect(refusal(() => createTokenVerifier(c))).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('VAULT_JWKS_FILE'),
    });
    await expect(mintDevToken(c, { role: 'dpo', name: 'alice' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(refusal(() => createTokenVerifier({ ...c, jwtSecret: JWT_SECRET }))).toMatchObject({
      code: 'CONFIG_INVALID',
    });
    expect(existsSync(join(c.dataDir, 'jwt-dev.secret'))).toBe(false);
  });

  it('needs an issuer even with a production token key', () => {
    expect(refusal(() => createTokenVerifier(config({ jwksFile: '/no/such/jwks.json' })))).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('VAULT_JWT_ISSUER'),
    });
  });
});
