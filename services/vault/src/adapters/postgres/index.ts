/** The production state adapters: keys, read models and the access log in PostgreSQL. */
export { getPostgresKeyStore, postgresKeyStoreHolds, KEY_TABLES, type PostgresKeyStoreOptions } from './keys/index.js';
export {
  getPostgresViewStore,
  planIndexChanges,
  type IndexPlan,
  type PostgresViewStoreOptions,
} from './views/index.js';
export { getPostgresAccessLog, type PostgresAccessLogOptions } from './postgresAccessLog.js';
export { DEFAULT_SCHEMA, createPostgresPool, quoteSchema, type PostgresOptions } from './connect.js';
