/** The embedded key store: statements and its own-thread transactions, tied by the factory. */
export { getSqliteKeyStore, sqliteKeyStoreHolds, type SqliteKeyStoreOptions } from './sqliteKeyStore.js';
