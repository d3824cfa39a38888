/** Wrapped data keys in PostgreSQL: schema, statements, tied by the factory. */
export { getPostgresKeyStore, postgresKeyStoreHolds, type PostgresKeyStoreOptions } from './postgresKeyStore.js';
export { KEY_TABLES } from './schema.js';
