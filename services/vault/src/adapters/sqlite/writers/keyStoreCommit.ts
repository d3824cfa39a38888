import { VaultError } from '../../../domain/errors.js';
import type { KeyStore, ShredReason, StoredKey } from '../../../ports/KeyStore.js';
import { ownerTag, type SlotFile } from '../../slotFile/openSlotFile.js';
import { chunks, type SqliteDatabase } from '../openDatabase.js';

/**
 * keys.db holds no key material: a key's row says whose it is and in which slot of the slot file
 * (`keys.db-slots`) its wrapping lies. Rows move between pages as SQLite pleases and leave stale
 * copies behind; the slots never move, and a shred zeroes them in place.
 */
export const KEYS_SCHEMA = `
CREATE TABLE IF NOT EXISTS keys (
  key_id      TEXT    PRIMARY KEY,
  subject_id  TEXT    NOT NULL,
  category    TEXT    NOT NULL,
  slot        INTEGER NOT NULL UNIQUE,
  kek_version INTEGER NOT NULL,
  created_at  TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_subject ON keys (subject_id, category);
CREATE INDEX IF NOT EXISTS keys_epoch ON keys (kek_version);
CREATE TABLE IF NOT EXISTS tombstones (
  key_id      TEXT PRIMARY KEY,
  subject_id  TEXT NOT NULL,
  category    TEXT NOT NULL,
  shredded_at TEXT NOT NULL,
  reason      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tombstones_subject ON tombstones (subject_id);
CREATE TABLE IF NOT EXISTS secrets (
  name TEXT    PRIMARY KEY,
  slot INTEGER NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS free_slots (slot INTEGER PRIMARY KEY);
`;

/** The slot file of a key store at `path` (`:memory:` for an in-memory database). */
export const slotPathOf = (path: string): string => (path === ':memory:' || path === '' ? ':memory:' : `${path}-slots`);

/** Slot kinds: a wrapped data key, a vault secret. */
export const SLOT_KEY = 1;
export const SLOT_SECRET = 2;
export const keyOwnerTag = (keyId: string): Uint8Array => ownerTag(`key\u0000${keyId}`);
export const secretOwnerTag = (name: string): Uint8Array => ownerTag(`secret\u0000${name}`);

/**
 * A key store written by an earlier version kept wrapped keys inside keys.db, where a shred
 * could not reach every copy: such a file is refused, not silently mixed with slots.
 */
export function refuseInlineKeys(db: SqliteDatabase): void {
  const columns = db
    .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('keys')")
    .all()
    .map((c) => c.name);
  const legacyMeta =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  if (columns.includes('wrapped') || legacyMeta) {
    throw new VaultError(
      'CONFIG_INVALID',
      'This keys.db keeps wrapped keys inside the database (an earlier format, which erasure cannot fully clear): ' +
        'export the data with the version that wrote it, or start from a new data directory',
    );
  }
}

interface KeyRow {
  key_id: string;
  subject_id: string;
  category: string;
  slot: number;
  created_at: string;
}

/** Reads rows' slots into stored keys; a row whose slot no longer holds its key (shredded meanwhile) is left out. */
export function keysFromRows(slots: SlotFile, rows: readonly KeyRow[]): StoredKey[] {
  const out: StoredKey[] = [];
  const read = slots.readMany(rows.map((r) => ({ index: r.slot, owner: keyOwnerTag(r.key_id) })));
  for (const [i, r] of rows.entries()) {
    const slot = read[i];
    if (slot?.kind !== SLOT_KEY) continue;
    out.push({
      keyId: r.key_id,
      subjectId: r.subject_id,
      category: r.category,
      wrapped: slot.payload,
      kekVersion: slot.epoch,
      createdAt: r.created_at,
    });
  }
  return out;
}

/** Loads stored keys by id, a bounded chunk of ids per statement. */
export function keyLoader(db: SqliteDatabase, slots: SlotFile): (keyIds: readonly string[]) => StoredKey[] {
  const byIds = db.prepare<[string], KeyRow>('SELECT * FROM keys WHERE key_id IN (SELECT value FROM json_each(?))');
  return (keyIds) => {
    const out: StoredKey[] = [];
    for (const chunk of chunks([...new Set(keyIds)]))
      out.push(...keysFromRows(slots, byIds.all(JSON.stringify(chunk))));
    return out;
  };
}

/**
 * Slot bookkeeping inside a write transaction: the lowest freed slot first, else one past the
 * highest in use. Callers hold the write lock, so two connections cannot take the same slot.
 */
export function slotAllocator(db: SqliteDatabase, slots: SlotFile) {
  const takeFree = db.prepare<[], { slot: number }>(
    'DELETE FROM free_slots WHERE slot = (SELECT MIN(slot) FROM free_slots) RETURNING slot',
  );
  const top = db.prepare<[], { m: number | null }>(
    'SELECT MAX(m) AS m FROM (SELECT MAX(slot) AS m FROM keys UNION ALL SELECT MAX(slot) FROM secrets UNION ALL ' +
      'SELECT MAX(slot) FROM free_slots)',
  );
  const addFree = db.prepare<[number]>('INSERT OR IGNORE INTO free_slots (slot) VALUES (?)');
  return {
    /** A slot no row holds. Insert the row that takes it before asking for the next one. */
    take: (): number => takeFree.get()?.slot ?? (top.get()?.m ?? -1) + 1,
    /** Zeroes a slot in place and makes it available again (durable with the next `slots.sync()`). */
    free: (slot: number): void => {
      slots.zero(slot);
      addFree.run(slot);
    },
  };
}

/** A write to the key store: new keys, a shred of keys (rows deleted, tombstones left), or re-wrapped keys. */
export type KeyWrite =
  | { create: readonly StoredKey[] }
  | { shred: readonly string[]; reason: ShredReason; at: string }
  | { rewrap: Parameters<KeyStore['rewrap']>[0] };
/** The answer to each write: the keys stored under a create's ids, the ids a shred destroyed, how many re-wrapped. */
export type KeyWriteResult = { stored: StoredKey[] } | { destroyed: string[] } | { rewrapped: number };

/** Units of work in a write, for the writer thread's batching. */
export const keyWriteSize = (w: KeyWrite): number =>
  'create' in w ? w.create.length : 'shred' in w ? w.shred.length : w.rewrap.length;

/**
 * Re-wraps inside the write transaction, one row read and one update per chunk of ids. The new
 * wrapping overwrites the old one in its slot, and the slot says which epoch wrapped it: a crash
 * before the commit leaves a row naming the old epoch over a slot of the new one, which reads
 * correctly and is merely re-wrapped again by the next rotation. A key is written only if it is
 * still wrapped by `fromVersion` (its row says so, or, when the row lags behind, its slot does), so
 * a late page of an older rotation cannot put back a wrapping whose epoch has ended.
 */
function keyRewriter(db: SqliteDatabase, slots: SlotFile) {
  const rows = db.prepare<[string], { key_id: string; slot: number; kek_version: number }>(
    'SELECT key_id, slot, kek_version FROM keys WHERE key_id IN (SELECT value FROM json_each(?))',
  );
  const setEpoch = db.prepare<[number, string]>(
    'UPDATE keys SET kek_version = ? WHERE key_id IN (SELECT value FROM json_each(?))',
  );
  return (keys: Parameters<KeyStore['rewrap']>[0]): number => {
    let changed = 0;
    for (const chunk of chunks(keys, 2_000)) {
      const found = new Map(rows.all(JSON.stringify(chunk.map((k) => k.keyId))).map((r) => [r.key_id, r]));
      const moved = new Map<number, string[]>();
      for (const k of chunk) {
        const row = found.get(k.keyId);
        if (!row) continue;
        const owner = keyOwnerTag(k.keyId);
        if (row.kek_version !== k.fromVersion) {
          const slot = slots.read(row.slot, owner);
          if (slot?.kind !== SLOT_KEY || slot.epoch !== k.fromVersion) continue;
        }
        slots.write(row.slot, owner, { kind: SLOT_KEY, epoch: k.kekVersion, payload: k.wrapped });
        const ids = moved.get(k.kekVersion);
        if (ids) ids.push(k.keyId);
        else moved.set(k.kekVersion, [k.keyId]);
        changed += 1;
      }
      for (const [version, ids] of moved) setEpoch.run(version, JSON.stringify(ids));
    }
    return changed;
  };
}

/**
 * The key store's writes, in order, in one transaction: a re-wrap replaces wrappings
 * (`keyRewriter`); a create stores the keys that are neither stored nor tombstoned (a tombstoned
 * id is never created again, so a late writer cannot resurrect a shredded key) and answers with
 * what is stored under its ids (the winner of a race); a shred deletes the rows, zeroes their
 * slots in place and leaves tombstones. The slot file is synced before the transaction commits:
 * a committed key has its slot on disk, and a committed shred has no byte of its key left in
 * either file.
 */
export function createKeyWriter(
  db: SqliteDatabase,
  slots: SlotFile,
): (writes: readonly KeyWrite[]) => KeyWriteResult[] {
  const known = db.prepare<[string, string], { n: number }>(
    'SELECT (SELECT COUNT(*) FROM keys WHERE key_id = ?) + (SELECT COUNT(*) FROM tombstones WHERE key_id = ?) AS n',
  );
  const insert = db.prepare<[string, string, string, number, number, string]>(
    'INSERT INTO keys (key_id, subject_id, category, slot, kek_version, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const deleteKeys = db.prepare<[string], KeyRow>(
    'DELETE FROM keys WHERE key_id IN (SELECT value FROM json_each(?)) RETURNING *',
  );
  const insertTombstone = db.prepare<[string, string, string, string, string]>(
    'INSERT INTO tombstones (key_id, subject_id, category, shredded_at, reason) VALUES (?, ?, ?, ?, ?) ON CONFLICT ' +
      '(key_id) DO NOTHING',
  );
  const alloc = slotAllocator(db, slots);
  const load = keyLoader(db, slots);
  const rewrap = keyRewriter(db, slots);
  const apply = (w: KeyWrite): KeyWriteResult => {
    if ('rewrap' in w) return { rewrapped: rewrap(w.rewrap) };
    if ('create' in w) {
      for (const k of w.create) {
        if (known.get(k.keyId, k.keyId)!.n > 0) continue;
        const slot = alloc.take();
        insert.run(k.keyId, k.subjectId, k.category, slot, k.kekVersion, k.createdAt);
        slots.write(slot, keyOwnerTag(k.keyId), { kind: SLOT_KEY, epoch: k.kekVersion, payload: k.wrapped });
      }
      return { stored: load(w.create.map((k) => k.keyId)) };
    }
    const destroyed: string[] = [];
    for (const chunk of chunks([...new Set(w.shred)])) {
      for (const row of deleteKeys.all(JSON.stringify(chunk))) {
        alloc.free(row.slot);
        insertTombstone.run(row.key_id, row.subject_id, row.category, w.at, w.reason);
        destroyed.push(row.key_id);
      }
    }
    return { destroyed };
  };
  const tx = db.transaction((writes: readonly KeyWrite[]) => {
    const results = writes.map(apply);
    slots.sync();
    return results;
  });
  // IMMEDIATE: the write lock first, so a write on another connection cannot slip in between.
  return (writes) => tx.immediate(writes);
}
