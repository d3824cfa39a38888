import { randomBytes } from 'node:crypto';

import pg from 'pg';

/** The test database: `TEST_POSTGRES_URL`, default the machine's trust-auth instance. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether PostgreSQL answers within 2 s; the reason when it does not. Evaluated once at import
 * (top-level await), so suites can pick `describe` or `describe.skip` with the reason in the name.
 */
export async function probePostgres(url = TEST_POSTGRES_URL): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, query_timeout: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return {
      ok: false,
      reason:
        `PostgreSQL unreachable at ${url.replace(/\/\/[^@]*@/, '//')} (${code ?? (e as Error).message}): set ` +
        `TEST_POSTGRES_URL`,
    };
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh schema name per test run (or per test), so runs on one database never collide. */
export const freshSchema = (prefix = 'pdv_test'): string => `${prefix}_${randomBytes(5).toString('hex')}`;

/** Drops the schema and everything in it. */
export async function dropSchema(schema: string, url = TEST_POSTGRES_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
}
