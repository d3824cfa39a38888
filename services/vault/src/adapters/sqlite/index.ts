/** The embedded (zero set-up) adapters: one SQLite file per port. */
export { getSqliteKeyStore, sqliteKeyStoreHolds, type SqliteKeyStoreOptions } from './keys/index.js';
export type { SqliteOptions } from './openDatabase.js';
export { getSqliteAccessLog, type SqliteAccessLogOptions } from './sqliteAccessLog.js';
export { getSqliteEventLog, type SqliteEventLogOptions } from './sqliteEventLog.js';
export { getSqliteLeaseStore, type SqliteLeaseStoreOptions } from './sqliteLeaseStore.js';
export { DEFAULT_RETENTION_PAGE, getSqliteViewStore, type SqliteViewStoreOptions } from './views/index.js';
