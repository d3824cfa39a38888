import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { runCli } from '../support/cliProcess.js';
import { keepLocalKek } from '../support/kekCustody.js';

// What production refuses to start without, with the master key's custody: `VAULT_MASTER_KEY_FILE` is one of them.
keepLocalKek();

/**
 * Issue 21: with NODE_ENV=production and no token key configured, the server accepted HS256 tokens
 * signed with a secret it generated, from any issuer, and kept a generated master.key beside
 * keys.db. Production must refuse to start instead, saying what is missing and nothing secret.
 */
describe('vault serve in production', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const base = (): NodeJS.ProcessEnv => {
    dir = mkdtempSync(join(tmpdir(), 'pdv-prod-'));
    // The mode comes from each test alone, not from the runner's environment (vitest sets NODE_ENV=test).
    const rest = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => k !== 'VAULT_MODE' && k !== 'NODE_ENV'),
    );
    return { ...rest, VAULT_DATA_DIR: join(dir, 'data'), PORT: '0', VAULT_RETENTION_INTERVAL_MINUTES: '0' };
  };

  it('exits non-zero with CONFIG_INVALID naming the missing issuer, creating nothing', () => {
    const env = base();
    const masterKey = Buffer.alloc(32, 9).toString('base64');
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [] }));
    const run = runCli(['serve'], {
      ...env,
      NODE_ENV: 'production',
      VAULT_MASTER_KEY: masterKey,
      VAULT_JWKS_FILE: join(dir, 'jwks.json'),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'vault: CONFIG_INVALID: Production mode (NODE_ENV=production) refuses to start without VAULT_JWT_ISSUER',
    );
    expect(run.stderr).not.toContain('VAULT_JWKS_FILE or');
    expect(run.stderr).not.toContain(masterKey);
    expect(run.stdout).not.toContain('vault listening');
    expect(readdirSync(dir), 'no data directory, no master.key, no token secret').toEqual(['jwks.json']);
  });

  it('exits non-zero naming every missing setting with VAULT_MODE=production and nothing configured', () => {
    const run = runCli(['serve'], { ...base(), VAULT_MODE: 'production' });
    expect(run.status).toBe(1);
    for (const name of [
      'CONFIG_INVALID',
      'VAULT_MODE=production',
      'VAULT_JWKS_FILE',
      'VAULT_JWT_ISSUER',
      'VAULT_MASTER_KEY_FILE',
    ])
      expect(run.stderr).toContain(name);
    expect(readdirSync(dir)).toEqual([]);
  });
});
