/** The read models in PostgreSQL: schema, statements, batch application and queries, tied by the factory. */
export { type IndexPlan, planIndexChanges } from './planIndexChanges.js';
export { getPostgresViewStore, type PostgresViewStoreOptions } from './postgresViewStore.js';
export { VIEW_MIGRATIONS } from './schema.js';
