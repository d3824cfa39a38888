/** The read models in PostgreSQL: schema, statements, batch application and queries, tied by the factory. */
export { getPostgresViewStore, type PostgresViewStoreOptions } from './postgresViewStore.js';
export { planIndexChanges, type IndexPlan } from './planIndexChanges.js';
