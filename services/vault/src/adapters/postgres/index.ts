/** The PostgreSQL adapters: the event log, keys, read models and the access log. */
export { createPostgresPool, DEFAULT_SCHEMA, type PostgresOptions, quoteSchema } from './connect.js';
export { getPostgresEventLog, type PostgresEventLogOptions } from './events/index.js';
export {
  getPostgresKeyStore,
  KEY_MIGRATIONS,
  KEY_PARTITIONS,
  KEY_TABLES,
  postgresKeyStoreHolds,
  type PostgresKeyStoreOptions,
} from './keys/index.js';
export { getPostgresAccessLog, type PostgresAccessLogOptions } from './postgresAccessLog.js';
export { getPostgresLeaseStore, type PostgresLeaseStoreOptions } from './postgresLeaseStore.js';
export {
  getPostgresViewStore,
  type IndexPlan,
  planIndexChanges,
  type PostgresViewStoreOptions,
  VIEW_MIGRATIONS,
} from './views/index.js';
