import type Database from 'better-sqlite3';

import type { SqliteDatabase } from './openDatabase.js';

/**
 * What the adapters use of a prepared statement: the driver's own type cannot be named in
 * declaration files, so statements shared between files are typed by this part of it.
 */
export interface Statement<P extends unknown[], R> {
  run(...params: P): Database.RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

/** `db.prepare`, typed as a {@link Statement}: positional parameters as a tuple, named ones as an object. */
export const prepare = <P extends unknown[] | object, R = unknown>(db: SqliteDatabase, sql: string) =>
  db.prepare<P, R>(sql) as Statement<P extends unknown[] ? P : [P], R>;
