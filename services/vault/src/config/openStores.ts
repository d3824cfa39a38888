import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { VaultConfig } from './loadConfig.js';
import type { EventLog } from '../ports/EventLog.js';
import type { KeyStore } from '../ports/KeyStore.js';
import type { ViewStore } from '../ports/ViewStore.js';
import { getSqliteEventLog, getSqliteKeyStore, getSqliteViewStore } from '../adapters/sqlite/index.js';

/** File names under the data directory: one file per store, so each can have its own backup policy. */
export const DATA_FILES = { events: 'events.db', keys: 'keys.db', views: 'views.db', access: 'access.db' } as const;

export interface VaultStores {
  log: EventLog;
  keys: KeyStore;
  views: ViewStore;
}

/** Picks and opens the adapters the configuration names. The only module that imports adapters. */
export async function openStores(config: VaultConfig): Promise<VaultStores> {
  mkdirSync(config.dataDir, { recursive: true });
  return {
    log: getSqliteEventLog({ path: join(config.dataDir, DATA_FILES.events), synchronous: config.synchronous }),
    keys: getSqliteKeyStore({ path: join(config.dataDir, DATA_FILES.keys), synchronous: config.synchronous }),
    // Read models are rebuildable from the log and commit their checkpoint with their rows, so a
    // power cut can only roll them back to a consistent earlier point: NORMAL is safe here.
    views: getSqliteViewStore({ path: join(config.dataDir, DATA_FILES.views), synchronous: 'NORMAL' }),
  };
}
