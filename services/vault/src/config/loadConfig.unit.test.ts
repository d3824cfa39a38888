import { describe, expect, it } from 'vitest';

import { loadConfig } from './loadConfig.js';

const refusal = (env: NodeJS.ProcessEnv) => {
  try {
    loadConfig(env);
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('loadConfig', () => {
  it.each([
    ['VAULT_LOG_LEVEL', { VAULT_LOG_LEVEL: 'bogus' }],
    ['VAULT_CRYPTO', { VAULT_CRYPTO: 'bogus' }],
    ['VAULT_SCHEMA_DIR', { VAULT_SCHEMA_DIR: '/no/such/dir' }],
    ['PORT', { PORT: 'http' }],
    ['VAULT_BODY_LIMIT_BYTES', { VAULT_BODY_LIMIT_BYTES: '12' }],
    [
      'VAULT_POSTGRES_URL',
      { VAULT_STATE_STORE: 'postgres', VAULT_POSTGRES_URL: 'postgres://[bad/test', VAULT_MASTER_KEY: 'x' },
    ],
    [
      'VAULT_POSTGRES_URL',
      { VAULT_STATE_STORE: 'postgres', VAULT_POSTGRES_URL: 'postgres://db:99999/test', VAULT_MASTER_KEY: 'x' },
    ],
  ])('refuses a bad %s with CONFIG_INVALID naming it', (name, env) => {
    expect(refusal(env)).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(name) });
  });

  it('reads a variable set to nothing as its default: not port 0, not every interface', () => {
    const config = loadConfig({ PORT: '', VAULT_CACHE_SUBJECTS: ' ', VAULT_LOG_LEVEL: '', HOST: '' });
    expect(config.port).toBe(4000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicUrl).toBe('http://localhost:4000');
    expect(config.cacheSubjects).toBe(2_000);
    expect(config.logLevel).toBe('info');
  });

  it('takes the documented values', () => {
    expect(loadConfig({ VAULT_LOG_LEVEL: 'debug', VAULT_CRYPTO: 'tweetnacl', PORT: '0' })).toMatchObject({
      logLevel: 'debug',
      port: 0,
    });
  });
});
