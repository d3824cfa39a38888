/** The event log in PostgreSQL: schema and append function, reads, subscriptions woken by LISTEN/NOTIFY. */
export { getPostgresEventLog, type PostgresEventLogOptions } from './postgresEventLog.js';
