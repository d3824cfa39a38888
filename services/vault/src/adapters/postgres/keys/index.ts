/** Wrapped data keys in PostgreSQL: schema, statements, tied by the factory. */
export { getPostgresKeyStore, postgresKeyStoreHolds, type PostgresKeyStoreOptions } from './postgresKeyStore.js';
export { KEY_MIGRATIONS, KEY_PARTITIONS, KEY_TABLES } from './schema.js';
