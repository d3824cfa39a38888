/** The production state adapters: keys, read models and the access log in PostgreSQL. */
export { createPostgresPool, DEFAULT_SCHEMA, type PostgresOptions, quoteSchema } from './connect.js';
export { getPostgresKeyStore, KEY_TABLES, postgresKeyStoreHolds, type PostgresKeyStoreOptions } from './keys/index.js';
export { getPostgresAccessLog, type PostgresAccessLogOptions } from './postgresAccessLog.js';
export {
  getPostgresViewStore,
  type IndexPlan,
  planIndexChanges,
  type PostgresViewStoreOptions,
} from './views/index.js';
