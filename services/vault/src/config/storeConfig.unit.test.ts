import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { isVaultError } from '../domain/errors.js';
import { loadConfig, type VaultConfig } from './loadConfig.js';
import { openStores } from './openStores.js';

const KEY = { VAULT_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(isVaultError(e, 'CONFIG_INVALID'), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('store configuration', () => {
  it('defaults to the embedded SQLite stores', () => {
    const c = loadConfig({});
    expect(c.eventStore).toBe('sqlite');
    expect(c.stateStore).toBe('sqlite');
    expect(c.kurrentdbUrl).toBeUndefined();
    expect(c.postgresUrl).toBeUndefined();
    expect(c.storeTimeoutMs).toBe(10_000);
  });

  it('reads the production stores, their connection strings and the schema', () => {
    const c = loadConfig({
      ...KEY,
      VAULT_EVENT_STORE: 'kurrentdb',
      VAULT_KURRENTDB_URL: 'kurrentdb+discover://node1:2113?tls=true',
      VAULT_STATE_STORE: 'POSTGRES',
      VAULT_POSTGRES_URL: 'postgres://vault@db:5432/vault',
      VAULT_POSTGRES_SCHEMA: 'vault_eu',
      VAULT_STORE_TIMEOUT_MS: '3000',
    });
    expect(c).toMatchObject({
      eventStore: 'kurrentdb',
      kurrentdbUrl: 'kurrentdb+discover://node1:2113?tls=true',
      stateStore: 'postgres',
      postgresUrl: 'postgres://vault@db:5432/vault',
      postgresSchema: 'vault_eu',
      storeTimeoutMs: 3000,
    });
    expect(
      loadConfig({ ...KEY, VAULT_STATE_STORE: 'postgres', VAULT_POSTGRES_URL: 'postgresql://db/v' }).postgresSchema,
    ).toBe('vault');
  });

  it('names the variable and the allowed values for an unknown store', () => {
    expect(configError({ VAULT_EVENT_STORE: 'mongodb' })).toMatch(/VAULT_EVENT_STORE must be one of sqlite, kurrentdb/);
    expect(configError({ VAULT_STATE_STORE: 'mysql' })).toMatch(/VAULT_STATE_STORE must be one of sqlite, postgres/);
  });

  it('refuses a networked store without its connection string', () => {
    expect(configError({ VAULT_EVENT_STORE: 'kurrentdb' })).toMatch(/needs VAULT_KURRENTDB_URL/);
    expect(configError({ ...KEY, VAULT_STATE_STORE: 'postgres' })).toMatch(/needs VAULT_POSTGRES_URL/);
  });

  it('refuses a connection string for a store that is not selected, rather than silently using SQLite', () => {
    expect(configError({ VAULT_KURRENTDB_URL: 'kurrentdb://x:2113' })).toMatch(/VAULT_EVENT_STORE is not kurrentdb/);
    expect(configError({ VAULT_POSTGRES_URL: 'postgres://x/y' })).toMatch(/VAULT_STATE_STORE is not postgres/);
    expect(configError({ VAULT_POSTGRES_SCHEMA: 'x' })).toMatch(/VAULT_STATE_STORE is not postgres/);
  });

  it('refuses malformed connection strings and schema names', () => {
    expect(configError({ VAULT_EVENT_STORE: 'kurrentdb', VAULT_KURRENTDB_URL: 'http://x:2113' })).toMatch(
      /must start with kurrentdb:\/\//,
    );
    expect(configError({ ...KEY, VAULT_STATE_STORE: 'postgres', VAULT_POSTGRES_URL: 'mysql://x/y' })).toMatch(
      /must start with postgres:\/\//,
    );
    expect(
      configError({
        ...KEY,
        VAULT_STATE_STORE: 'postgres',
        VAULT_POSTGRES_URL: 'postgres://x/y',
        VAULT_POSTGRES_SCHEMA: 'Vault; DROP',
      }),
    ).toMatch(/lower-case identifier/);
    expect(configError({ VAULT_STORE_TIMEOUT_MS: 'soon' })).toMatch(/VAULT_STORE_TIMEOUT_MS/);
  });

  it('takes VAULT_STORE_TIMEOUT_MS set to nothing as its default, like the other number variables', () => {
    expect(loadConfig({ VAULT_STORE_TIMEOUT_MS: '' }).storeTimeoutMs).toBe(10_000);
    expect(loadConfig({ VAULT_STORE_TIMEOUT_MS: '2500' }).storeTimeoutMs).toBe(2500);
  });

  it('requires a configured master key with the shared PostgreSQL key store', () => {
    expect(configError({ VAULT_STATE_STORE: 'postgres', VAULT_POSTGRES_URL: 'postgres://x/y' })).toMatch(
      /VAULT_MASTER_KEY/,
    );
  });

  it('fails in openStores too when a hand-built config selects a store without its URL', async () => {
    const base = loadConfig({});
    for (const config of [
      { ...base, eventStore: 'kurrentdb' },
      { ...base, stateStore: 'postgres' },
    ] as VaultConfig[]) {
      await expect(openStores(config)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    }
  });

  it('opens the embedded stores in the data directory by default', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-stores-'));
    try {
      const stores = await openStores({ ...loadConfig({}), dataDir });
      expect(await stores.log.headPosition()).toBe(0);
      expect(await stores.access!.listBySubject('nobody')).toEqual([]);
      await Promise.all([stores.log.close(), stores.keys.close(), stores.views.close(), stores.access!.close()]);
      expect(
        readdirSync(dataDir)
          .filter((f) => f.endsWith('.db'))
          .sort(),
      ).toEqual(['access.db', 'events.db', 'keys.db', 'views.db']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('cache configuration', () => {
  it('keeps 2,000 subjects by default, takes 0 to turn caches off, refuses all but a non-negative integer', () => {
    expect(loadConfig({}).cacheSubjects).toBe(2_000);
    expect(loadConfig({ VAULT_CACHE_SUBJECTS: '0' }).cacheSubjects).toBe(0);
    for (const bad of ['-1', '1.5', 'many'])
      expect(configError({ VAULT_CACHE_SUBJECTS: bad })).toContain('VAULT_CACHE_SUBJECTS');
  });
});
