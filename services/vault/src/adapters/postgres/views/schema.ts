/**
 * The read models' migrations, in order, each given the quoted schema. Text compares byte-wise
 * (COLLATE "C"), as in SQLite, so keyset paging orders the same on every adapter.
 */
export const VIEW_MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.subjects (
      subject_id text COLLATE "C" PRIMARY KEY,
      position   bigint NOT NULL,
      state      jsonb  NOT NULL
    );
    CREATE TABLE ${s}.blind_index (
      hash       text COLLATE "C" NOT NULL,
      subject_id text COLLATE "C" NOT NULL,
      category   text COLLATE "C" NOT NULL,
      field      text COLLATE "C" NOT NULL,
      PRIMARY KEY (subject_id, category, field)
    );
    CREATE INDEX blind_index_hash ON ${s}.blind_index (hash);
    CREATE TABLE ${s}.holds (
      id         bigserial PRIMARY KEY,
      subject_id text COLLATE "C" NOT NULL,
      category   text COLLATE "C" NOT NULL,
      basis      text NOT NULL,
      "until"    text COLLATE "C" NOT NULL,
      source     text NOT NULL
    );
    CREATE INDEX holds_subject ON ${s}.holds (subject_id);
    CREATE TABLE ${s}.retention (
      subject_id text COLLATE "C" NOT NULL,
      category   text COLLATE "C" NOT NULL,
      due_at     text COLLATE "C" NOT NULL,
      rule       text NOT NULL
    );
    CREATE INDEX retention_due ON ${s}.retention (due_at, subject_id, category);
    CREATE INDEX retention_subject ON ${s}.retention (subject_id);
    CREATE TABLE ${s}.shredded (
      id         bigserial PRIMARY KEY,
      subject_id text COLLATE "C" NOT NULL,
      category   text COLLATE "C" NOT NULL,
      key_ids    text[] NOT NULL,
      reason     text NOT NULL,
      at         text NOT NULL,
      event_id   text NOT NULL
    );
    CREATE INDEX shredded_subject ON ${s}.shredded (subject_id);
    CREATE TABLE ${s}.stats (
      month    text COLLATE "C" NOT NULL,
      category text COLLATE "C" NOT NULL,
      purpose  text COLLATE "C" NOT NULL,
      metric   text COLLATE "C" NOT NULL,
      count    bigint NOT NULL,
      PRIMARY KEY (month, category, purpose, metric)
    );
    CREATE TABLE ${s}.checkpoints (
      projection text COLLATE "C" PRIMARY KEY,
      position   bigint NOT NULL
    );
  `,
  (s) => `
    CREATE TABLE ${s}.tracked (
      kind       text COLLATE "C" NOT NULL,
      id         text COLLATE "C" NOT NULL,
      subject_id text COLLATE "C" NOT NULL,
      status     text COLLATE "C" NOT NULL,
      due_at     text COLLATE "C",
      data       jsonb NOT NULL,
      PRIMARY KEY (kind, id)
    );
    CREATE INDEX tracked_due ON ${s}.tracked (kind, status, due_at);
    CREATE INDEX tracked_subject ON ${s}.tracked (subject_id);
  `,
  // The entry a hold keeps alone (a DPO hold on one case, the law's period of one entry); NULL: the whole category.
  (s) => `ALTER TABLE ${s}.holds ADD COLUMN entry text COLLATE "C";`,
];
