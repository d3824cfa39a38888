import type { Pool, PoolClient, QueryResultRow } from 'pg';
import pg from 'pg';

import { isVaultError, VaultError } from '../../domain/errors.js';

/** Options shared by the PostgreSQL adapters. Give either `pool` or `connectionString`. */
export interface PostgresOptions {
  /** A pool the caller owns (and ends); the adapter never ends it. */
  pool?: Pool;
  /** `postgres://user@host:port/database`; the adapter creates and owns its own pool. */
  connectionString?: string;
  /** Schema that holds the adapter's tables; created by the migrations. Default `vault`. */
  schema?: string;
  /** Largest number of connections of an owned pool. Default 10. */
  maxConnections?: number;
  /** How long opening a connection may take before the call fails with STORE_UNAVAILABLE, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /**
   * Deadline of every statement: the server cancels it (`statement_timeout`) and the client stops
   * waiting (`query_timeout`) a little later, so a server that stops answering never hangs a request.
   * Only applies to an owned pool. Default 10000.
   */
  statementTimeoutMs?: number;
  /** Called with a message (no data) when an idle pooled connection fails. Default: ignored, the pool replaces it. */
  warn?: (message: string) => void;
}

export const DEFAULT_SCHEMA = 'vault';
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema name, validated (lower-case identifier) and quoted for use in SQL. */
export function quoteSchema(schema: string): string {
  if (!IDENT.test(schema)) {
    throw new VaultError('CONFIG_INVALID', `PostgreSQL schema name "${schema}" must match ${IDENT.source}`, {
      details: { schema },
    });
  }
  return `"${schema}"`;
}

/** SQLSTATE classes and codes that mean "the database is not there or not answering", not "your statement is wrong". */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0|58|3D000|28)/;
const UNAVAILABLE_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const UNAVAILABLE_MESSAGE = new RegExp(
  [
    'Connection terminated',
    'timeout exceeded when trying to connect',
    'Query read timeout',
    'Cannot use a pool after calling end',
    'Client was closed',
    'Connection ended',
  ].join('|'),
  'i',
);

/**
 * The one place where PostgreSQL's (and node-postgres') errors become the vault's errors.
 * Unreachable, shut down, overloaded or timed out: STORE_UNAVAILABLE. A statement cancelled by
 * `statement_timeout` (57014) too, and the vault's schema or tables missing. Anything else is a
 * bug and passes through unchanged.
 */
export function toVaultError(e: unknown): unknown {
  if (isVaultError(e)) return e;
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? err.message : '';
  if (
    code !== undefined &&
    (UNAVAILABLE_NODE.has(code) || code === '57014' || (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_SQLSTATE.test(code)))
  ) {
    return new VaultError('STORE_UNAVAILABLE', `PostgreSQL store failed (${code})`, {
      cause: e,
      details: { pgCode: code },
    });
  }
  if (UNAVAILABLE_MESSAGE.test(message)) {
    return new VaultError('STORE_UNAVAILABLE', 'PostgreSQL store did not answer', { cause: e });
  }
  // The vault's own schema or tables gone (dropped under a running vault, or another database):
  // the store is not usable as configured, which a restart (it migrates) or an operator mends.
  if (code === '3F000' || code === '42P01') {
    return new VaultError('STORE_UNAVAILABLE', `PostgreSQL store is missing the vault's schema or tables (${code})`, {
      cause: e,
      details: { pgCode: code },
    });
  }
  if (code === '40001' || code === '40P01') {
    return new VaultError('STORE_UNAVAILABLE', `PostgreSQL transaction aborted (${code}); retry`, {
      cause: e,
      details: { pgCode: code },
    });
  }
  return e;
}

export const closedError = (): VaultError => new VaultError('STORE_UNAVAILABLE', 'PostgreSQL store is closed');

/** A pool plus what the adapter needs to use and release it. */
export interface PostgresHandle {
  pool: Pool;
  /** Quoted schema name, e.g. `"vault"`. */
  s: string;
  schema: string;
  /** Runs one statement; errors mapped. */
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Runs `body` in one transaction (BEGIN … COMMIT, ROLLBACK on a throw); errors mapped. */
  tx<T>(body: (c: PoolClient) => Promise<T>): Promise<T>;
  /** Marks closed; ends the pool only if the adapter created it. */
  close(): Promise<void>;
  readonly closed: boolean;
}

/**
 * A pool with the adapters' settings: connect timeout, statement deadline enforced by the server
 * (`statement_timeout`) and by the client (`query_timeout`, a little later), and an error
 * listener so an idle connection that drops never crashes the process.
 */
export function createPostgresPool(
  options: Omit<PostgresOptions, 'pool' | 'schema'> & { connectionString?: string },
): Pool {
  const statementTimeout = options.statementTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 2000,
    application_name: 'pdv-vault',
  });
  pool.on('error', (e: Error) =>
    options.warn?.(`PostgreSQL idle connection failed: ${(e as { code?: string }).code ?? e.name}`),
  );
  return pool;
}

export function connect(options: PostgresOptions): PostgresHandle {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);
  if (!options.pool && !options.connectionString) {
    throw new VaultError('CONFIG_INVALID', 'A PostgreSQL adapter needs a pool or a connection string');
  }
  const owned = !options.pool;
  const pool = options.pool ?? createPostgresPool(options);
  let closed = false;

  const handle: PostgresHandle = {
    pool,
    s,
    schema,
    get closed() {
      return closed;
    },
    async query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
      if (closed) throw closedError();
      try {
        return (await pool.query<R>(text, values)).rows;
      } catch (e) {
        throw toVaultError(e);
      }
    },
    async tx<T>(body: (c: PoolClient) => Promise<T>): Promise<T> {
      if (closed) throw closedError();
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        throw toVaultError(e);
      }
      let broken = false;
      // The pool listens for errors of idle connections only: one that drops while checked out
      // would emit an 'error' nobody handles and end the process. The statement under way fails
      // with it anyway; the connection is destroyed, not handed back.
      const onError = () => void (broken = true);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await body(client);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          // The connection is gone: destroy it rather than hand it back to the pool.
          broken = true;
        }
        throw toVaultError(e);
      } finally {
        // A broken connection keeps the listener: it may report its end once more after release.
        if (!broken) client.off('error', onError);
        client.release(broken);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (owned) await pool.end();
    },
  };
  return handle;
}

/**
 * Applies the migrations of one component (keys, views, access) that have not run yet, in one
 * transaction under an advisory lock on the schema, so replicas starting together serialise and
 * every step runs once. Idempotent: a second call changes nothing.
 */
export async function migrate(
  db: PostgresHandle,
  component: string,
  steps: readonly ((s: string) => string)[],
): Promise<void> {
  await db.tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pdv-migrate:${db.schema}`]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${db.s}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${db.s}.schema_migrations (
      component  text    NOT NULL,
      version    integer NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (component, version))`);
    const done = await c.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${db.s}.schema_migrations WHERE component = $1`,
      [component],
    );
    const from = done.rows[0]?.v ?? 0;
    for (let v = from + 1; v <= steps.length; v++) {
      await c.query(steps[v - 1]!(db.s));
      await c.query(`INSERT INTO ${db.s}.schema_migrations (component, version) VALUES ($1, $2)`, [component, v]);
    }
  });
}

/** Opens the handle and runs the component's migrations; closes the handle again if they fail. */
export async function openMigrated(
  options: PostgresOptions,
  component: string,
  steps: readonly ((s: string) => string)[],
): Promise<PostgresHandle> {
  const db = connect(options);
  try {
    await migrate(db, component, steps);
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
  return db;
}

/** Distinct values, in first-seen order. */
export const distinct = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
