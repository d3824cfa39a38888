import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { StoredKey } from '../../ports/KeyStore.js';
import { CONSENTS_UNINDEXED, emptyBatch, type ViewStore } from '../../ports/ViewStore.js';
import { getSqliteEventLog, getSqliteKeyStore, getSqliteViewStore } from './index.js';

/** Which of the database's files (main, -wal, -shm) contain the needle, read raw from disk. */
const filesContaining = (path: string, needle: Buffer): string[] =>
  ['', '-wal', '-shm', '-slots']
    .filter((suffix) => existsSync(path + suffix) && readFileSync(path + suffix).includes(needle))
    .map((s) => `db${s}`);

const key = (subjectId: string, category: string): StoredKey => ({
  keyId: `${subjectId}/${category}/1`,
  subjectId,
  category,
  wrapped: new Uint8Array(randomBytes(72)),
  kekVersion: 1,
  createdAt: '2024-01-01T00:00:00.000Z',
});

describe('SQLite adapters on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pdv-sqlite-files-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('removes shredded key bytes from keys.db, its -wal, -shm and -slots files', async () => {
    const path = join(dir, 'keys.db');
    const store = getSqliteKeyStore({ path });
    const doomed = Array.from({ length: 20 }, (_, i) => key(`subj-${i}`, 'contact'));
    const kept = Array.from({ length: 20 }, (_, i) => key(`subj-${i}`, 'billing'));
    await store.createIfAbsent([...doomed, ...kept]);
    // Each create is its own commit, so old page images with the doomed keys pile up in the WAL.
    for (let i = 0; i < 20; i++) await store.createIfAbsent([key(`filler-${i}`, 'contact')]);
    for (const k of doomed)
      expect(filesContaining(path, Buffer.from(k.wrapped)), 'sanity: key bytes are on disk before shred').toEqual([
        'db-slots',
      ]);

    expect(
      (
        await store.shred(
          doomed.map((k) => k.keyId),
          'erasure',
          '2024-02-01T00:00:00.000Z',
        )
      ).length,
    ).toBe(20);
    for (const k of doomed) expect(filesContaining(path, Buffer.from(k.wrapped))).toEqual([]);
    for (const k of kept) expect(filesContaining(path, Buffer.from(k.wrapped))).not.toEqual([]);

    await store.close();
    for (const k of doomed) expect(filesContaining(path, Buffer.from(k.wrapped))).toEqual([]);
  });

  it('removes deleted blind-index hashes from views.db and its WAL', async () => {
    const path = join(dir, 'views.db');
    const store = getSqliteViewStore({ path });
    const hash = randomBytes(32).toString('hex');
    const entry = { hash, subjectId: 'subj-1', category: 'contact', field: 'email' };
    await store.apply('p', { ...emptyBatch(), index: [{ op: 'put', entry }] }, 1);
    await store.apply('p', { ...emptyBatch(), subjects: [] }, 2);
    expect(filesContaining(path, Buffer.from(hash))).not.toEqual([]);
    await store.apply('p', { ...emptyBatch(), index: [{ op: 'delete', subjectId: 'subj-1', category: 'contact' }] }, 3);
    expect(filesContaining(path, Buffer.from(hash))).toEqual([]);
    await store.close();
  });

  it('copies the views WAL into views.db from its checkpointer thread, with no commit doing it', async () => {
    const path = join(dir, 'views.db');
    const store = getSqliteViewStore({ path });
    const state = (subjectId: string) => ({
      subjectId,
      revision: 0,
      registeredAt: '2024-01-01T00:00:00.000Z',
      erasedAt: null,
      categories: {},
      padding: 'x'.repeat(4000),
    });
    for (let i = 1; i <= 40; i++) {
      await store.apply(
        'subjects',
        { ...emptyBatch(), subjects: [{ subjectId: `s-${i}`, position: i, state: state(`s-${i}`) as never }] },
        i,
      );
    }
    // The database file alone (a copy without its WAL) catches up within a few checkpointer ticks. A copy taken while
    // a checkpoint writes pages into the file can be torn (SQLITE_CORRUPT, or SQLITE_NOTADB for a torn header): such a
    // copy counts as not caught up yet.
    const fileAlone = () => {
      const copy = join(dir, `copy-${Date.now()}.db`);
      copyFileSync(path, copy);
      const db = new Database(copy);
      try {
        // Before the first checkpoint the file does not even hold the schema.
        const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'checkpoints'").get();
        return hasTable
          ? ((
              db.prepare('SELECT position FROM checkpoints WHERE projection = ?').get('subjects') as
                { position: number } | undefined
            )?.position ?? 0)
          : 0;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return 0;
        throw error;
      } finally {
        db.close();
      }
    };
    const deadline = Date.now() + 5000;
    let caughtUp = fileAlone();
    while (caughtUp < 40 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      caughtUp = fileAlone();
    }
    expect(caughtUp).toBe(40);
    await store.close();
  });

  // Six stores opened and closed, each with its writer thread, every commit synced to disk: 12 s beside one other
  // suite, over 20 s once in a full CI run on two cores. A durability check, not a timing one.
  it('keeps appended events, keys and views across close and reopen', async () => {
    const paths = { events: join(dir, 'events.db'), keys: join(dir, 'keys.db'), views: join(dir, 'views.db') };
    const log = getSqliteEventLog({ path: paths.events });
    const appends = Array.from({ length: 20 }, (_, i) =>
      log.append(
        `s-${i % 4}`,
        [{ id: `e-${i}`, type: 'T', data: { i }, metadata: { actor: 'test', at: '2024-01-01T00:00:00.000Z' } }],
        'any',
      ),
    );
    // close() flushes appends still queued for the next group commit.
    await log.close();
    const results = await Promise.all(appends);
    const keys = getSqliteKeyStore({ path: paths.keys, synchronous: 'NORMAL' });
    const k = key('subj-1', 'contact');
    await keys.createIfAbsent([k]);
    await keys.putMetaIfAbsent('seed', new Uint8Array([1, 2, 3]));
    await keys.close();
    const views = getSqliteViewStore({ path: paths.views });
    await views.apply(
      'p',
      {
        ...emptyBatch(),
        index: [{ op: 'put', entry: { hash: 'h', subjectId: 'subj-1', category: 'contact', field: 'email' } }],
      },
      20,
    );
    await views.close();

    const log2 = getSqliteEventLog({ path: paths.events });
    expect(await log2.headPosition()).toBe(20);
    expect(Math.max(...results.map((r) => r.position))).toBe(20);
    expect((await log2.readAll()).map((e) => e.id)).toEqual(Array.from({ length: 20 }, (_, i) => `e-${i}`));
    expect(
      (
        await log2.append(
          's-0',
          [{ id: 'e-20', type: 'T', data: {}, metadata: { actor: 'test', at: '2024-01-01T00:00:00.000Z' } }],
          4,
        )
      ).position,
    ).toBe(21);
    await log2.close();
    const keys2 = getSqliteKeyStore({ path: paths.keys });
    expect((await keys2.getByIds([k.keyId])).get(k.keyId)).toEqual(k);
    expect(await keys2.getMeta('seed')).toEqual(new Uint8Array([1, 2, 3]));
    await keys2.close();
    const views2 = getSqliteViewStore({ path: paths.views });
    expect(await views2.checkpoint('p')).toBe(20);
    expect(await views2.findByBlindIndex(['h'])).toHaveLength(1);
    await views2.close();
  }, 60_000);

  it('adds the entry column to the holds of a views.db made before it, keeping the rows it had', async () => {
    const path = join(dir, 'views.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE holds (subject_id TEXT NOT NULL, category TEXT NOT NULL, basis TEXT NOT NULL,
      "until" TEXT NOT NULL, source TEXT NOT NULL)`);
    old.prepare('INSERT INTO holds VALUES (?, ?, ?, ?, ?)').run('s-1', 'debtor', 'litigation', '2030-01-01', 'dpo');
    old.close();
    const store = getSqliteViewStore({ path });
    const row = { subjectId: 's-2', category: 'debtor', entry: 'A-1', basis: 'litigation', until: 'open' };
    await store.apply('p', { ...emptyBatch(), holds: [{ subjectId: 's-2', rows: [{ ...row, source: 'dpo' }] }] }, 1);
    expect(await store.listHolds()).toEqual([
      { subjectId: 's-1', category: 'debtor', basis: 'litigation', until: '2030-01-01', source: 'dpo' },
      { ...row, source: 'dpo' },
    ]);
    await store.close();
    // A second open finds the column there.
    const again = getSqliteViewStore({ path });
    expect(await again.listHolds({ subjectId: 's-2' })).toEqual([{ ...row, source: 'dpo' }]);
    await again.close();
  });

  it('widens the blind index of a views.db made before entries had rows of their own, keeping its rows', async () => {
    const path = join(dir, 'views.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE blind_index (hash TEXT NOT NULL, subject_id TEXT NOT NULL, category TEXT NOT NULL,
      field TEXT NOT NULL, PRIMARY KEY (subject_id, category, field)) WITHOUT ROWID;
      CREATE INDEX blind_index_hash ON blind_index (hash);`);
    old.prepare('INSERT INTO blind_index VALUES (?, ?, ?, ?)').run('h', 's-1', 'debtor', 'email');
    old.close();
    const store = getSqliteViewStore({ path });
    const own = { hash: 'h', subjectId: 's-1', category: 'debtor', field: 'email' };
    const ofCase = { ...own, entry: 'A-1' };
    await store.apply('p', { ...emptyBatch(), index: [{ op: 'put', entry: ofCase }] }, 1);
    expect(await store.findByBlindIndex(['h'])).toEqual([own, ofCase]);
    await store.close();
    // A second open finds the index widened, its rows as they were.
    const again = getSqliteViewStore({ path });
    expect(await again.findByBlindIndex(['h'])).toEqual([own, ofCase]);
    await again.close();
    const file = new Database(path, { readonly: true });
    expect(file.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'blind_index' ORDER BY name").all()).toEqual([
      { name: 'blind_index' },
      { name: 'blind_index_hash' },
    ]);
    file.close();
  });

  it('adds the consents index to a views.db made before it, saying up to where the log must fill it', async () => {
    const path = join(dir, 'views.db');
    const old = new Database(path);
    old.exec('CREATE TABLE checkpoints (projection TEXT PRIMARY KEY, position INTEGER NOT NULL)');
    const insert = old.prepare('INSERT INTO checkpoints VALUES (?, ?)');
    for (const [projection, position] of [
      ['subjects', 420],
      ['consentValidity', 3],
    ] as const)
      insert.run(projection, position);
    old.close();
    const store = getSqliteViewStore({ path });
    // The subjects of the 420 events projected before the index are not in it: the log up to there fills it.
    expect(await store.checkpoint(CONSENTS_UNINDEXED)).toBe(420);
    expect(await store.listConsentSubjects()).toEqual([]);
    await store.apply('subjects', { ...emptyBatch(), consents: ['s-2', 's-1'] }, 421);
    expect(await store.listConsentSubjects()).toEqual(['s-1', 's-2']);
    await store.close();
    // A second open finds the index there, and moves nothing.
    const again = getSqliteViewStore({ path });
    expect(await again.checkpoint(CONSENTS_UNINDEXED)).toBe(420);
    expect(await again.listConsentSubjects()).toEqual(['s-1', 's-2']);
    await again.close();
    // A new file (and one whose projections never ran) lacks nothing.
    const fresh = getSqliteViewStore({ path: join(dir, 'new-views.db') });
    expect(await fresh.checkpoint(CONSENTS_UNINDEXED)).toBe(0);
    await fresh.close();
  });

  it('rebuilds aside without the query indexes, swapped in with them at the end or when closed', async () => {
    const path = join(dir, 'views.db');
    const aside = `${path}.rebuild.${process.pid}`;
    const indexes = (file = path) => {
      const db = new Database(file, { readonly: true });
      const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").pluck();
      const out = (names.all() as string[]).sort();
      db.close();
      return out;
    };
    const queryIndexes = ['blind_index_hash', 'retention_due', 'subjects_position', 'tracked_due'];
    // Batches of 150 subjects, committed on the writer thread as a rebuild's are, each subject with a snapshot, an
    // index entry, a retention row and a tracked request.
    const batch = (from: number) => {
      const ids = Array.from({ length: 150 }, (_, i) => `subj-${String(from + i).padStart(4, '0')}`);
      return {
        ...emptyBatch(),
        subjects: ids.map((subjectId, i) => ({
          subjectId,
          position: from + i + 1,
          state: { subjectId, revision: 0, registeredAt: '2024-01-01T00:00:00.000Z', erasedAt: null } as never,
        })),
        index: ids.map((subjectId) => ({
          op: 'put' as const,
          fresh: true,
          entry: { hash: `h-${subjectId}`, subjectId, category: 'contact', field: 'email' },
        })),
        retention: ids.map((subjectId, i) => ({
          subjectId,
          rows: [
            { subjectId, category: 'contact', dueAt: `2030-01-${String((i % 28) + 1).padStart(2, '0')}`, rule: 'r' },
          ],
        })),
        tracked: ids.map((subjectId) => ({
          subjectId,
          rows: [
            {
              kind: 'request' as const,
              id: `r-${subjectId}`,
              subjectId,
              status: 'open',
              dueAt: '2030-02-01',
              data: {},
            },
          ],
        })),
      };
    };
    const answers = async (store: ViewStore) => ({
      found: (await store.findByBlindIndex(['h-subj-0007', 'h-subj-0299'])).map((e) => e.subjectId).sort(),
      due: (await store.listDueRetention('2030-01-02', { limit: 1000 })).length,
      open: (await store.listTracked('request', { status: 'open', dueBefore: '2030-03-01' })).length,
      // One subject (a lookup of its own) and several (in one read transaction).
      position: [...(await store.subjectPositions(['subj-0007']))],
      positions: [...(await store.subjectPositions(['subj-0150', 'subj-0299', 'subj-none']))],
    });
    const expected = {
      found: ['subj-0007', 'subj-0299'],
      due: 24,
      open: 300,
      position: [['subj-0007', 8]],
      positions: [
        ['subj-0150', 151],
        ['subj-0299', 300],
      ],
    };

    const store = getSqliteViewStore({ path });
    for (const from of [0, 150]) await store.apply('p', batch(from), from + 150);
    expect(await answers(store)).toEqual(expected);
    expect(indexes()).toEqual(expect.arrayContaining(queryIndexes));

    // A rebuild: reset, the batches again, then rebuilt(). In between the read models are written aside, in a file
    // without a WAL and without the query indexes, and the answers are the same.
    await store.reset();
    for (const from of [0, 150]) await store.apply('p', batch(from), from + 150);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${aside}-journal`) || existsSync(`${aside}-wal`)).toBe(false);
    expect(indexes(aside).filter((n) => queryIndexes.includes(n))).toEqual([]);
    expect(await answers(store)).toEqual(expected);
    await store.rebuilt!();
    expect(existsSync(aside)).toBe(false);
    expect(indexes()).toEqual(expect.arrayContaining(queryIndexes));
    expect(await answers(store)).toEqual(expected);
    // Back in WAL mode: a batch after the rebuild commits as any other.
    await store.apply('p', { ...emptyBatch(), consents: ['subj-0001'] }, 301);
    expect(await store.listConsentSubjects()).toEqual(['subj-0001']);
    await store.rebuilt!();

    // A rebuild closed half-way (a stop before its end): what it committed becomes views.db, and the next open builds
    // the query indexes.
    await store.reset();
    await store.apply('p', batch(0), 150);
    await store.close();
    expect(existsSync(aside)).toBe(false);
    expect(indexes().filter((n) => queryIndexes.includes(n))).toEqual([]);
    const reopened = getSqliteViewStore({ path });
    expect(indexes()).toEqual(expect.arrayContaining(queryIndexes));
    expect(await reopened.checkpoint('p')).toBe(150);
    expect((await reopened.findByBlindIndex(['h-subj-0007'])).map((e) => e.subjectId)).toEqual(['subj-0007']);
    await reopened.close();
  });

  it("deletes a crashed rebuild's file on open, and leaves a live process's rebuild alone", async () => {
    const path = join(dir, 'views.db');
    // A process that is gone (the pid of a child that has exited) and one that runs (this test's parent).
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const crashed = `${path}.rebuild.${dead}`;
    const running = `${path}.rebuild.${process.ppid}`;
    // A crash can leave the scratch file corrupt: no journal on disk to roll its last transaction back.
    writeFileSync(crashed, Buffer.alloc(16_384, 0x41));
    writeFileSync(running, Buffer.alloc(16_384, 0x42));
    const store = getSqliteViewStore({ path });
    expect(existsSync(crashed)).toBe(false);
    expect(existsSync(running)).toBe(true);
    // views.db went with the crashed rebuild's reset: a fresh one, from which the projector projects the log again.
    expect(await store.checkpoint('p')).toBe(0);
    // This process's own rebuild is left alone by another store opened on the same file meanwhile.
    await store.apply('p', { ...emptyBatch(), consents: ['s-1'] }, 1);
    await store.reset();
    await store.apply('p', { ...emptyBatch(), consents: ['s-2'] }, 1);
    const beside = getSqliteViewStore({ path });
    await beside.close();
    await store.rebuilt!();
    expect(await store.listConsentSubjects()).toEqual(['s-2']);
    await store.close();
  });

  it('lets a subscription see appends made through another connection to the same file', async () => {
    const path = join(dir, 'events.db');
    const reader = getSqliteEventLog({ path, pollIntervalMs: 20 });
    const writer = getSqliteEventLog({ path });
    const seen: string[] = [];
    const sub = reader.subscribe({ onEvents: (b) => void seen.push(...b.map((e) => e.id)) });
    const r = await writer.append(
      's',
      [{ id: 'x-1', type: 'T', data: {}, metadata: { actor: 'test', at: '2024-01-01T00:00:00.000Z' } }],
      'no_stream',
    );
    await sub.waitFor(r.position, 5000);
    expect(seen).toEqual(['x-1']);
    await sub.stop();
    await writer.close();
    await reader.close();
  });

  it('rejects calls on a closed store with STORE_UNAVAILABLE', async () => {
    const log = getSqliteEventLog({ path: join(dir, 'events.db') });
    const keys = getSqliteKeyStore({ path: join(dir, 'keys.db') });
    await log.close();
    await keys.close();
    await expect(log.append('s', [], 'any')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(log.readAll()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(keys.getByIds(['k'])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('refuses a file that is not a database with STORE_UNAVAILABLE (SQLITE_NOTADB), for every store', () => {
    const path = join(dir, 'not-a-database.db');
    writeFileSync(path, Buffer.alloc(8192, 0x41));
    for (const open of [
      () => getSqliteEventLog({ path }),
      () => getSqliteKeyStore({ path }),
      () => getSqliteViewStore({ path }),
    ]) {
      expect(open).toThrow(
        expect.objectContaining({ code: 'STORE_UNAVAILABLE', details: { sqliteCode: 'SQLITE_NOTADB' } }),
      );
    }
  });
});
