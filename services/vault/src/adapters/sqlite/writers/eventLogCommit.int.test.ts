import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { type AppendRequest, createGroupCommitter, EVENTS_SCHEMA } from './eventLogCommit.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'pdv-commit-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'events.db'));
  db.pragma('journal_mode = WAL');
  db.exec(EVENTS_SCHEMA);
  return db;
}

const append = (streamId: string, bytes = 10): AppendRequest => ({
  streamId,
  expected: 'no_stream',
  ids: [`${streamId}-0`],
  types: ['T'],
  data: [JSON.stringify('x'.repeat(bytes))],
  metadata: ['{}'],
});
const stored = (db: Database.Database) =>
  (db.prepare('SELECT stream_id FROM events ORDER BY position').all() as { stream_id: string }[]).map(
    (r) => r.stream_id,
  );

describe('group commit', () => {
  it('fails one append alone when only its savepoint rolls back', () => {
    const db = open();
    const commit = createGroupCommitter(db);
    const outcomes = commit([append('a'), { ...append('b'), expected: 5 }, append('c')]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(stored(db)).toEqual(['a', 'c']);
    db.close();
  });

  it('fails the whole group when SQLite rolls the transaction back (a full disk): none commits alone', () => {
    const db = open();
    const commit = createGroupCommitter(db);
    commit([append('warm')]);
    // Room for a few more pages only: the 200 KB append cannot fit, and SQLITE_FULL ends the transaction.
    db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 3}`);
    expect(() => commit([append('a'), append('b', 200_000), append('c')])).toThrow(
      expect.objectContaining({ code: 'SQLITE_FULL' }),
    );
    expect(stored(db)).toEqual(['warm']);
    expect(db.inTransaction).toBe(false);
    db.close();
  });
});
