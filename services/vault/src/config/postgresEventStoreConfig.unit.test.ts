import { describe, expect, it } from 'vitest';

import { isVaultError } from '../domain/errors.js';
import { loadConfig } from './loadConfig.js';
import { openStores } from './openStores.js';

const URL_ = 'postgres://vault@db:5432/vault';

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(isVaultError(e, 'CONFIG_INVALID'), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('VAULT_EVENT_STORE=postgres', () => {
  it('puts the event log in PostgreSQL, in the configured schema, beside embedded state stores', () => {
    const c = loadConfig({ VAULT_EVENT_STORE: 'postgres', VAULT_POSTGRES_URL: URL_, VAULT_POSTGRES_SCHEMA: 'crm' });
    expect(c).toMatchObject({ eventStore: 'postgres', stateStore: 'sqlite', postgresUrl: URL_, postgresSchema: 'crm' });
  });

  it('runs the vault on PostgreSQL alone with VAULT_STATE_STORE=postgres', () => {
    const c = loadConfig({
      VAULT_EVENT_STORE: 'POSTGRES',
      VAULT_STATE_STORE: 'postgres',
      VAULT_POSTGRES_URL: URL_,
      VAULT_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    expect(c).toMatchObject({ eventStore: 'postgres', stateStore: 'postgres', postgresSchema: 'vault' });
  });

  it('needs VAULT_POSTGRES_URL, and names the variable that asked for it', () => {
    expect(configError({ VAULT_EVENT_STORE: 'postgres' })).toMatch(
      /^VAULT_EVENT_STORE=postgres needs VAULT_POSTGRES_URL/,
    );
    expect(configError({ VAULT_POSTGRES_URL: URL_ })).toMatch(/nor VAULT_EVENT_STORE/);
    expect(configError({ VAULT_POSTGRES_SCHEMA: 'crm' })).toMatch(/nor VAULT_EVENT_STORE/);
  });

  it('refuses a hand-built configuration without a URL before opening anything', async () => {
    const error = await openStores({
      dataDir: '/nonexistent/pdv-never-created',
      synchronous: 'FULL',
      port: 0,
      logLevel: 'silent',
      eventStore: 'postgres',
    }).catch((e: unknown) => e);
    expect(isVaultError(error, 'CONFIG_INVALID'), String(error)).toBe(true);
    expect((error as Error).message).toBe('VAULT_EVENT_STORE=postgres needs VAULT_POSTGRES_URL');
  });
});
