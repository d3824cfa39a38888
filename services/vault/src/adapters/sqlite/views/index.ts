/** The embedded read models: schema, statements, batch application and queries, tied by the factory. */
export { DEFAULT_RETENTION_PAGE } from './queries.js';
export { getSqliteViewStore, type SqliteViewStoreOptions } from './sqliteViewStore.js';
