import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  getSqliteAccessLog,
  getSqliteEventLog,
  getSqliteKeyStore,
  getSqliteLeaseStore,
  getSqliteViewStore,
  type LeaseStore,
} from '@pdv/vault';

import { accessLogContract } from './accessLog.contract.js';
import { eventLogContract } from './eventLog.contract.js';
import { keyStoreContract } from './keyStore.contract.js';
import { leaseStoreContract } from './leaseStore.contract.js';
import { viewStoreContract } from './viewStore.contract.js';

/** Opens `open(path)` in a fresh temporary directory; cleanup closes it and removes the directory. */
async function inTempDir<T extends { close(): Promise<void> }>(file: string, open: (path: string) => T) {
  const dir = await mkdtemp(join(tmpdir(), 'pdv-sqlite-'));
  const store = open(join(dir, file));
  return { store, cleanup: async () => (await store.close(), await rm(dir, { recursive: true, force: true })) };
}

eventLogContract('SQLite', async () => {
  let file = '';
  const { store, cleanup } = await inTempDir('events.db', (path) => getSqliteEventLog({ path: (file = path) }));
  return { log: store, cleanup, processEnv: { EVENT_LOG: 'sqlite', EVENT_LOG_PATH: file } };
});
keyStoreContract('SQLite', () => inTempDir('keys.db', (path) => getSqliteKeyStore({ path })));
viewStoreContract('SQLite', () => inTempDir('views.db', (path) => getSqliteViewStore({ path })));
accessLogContract('SQLite', () => inTempDir('access.db', (path) => getSqliteAccessLog({ path })));
leaseStoreContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pdv-sqlite-'));
  const path = join(dir, 'leases.db');
  const opened: LeaseStore[] = [getSqliteLeaseStore({ path })];
  return {
    store: opened[0]!,
    other: async () => (opened.push(getSqliteLeaseStore({ path })), opened[opened.length - 1]!),
    cleanup: async () => {
      await Promise.all(opened.map((s) => s.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
});
