/**
 * The blind index: one row per lookup field of a subject's category, and per entry of it (`entry` '': the category's
 * own value), so that a debtor's email in each of two cases is found, and goes with its case.
 */
const blindIndexTable = (name: string) => `CREATE TABLE IF NOT EXISTS ${name} (
  hash       TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  category   TEXT NOT NULL,
  field      TEXT NOT NULL,
  entry      TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (subject_id, category, field, entry)
) WITHOUT ROWID;`;

/**
 * The indexes that only queries read: no batch's apply looks a row up by them (`subjects_position` for a reader's
 * check that its snapshot is current, `blind_index_hash` for lookups by value, `retention_due` for the sweep,
 * `tracked_due` for the deadlines). A rebuild fills a fresh file without them and creates each at its end with one
 * sort, instead of keeping it in order row by row (ViewStore.rebuilt); a file opened without them (a rebuild that
 * stopped half-way) gets them back from VIEW_SCHEMA.
 */
export const QUERY_INDEXES = `
-- Lets a reader ask whether the snapshot it holds is current without touching the snapshot's page.
CREATE INDEX IF NOT EXISTS subjects_position ON subjects (subject_id, position);
CREATE INDEX IF NOT EXISTS blind_index_hash ON blind_index (hash);
CREATE INDEX IF NOT EXISTS retention_due ON retention (due_at, subject_id, category);
CREATE INDEX IF NOT EXISTS tracked_due ON tracked (kind, status, due_at);
`;

/** The embedded read models' tables and the indexes the applies need, created if absent when the file is opened. */
export const VIEW_TABLES = `
CREATE TABLE IF NOT EXISTS subjects (
  subject_id TEXT    PRIMARY KEY,
  position   INTEGER NOT NULL,
  state      TEXT    NOT NULL
);
${blindIndexTable('blind_index')}
CREATE TABLE IF NOT EXISTS holds (
  subject_id TEXT NOT NULL,
  category   TEXT NOT NULL,
  basis      TEXT NOT NULL,
  "until"    TEXT NOT NULL,
  source     TEXT NOT NULL,
  entry      TEXT
);
CREATE INDEX IF NOT EXISTS holds_subject ON holds (subject_id);
CREATE TABLE IF NOT EXISTS retention (
  subject_id TEXT NOT NULL,
  category   TEXT NOT NULL,
  due_at     TEXT NOT NULL,
  rule       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS retention_subject ON retention (subject_id);
CREATE TABLE IF NOT EXISTS shredded (
  subject_id TEXT NOT NULL,
  category   TEXT NOT NULL,
  key_ids    TEXT NOT NULL,
  reason     TEXT NOT NULL,
  at         TEXT NOT NULL,
  event_id   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shredded_subject ON shredded (subject_id);
CREATE TABLE IF NOT EXISTS stats (
  month    TEXT    NOT NULL,
  category TEXT    NOT NULL,
  purpose  TEXT    NOT NULL,
  metric   TEXT    NOT NULL,
  count    INTEGER NOT NULL,
  PRIMARY KEY (month, category, purpose, metric)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tracked (
  kind       TEXT NOT NULL,
  id         TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  status     TEXT NOT NULL,
  due_at     TEXT,
  data       TEXT NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS tracked_subject ON tracked (subject_id);
CREATE TABLE IF NOT EXISTS checkpoints (
  projection TEXT    PRIMARY KEY,
  position   INTEGER NOT NULL
);
`;

/** Every table and index of the embedded read models. */
export const VIEW_SCHEMA = VIEW_TABLES + QUERY_INDEXES;

/**
 * Columns added to tables of files made before them (`CREATE TABLE IF NOT EXISTS` leaves an existing table as it
 * is): `holds.entry`, the entry a hold keeps alone (NULL: the whole category, as every row written before).
 */
export const VIEW_COLUMNS: readonly { table: string; column: string; type: string }[] = [
  { table: 'holds', column: 'entry', type: 'TEXT' },
];

/**
 * A file from before entries had index rows keys its blind index by (subject, category, field) alone, and SQLite
 * cannot widen a table's key in place: its rows (all of them the categories' own values) move to a table of the new
 * shape, in the transaction that finds the table without `entry`; `secure_delete` zeroes the old table's pages.
 */
export const WIDEN_BLIND_INDEX = `
${blindIndexTable('blind_index_widened')}
INSERT INTO blind_index_widened (hash, subject_id, category, field, entry)
  SELECT hash, subject_id, category, field, '' FROM blind_index;
DROP TABLE blind_index;
ALTER TABLE blind_index_widened RENAME TO blind_index;
CREATE INDEX blind_index_hash ON blind_index (hash);
`;

/**
 * The consents index: the subjects who gave a consent (`ViewBatch.consents`). Not in VIEW_SCHEMA: the store creates
 * it apart (ADD_CONSENTS_INDEX), since a file made before it must also say that its index lacks the earlier subjects.
 */
export const CONSENTS_TABLE = `CREATE TABLE IF NOT EXISTS consent_subjects (
  subject_id TEXT PRIMARY KEY
) WITHOUT ROWID;`;

/**
 * Run in the transaction that finds a file without the consents index: creates it and, where a projection had run
 * already (a file from before the index), sets `CONSENTS_UNINDEXED` to the highest checkpoint (ports/ViewStore.ts).
 * A new file has no checkpoint yet, and so no such row.
 */
export const ADD_CONSENTS_INDEX = (unindexed: string) => `
${CONSENTS_TABLE}
INSERT INTO checkpoints (projection, position)
  SELECT '${unindexed}', m FROM (SELECT MAX(position) AS m FROM checkpoints) WHERE m > 0;
`;

/** Empties every read model and checkpoint (a reset of a store that cannot swap its file). */
export const CLEAR_VIEWS =
  'DELETE FROM subjects; DELETE FROM blind_index; DELETE FROM holds; DELETE FROM retention; ' +
  'DELETE FROM shredded; DELETE FROM stats; DELETE FROM tracked; DELETE FROM consent_subjects; ' +
  'DELETE FROM checkpoints;';

/**
 * Snapshots are rows of a kilobyte or more: on 16 KiB pages they split and overflow far less than
 * on SQLite's default 4 KiB (a rebuild runs about a sixth faster).
 */
export const VIEW_FILE = { secureDelete: true, pageSize: 16_384 } as const;
