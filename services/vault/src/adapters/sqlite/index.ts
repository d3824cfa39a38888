/** The embedded (zero set-up) adapters: one SQLite file per port. */
export { getSqliteEventLog, type SqliteEventLogOptions } from './sqliteEventLog.js';
export { getSqliteKeyStore, sqliteKeyStoreHolds, type SqliteKeyStoreOptions } from './keys/index.js';
export { getSqliteViewStore, DEFAULT_RETENTION_PAGE, type SqliteViewStoreOptions } from './views/index.js';
export type { SqliteOptions } from './openDatabase.js';
export { getSqliteAccessLog, type SqliteAccessLogOptions } from './sqliteAccessLog.js';
