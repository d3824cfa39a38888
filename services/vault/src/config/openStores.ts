import { join } from 'node:path';

import { getLocalKekProvider } from '../adapters/localKek/index.js';
import {
  getSqliteAccessLog,
  getSqliteEventLog,
  getSqliteKeyStore,
  getSqliteLeaseStore,
  getSqliteViewStore,
  sqliteKeyStoreHolds,
} from '../adapters/sqlite/index.js';
import { resolveMasterKeys } from '../crypto/masterKey.js';
import { isVaultError, VaultError } from '../domain/errors.js';
import type { AccessLog } from '../ports/AccessLog.js';
import type { EventLog } from '../ports/EventLog.js';
import type { KekProvider } from '../ports/KekProvider.js';
import type { KeyStore } from '../ports/KeyStore.js';
import type { LeaseStore } from '../ports/LeaseStore.js';
import type { ViewStore } from '../ports/ViewStore.js';
import { makePrivateDir } from '../support/privateFiles.js';
import { checkFilePermissions } from './checkFilePermissions.js';
import { embeddedState, isProduction, postgresSchemaOf, type VaultConfig } from './loadConfig.js';

/** File names under the data directory: one file per store, so each can have its own backup policy. */
export const DATA_FILES = {
  events: 'events.db',
  keys: 'keys.db',
  views: 'views.db',
  access: 'access.db',
  leases: 'leases.db',
  kek: 'kek.slots',
} as const;

/**
 * The custody of the key-encryption keys the configuration names: the local epoch key file
 * (sealed under the master key; a development master key is generated only when
 * `allowGenerate`) or an HSM through PKCS#11, whose binding is loaded only then. A master key
 * given as bytes (`loadConfig`'s) is zeroed and deleted from `config` once the custody is open.
 */
export async function openKekProvider(
  config: VaultConfig,
  options: { allowGenerate: boolean; warn: (m: string) => void },
): Promise<KekProvider> {
  try {
    return await openConfiguredKek(config, options);
  } finally {
    // Master key bytes (as loadConfig reads them) are consumed here: the custody holds what it needs.
    if (config.masterKey instanceof Uint8Array) {
      config.masterKey.fill(0);
      delete config.masterKey;
    }
  }
}

async function openConfiguredKek(
  config: VaultConfig,
  options: { allowGenerate: boolean; warn: (m: string) => void },
): Promise<KekProvider> {
  if ((config.kekProvider ?? 'local') === 'pkcs11') {
    if (!config.pkcs11)
      throw new VaultError('CONFIG_INVALID', 'VAULT_KEK_PROVIDER=pkcs11 needs VAULT_PKCS11_SLOT and VAULT_PKCS11_PIN');
    const { getPkcs11KekProvider } = await import('../adapters/pkcs11/index.js');
    const { module: modulePath, slot, pin, labelPrefix } = config.pkcs11;
    // A number is a slot index (among slots that hold a token); anything else a token label.
    return getPkcs11KekProvider({
      modulePath,
      slot: /^\d+$/.test(slot) ? Number(slot) : slot,
      pin,
      ...(labelPrefix ? { labelPrefix } : {}),
    });
  }
  const master = resolveMasterKeys({
    ...config,
    allowGenerate: options.allowGenerate,
    production: isProduction(config),
    warn: options.warn,
  });
  makePrivateDir(config.dataDir);
  return getLocalKekProvider({ path: config.kekFile ?? join(config.dataDir, DATA_FILES.kek), master });
}

export interface VaultStores {
  log: EventLog;
  keys: KeyStore;
  views: ViewStore;
  /**
   * The access log: `access.db` on the embedded default, a table in PostgreSQL. Stores built by hand may leave it out
   * (the vault then keeps one in memory).
   */
  access?: AccessLog;
  /**
   * Where replicas claim notifications and transmissions (`openLeaseStore`): stores built by hand for replicas bring a
   * connection to one they share; without, a vault delivers and transmits as the only one (an in-memory store).
   * Opened at the first claim.
   */
  leases?: LeaseStore;
}

export interface OpenStoresOptions {
  /** Receives operational warnings (an idle database connection dropped); never data. */
  warn?: (message: string) => void;
}

/** The PostgreSQL URL of a configuration that puts a store (the event log or the state) on `postgres`. */
function postgresUrlOf(config: VaultConfig): string {
  if (!config.postgresUrl) {
    const variable = config.stateStore === 'postgres' ? 'VAULT_STATE_STORE' : 'VAULT_EVENT_STORE';
    throw new VaultError('CONFIG_INVALID', `${variable}=postgres needs VAULT_POSTGRES_URL`);
  }
  return config.postgresUrl;
}

/** The deadline of every store call, and of opening a connection (`VAULT_STORE_TIMEOUT_MS`). */
const storeTimeoutOf = (config: VaultConfig): number => config.storeTimeoutMs ?? 10_000;

/** An access log in memory, for stores built by hand (tests, embedding) that bring none. */
export const openMemoryAccessLog = (): AccessLog => getSqliteAccessLog({ path: ':memory:' });

/**
 * `store`, whose `close` also runs `release` (once). A proxy, not a copy: the event log is a class,
 * whose methods a spread would leave behind.
 */
function releasing<T extends { close(): Promise<void> }>(store: T, release: () => Promise<void>): T {
  let done = false;
  const close = async () => {
    if (done) return;
    done = true;
    await store.close();
    await release();
  };
  return new Proxy(store, {
    get: (target, prop) => (prop === 'close' ? close : (Reflect.get(target, prop, target) as unknown)),
  });
}

/**
 * One pool for every PostgreSQL store of the configuration, ended when the last store opened on
 * it closes (by `close` when none was). A store that cannot connect at start-up fails with a
 * STORE_UNAVAILABLE that names VAULT_POSTGRES_URL.
 */
async function sharedPostgres(config: VaultConfig, options: OpenStoresOptions) {
  const adapters = await import('../adapters/postgres/index.js');
  const timeoutMs = storeTimeoutOf(config);
  const pool = adapters.createPostgresPool({
    connectionString: postgresUrlOf(config),
    // Opening a connection is a store call too: one deadline for both.
    connectTimeoutMs: timeoutMs,
    statementTimeoutMs: timeoutMs,
    ...(options.warn ? { warn: options.warn } : {}),
  });
  const common = { pool, schema: postgresSchemaOf(config), ...(options.warn ? { warn: options.warn } : {}) };
  let users = 0;
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    await pool.end();
  };
  return {
    adapters,
    async open<T extends { close(): Promise<void> }>(openStore: (o: typeof common) => Promise<T>): Promise<T> {
      const store = await naming('VAULT_POSTGRES_URL', () => openStore(common));
      users += 1;
      return releasing(store, async () => {
        if (--users === 0) await end();
      });
    },
    close: async () => (users === 0 ? end() : undefined),
  };
}

/**
 * Picks and opens the adapters the configuration names. The only module that imports adapters;
 * the networked ones are loaded on demand, so the embedded default never loads their clients.
 * If one store fails to open, those already open are closed again and the error propagates.
 */
export async function openStores(config: VaultConfig, options: OpenStoresOptions = {}): Promise<VaultStores> {
  const eventStore = config.eventStore ?? 'sqlite';
  const stateStore = config.stateStore ?? 'sqlite';
  const onPostgres = eventStore === 'postgres' || stateStore === 'postgres';
  // loadConfig checks this too; a hand-built config (tests, embedding) must not fail later and vaguely.
  if (eventStore === 'kurrentdb' && !config.kurrentdbUrl)
    throw new VaultError('CONFIG_INVALID', 'VAULT_EVENT_STORE=kurrentdb needs VAULT_KURRENTDB_URL');
  if (onPostgres) postgresUrlOf(config);
  // Before anything is created or opened: a refusal leaves the files as they were.
  checkFilePermissions(config, options.warn ?? ((m) => process.emitWarning(m)));
  if (eventStore === 'sqlite' || stateStore === 'sqlite') makePrivateDir(config.dataDir);

  const opened: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(store: T): T => (opened.push(store), store);
  try {
    // One pool for the event log and the state stores, when they are on PostgreSQL.
    const pg = onPostgres ? track(await sharedPostgres(config, options)) : undefined;
    let log: EventLog;
    if (eventStore === 'kurrentdb') {
      const { getKurrentdbEventLog } = await import('../adapters/kurrentdb/index.js');
      log = track(getKurrentdbEventLog({ connectionString: config.kurrentdbUrl!, deadlineMs: storeTimeoutOf(config) }));
    } else if (pg && eventStore === 'postgres') {
      log = track(await pg.open(pg.adapters.getPostgresEventLog));
    } else {
      log = track(
        getSqliteEventLog({ path: join(config.dataDir, DATA_FILES.events), synchronous: config.synchronous }),
      );
    }

    if (pg && stateStore === 'postgres') {
      // Sequential, not parallel: the migrations of one schema serialise on an advisory lock anyway.
      const keys = track(await pg.open(pg.adapters.getPostgresKeyStore));
      const views = track(await pg.open(pg.adapters.getPostgresViewStore));
      const access = track(await pg.open(pg.adapters.getPostgresAccessLog));
      return { log, keys, views, access };
    }

    return {
      log,
      keys: track(getSqliteKeyStore({ path: join(config.dataDir, DATA_FILES.keys), synchronous: config.synchronous })),
      // Read models are rebuildable from the log and commit their checkpoint with their rows, so a
      // power cut can only roll them back to a consistent earlier point: NORMAL is safe here.
      views: track(getSqliteViewStore({ path: join(config.dataDir, DATA_FILES.views), synchronous: 'NORMAL' })),
      access: track(
        getSqliteAccessLog({ path: join(config.dataDir, DATA_FILES.access), synchronous: config.synchronous }),
      ),
    };
  } catch (e) {
    await Promise.allSettled(opened.map((s) => s.close()));
    throw e;
  }
}

/**
 * Where replicas claim notifications before they deliver them (propagation), and transmissions before they send an
 * attempt (Art. 20(2)): a table in the PostgreSQL schema when a store is on PostgreSQL (the database every replica
 * shares), else `leases.db` in the data directory (replicas on one machine sharing it). Opened only by a vault that
 * delivers or transmits.
 */
export async function openLeaseStore(config: VaultConfig, options: OpenStoresOptions = {}): Promise<LeaseStore> {
  if ((config.eventStore ?? 'sqlite') !== 'postgres' && (config.stateStore ?? 'sqlite') !== 'postgres') {
    makePrivateDir(config.dataDir);
    return getSqliteLeaseStore({ path: join(config.dataDir, DATA_FILES.leases) });
  }
  const { getPostgresLeaseStore } = await import('../adapters/postgres/index.js');
  const timeoutMs = storeTimeoutOf(config);
  return naming('VAULT_POSTGRES_URL', () =>
    getPostgresLeaseStore({
      connectionString: postgresUrlOf(config),
      schema: postgresSchemaOf(config),
      maxConnections: 2,
      connectTimeoutMs: timeoutMs,
      statementTimeoutMs: timeoutMs,
      ...(options.warn ? { warn: options.warn } : {}),
    }),
  );
}

/** Leases in memory, for stores built by hand (tests, embedding) that bring none: this process alone. */
export const openMemoryLeaseStore = (): LeaseStore => getSqliteLeaseStore({ path: ':memory:' });

/**
 * Whether the configured key store holds the vault secret `name` (the embedded `keys.db`, or the
 * key store's tables in the PostgreSQL schema); undefined when there is no key store. Found
 * without creating anything: for commands that only read a vault.
 */
export async function keyStoreHolds(config: VaultConfig, name: string): Promise<boolean | undefined> {
  if (embeddedState(config)) return sqliteKeyStoreHolds(join(config.dataDir, DATA_FILES.keys), name);
  const { postgresKeyStoreHolds } = await import('../adapters/postgres/index.js');
  const timeoutMs = storeTimeoutOf(config);
  return naming('VAULT_POSTGRES_URL', () =>
    postgresKeyStoreHolds(
      {
        connectionString: postgresUrlOf(config),
        schema: postgresSchemaOf(config),
        connectTimeoutMs: timeoutMs,
        statementTimeoutMs: timeoutMs,
      },
      name,
    ),
  );
}

/**
 * A store that cannot be reached at start-up is a configuration question first: its
 * STORE_UNAVAILABLE names the variable that points at it (never the URL, which may hold a password).
 */
async function naming<T>(variable: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    if (!isVaultError(e, 'STORE_UNAVAILABLE')) throw e;
    throw new VaultError('STORE_UNAVAILABLE', `${e.message}; check ${variable}`, {
      cause: e,
      ...(e.details ? { details: e.details } : {}),
    });
  }
}
