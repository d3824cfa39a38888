import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  getPostgresKeyStore,
  getPostgresViewStore,
  getSqliteEventLog,
  lookupForm,
  openVault,
  type Vault,
  type VaultConfig,
} from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/**
 * Two vault instances in one process stand for two replicas: each has its own connections to
 * the same stores — one SQLite event-log file opened twice, and the keys and read models in one
 * PostgreSQL schema — and both follow the log live.
 */
const probe = await probePostgres();
const actor = { actor: 'test' };
const contact = (field: string, value: unknown) => ({
  category: 'contact',
  field,
  value,
  purpose: 'contract',
  legalBasis: 'contract',
  source: 'subject',
});
const FIELDS = { a: ['name', 'phone'], b: ['email', 'address'] } as const;
/** Values already in their normalised form, so what is read back equals what was written. */
const valueOf = (subjectId: string, field: string): unknown =>
  field === 'email'
    ? `${subjectId.slice(0, 8)}@example.com`
    : field === 'phone'
      ? '+49301234567'
      : field === 'address'
        ? { street: 'Street 1, Berlin' }
        : `Person ${subjectId.slice(0, 8)}`;

if (!probe.ok) {
  describe.skip(`Replicas on shared stores (skipped: ${probe.reason})`, () => {
    it('writes concurrently from two replicas without lost updates or double projection', () => {});
  });
} else {
  describe('Replicas on shared stores (one SQLite log file, one PostgreSQL schema)', () => {
    const schema = freshSchema('pdv_replicas');
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-replicas-'));
    const config: VaultConfig = {
      dataDir,
      masterKey: Buffer.from(nacl.randomBytes(32)).toString('base64'),
      synchronous: 'NORMAL',
      port: 0,
      logLevel: 'silent',
    };
    let a: Vault;
    let b: Vault;

    const replica = async (): Promise<Vault> => {
      const connection = { connectionString: TEST_POSTGRES_URL, schema, maxConnections: 4 };
      const stores = {
        log: getSqliteEventLog({ path: join(dataDir, 'events.db'), synchronous: 'NORMAL', pollIntervalMs: 20 }),
        keys: await getPostgresKeyStore(connection),
        views: await getPostgresViewStore(connection),
      };
      return openVault(config, { stores, live: true, warn: () => {} });
    };

    beforeAll(async () => {
      a = await replica();
      b = await replica();
    });

    afterAll(async () => {
      await Promise.allSettled([a?.close(), b?.close()]);
      await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('makes a write on one replica readable on the other once its projector reaches the position', async () => {
      const { subjectId } = await a.commands.registerSubject(actor);
      const written = await a.execute(
        subjectId,
        { type: 'RecordPersonalData', items: [contact('name', 'Ada Lovelace')] },
        actor,
      );
      await b.projector.waitFor(written.position);
      const read = (await b.reader.read([subjectId], { purpose: 'contract', callerPurposes: 'all' })).get(subjectId)!;
      expect(read.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ status: 'VALUE', field: 'name', value: 'Ada Lovelace' })]),
      );
    });

    it('never serves a snapshot a replica kept once another replica has written or shredded since', async () => {
      const { subjectId } = await a.commands.registerSubject(actor);
      const first = await a.execute(
        subjectId,
        { type: 'RecordPersonalData', items: [contact('name', 'Ada Lovelace')] },
        actor,
      );
      await b.projector.waitFor(first.position);
      const readOnB = async () =>
        (await b.reader.read([subjectId], { purpose: 'contract', callerPurposes: 'all' }))
          .get(subjectId)!
          .items.find((i) => i.field === 'name' || i.field === null);
      expect(await readOnB()).toMatchObject({ status: 'VALUE', value: 'Ada Lovelace' });

      // Rectified through A: B's next read sees the new value, although it kept the old snapshot.
      const rectified = await a.execute(
        subjectId,
        { type: 'RectifyPersonalData', items: [contact('name', 'Ada King')] },
        actor,
      );
      await b.projector.waitFor(rectified.position);
      expect(await readOnB()).toMatchObject({ status: 'VALUE', value: 'Ada King' });

      // Erased through A: B's next read finds nothing to open.
      await a.erase(subjectId, { actor: 'dpo:test', reason: 'subjectRequest' });
      await b.projector.waitFor(await a.stores.log.headPosition());
      expect(await readOnB()).toMatchObject({ status: 'ERASED' });
    });

    it('keeps every field written concurrently to the same subjects, projects each event once', async () => {
      const subjects: string[] = [];
      for (let i = 0; i < 8; i++) subjects.push((await (i % 2 ? b : a).commands.registerSubject(actor)).subjectId);
      const statsBefore = await a.stores.views.listStats();
      const headBefore = await a.stores.log.headPosition();

      // Every subject gets four writes at once: two through A, two through B, each its own command.
      const writes = subjects.flatMap((s) => [
        ...FIELDS.a.map((f) => a.execute(s, { type: 'RecordPersonalData', items: [contact(f, valueOf(s, f))] }, actor)),
        ...FIELDS.b.map((f) => b.execute(s, { type: 'RecordPersonalData', items: [contact(f, valueOf(s, f))] }, actor)),
      ]);
      const results = await Promise.all(writes);
      const last = Math.max(...results.map((r) => r.position));
      await Promise.all([a.projector.waitFor(last, 15_000), b.projector.waitFor(last, 15_000)]);

      // No lost update: the log of each subject holds all four fields, and so do both replicas' reads.
      const reads = await Promise.all(
        [a, b].map((v) => v.reader.read(subjects, { purpose: 'contract', callerPurposes: 'all' })),
      );
      for (const s of subjects) {
        const stream = await a.stores.log.readStream(`subject-${s}`);
        expect(stream.filter((e) => e.type === 'PersonalDataRecorded')).toHaveLength(4);
        for (const read of reads) {
          const values = Object.fromEntries(
            read
              .get(s)!
              .items.filter((i) => i.status === 'VALUE')
              .map((i) => [i.field, (i as { value: unknown }).value]),
          );
          expect(values).toEqual(Object.fromEntries([...FIELDS.a, ...FIELDS.b].map((f) => [f, valueOf(s, f)])));
        }
      }
      // Consistent reads: both replicas serve the very same view rows.
      const [viewsA, viewsB] = await Promise.all([
        a.stores.views.getSubjects(subjects),
        b.stores.views.getSubjects(subjects),
      ]);
      expect(viewsB).toEqual(viewsA);
      for (const s of subjects) {
        const stream = await a.stores.log.readStream(`subject-${s}`);
        expect(viewsA.get(s)!.position).toBe(stream[stream.length - 1]!.position);
      }

      // No duplicate projection: the counters grew by exactly the events appended, though both replicas projected
      // them.
      const appended = await a.stores.log.readAll({ after: headBefore, maxCount: 10_000 });
      const recorded = appended.filter((e) => e.type === 'PersonalDataRecorded').length;
      expect(recorded).toBe(subjects.length * 4);
      const sum = (rows: { metric: string; count: number }[]) =>
        rows.filter((r) => r.metric === 'recorded').reduce((n, r) => n + r.count, 0);
      expect(sum(await b.stores.views.listStats()) - sum(statsBefore)).toBe(recorded);

      // Lookups by blind index agree too: one entry per subject and lookup field, on both replicas.
      for (const v of [a, b]) {
        const hashes = await Promise.all(
          subjects.map((s) => v.blindIndex.hash(lookupForm('email', valueOf(s, 'email'))!)),
        );
        const found = await v.stores.views.findByBlindIndex(hashes);
        expect(
          found
            .filter((e) => e.field === 'email')
            .map((e) => e.subjectId)
            .sort(),
        ).toEqual([...subjects].sort());
      }
    });
  });
}
