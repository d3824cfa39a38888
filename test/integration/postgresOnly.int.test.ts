import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, openVault, type Vault } from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterAll, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/**
 * The vault on PostgreSQL alone (`VAULT_EVENT_STORE=postgres`, `VAULT_STATE_STORE=postgres`):
 * hundreds of subjects recorded, read and partly erased, then the vault restarted on the same
 * schema and read again.
 */
const probe = await probePostgres();
const actor = { actor: 'test' };
const SUBJECTS = 300;
const contact = (field: string, value: unknown) => ({
  category: 'contact',
  field,
  value,
  purpose: 'contract',
  legalBasis: 'contract',
  source: 'subject',
});
const nameOf = (i: number) => `Person ${i}`;

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, work: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

if (!probe.ok) {
  describe.skip(`Vault on PostgreSQL alone (skipped: ${probe.reason})`, () => {
    it('records, reads, erases and reads again after a restart', () => {});
  });
} else {
  describe('Vault on PostgreSQL alone', () => {
    const schema = freshSchema('pdv_pgonly');
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-pgonly-'));
    const env = {
      VAULT_DATA_DIR: dataDir,
      VAULT_MASTER_KEY: Buffer.from(nacl.randomBytes(32)).toString('base64'),
      VAULT_EVENT_STORE: 'postgres',
      VAULT_STATE_STORE: 'postgres',
      VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
      VAULT_POSTGRES_SCHEMA: schema,
      VAULT_LOG_LEVEL: 'silent',
    };
    const vaults: Vault[] = [];
    // Each start reads the environment anew, as a restarted process does.
    const open = async () => {
      const vault = await openVault(loadConfig(env), { live: true, warn: () => {} });
      vaults.push(vault);
      return vault;
    };
    afterAll(async () => {
      await Promise.allSettled(vaults.map((v) => v.close()));
      await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    });

    const readNames = async (vault: Vault, subjects: readonly string[]) => {
      const read = await vault.reader.read(subjects, { purpose: 'contract', callerPurposes: 'all' });
      return subjects.map((s) => read.get(s)!.items.find((i) => i.field === 'name' || i.field === null));
    };

    it('records, reads and erases hundreds of subjects, and reads the same after a restart', async () => {
      const first = await open();
      const subjects: string[] = [];
      for (let i = 0; i < SUBJECTS; i++) subjects.push((await first.commands.registerSubject(actor)).subjectId);
      await inParallel(subjects, 16, async (s, i) => {
        await first.execute(
          s,
          { type: 'RecordPersonalData', items: [contact('name', nameOf(i)), contact('phone', '+49301234567')] },
          actor,
        );
      });
      expect(await readNames(first, subjects)).toEqual(
        subjects.map((_, i) => expect.objectContaining({ status: 'VALUE', value: nameOf(i) })),
      );

      // Every third subject erased, concurrently with rectifications of the others.
      const erased = new Set(subjects.filter((_, i) => i % 3 === 0));
      await inParallel(subjects, 16, async (s, i) => {
        if (erased.has(s)) await first.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' });
        else await first.execute(s, { type: 'RectifyPersonalData', items: [contact('name', `${nameOf(i)}*`)] }, actor);
      });
      const expected = subjects.map((s, i) =>
        erased.has(s)
          ? expect.objectContaining({ status: 'ERASED' })
          : expect.objectContaining({ status: 'VALUE', value: `${nameOf(i)}*` }),
      );
      expect(await readNames(first, subjects)).toEqual(expected);
      const head = await first.stores.log.headPosition();
      // Nothing but the local key custody's file in the data directory: no SQLite store was opened.
      expect(readdirSync(dataDir).filter((f) => f.endsWith('.db'))).toEqual([]);
      await first.close();

      // Restarted on the same schema: the same log, keys and read models, without a rebuild.
      const second = await open();
      expect(await second.stores.log.headPosition()).toBe(head);
      expect(second.projector.position).toBeGreaterThanOrEqual(0);
      await second.projector.waitFor(head, 10_000);
      expect(await readNames(second, subjects)).toEqual(expected);
      const stream = await second.stores.log.readStream(`subject-${subjects[1]!}`);
      expect(stream.map((e) => e.type)).toEqual([
        'SubjectRegistered',
        'PersonalDataRecorded',
        'PersonalDataRecorded',
        'PersonalDataRectified',
      ]);
    }, 120_000);
  });
}
