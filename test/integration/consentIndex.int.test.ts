import { join } from 'node:path';

import {
  addIsoDuration,
  CONSENTS_FILLED,
  CONSENTS_UNINDEXED,
  type EventLog,
  loadRegister,
  openStores,
  openVault,
  type ProcessingRegister,
  type Vault,
  type VaultConfig,
} from '@pdv/vault';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { dataItem as item, tempVault } from '../support/tempVault.js';

/**
 * The subjects whose retention rows follow a change of the consent validity periods come from the read models'
 * consents index, not from the log (issue 24): 400 subjects, one in eight with a newsletter consent, on the embedded
 * stores and on PostgreSQL's. Each change of the periods, and each restart, reads no event of the log (the catch-up
 * at open finds nothing new); the rows follow all the same. Read models made before the index read the log once, up
 * to where they had projected without it, and never again.
 */

const T0 = '2026-03-02T08:00:00.000Z';
const N = 400;
const consents = (i: number) => i % 8 === 0;
const crm = { actor: 'crm', writer: { role: 'service' as const, purposes: ['contract'] } };
const mailer = { actor: 'mailer', writer: { role: 'service' as const, purposes: ['newsletter'] } };
const newsletterConsent = {
  purpose: 'newsletter',
  noticeId: 'privacy-notice',
  noticeVersion: '2026-03',
  channel: 'webForm',
};

/** The log, counting the calls of `readAll` and the events they returned. */
function counting(log: EventLog): { log: EventLog; read: { calls: number; events: number } } {
  const read = { calls: 0, events: 0 };
  const readAll: EventLog['readAll'] = async (options) => {
    const page = await log.readAll(options);
    read.calls += 1;
    read.events += page.length;
    return page;
  };
  const wrapped = new Proxy(log, {
    get(target, prop) {
      if (prop === 'readAll') return readAll;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { log: wrapped, read };
}

/** A register whose newsletter consent is valid for `validity` (none: until withdrawn). */
async function registerWith(validity?: string): Promise<ProcessingRegister> {
  const register = await loadRegister();
  if (validity) register.purposes.newsletter!.consentValidFor = validity;
  return register;
}

const postgres = await probePostgres();

describeIndex('sqlite');
if (postgres.ok) describeIndex('postgres');
else
  describe('the consents index, on postgres', () => {
    it('follows the validity periods without reading the log, on PostgreSQL', (ctx) => ctx.skip(postgres.reason));
  });

function describeIndex(stores: 'sqlite' | 'postgres'): void {
  describe(`the consents index, on ${stores}`, () => {
    const clock = { now: T0 };
    const schema = freshSchema('pdv_consent_index');
    // One data directory (and schema) for the whole story: removed at its end.
    let cleanup = async () => {};
    afterAll(async () => {
      await cleanup();
      if (stores === 'postgres') await dropSchema(schema);
    });
    const pgConfig: Partial<VaultConfig> =
      stores === 'postgres'
        ? { eventStore: 'postgres', stateStore: 'postgres', postgresUrl: TEST_POSTGRES_URL, postgresSchema: schema }
        : {};

    /** Opens the vault on `config`'s stores with its log counted, and the events the open read. */
    async function reopen(config: VaultConfig, register: ProcessingRegister) {
      const opened = await openStores(config);
      const { log, read } = counting(opened.log);
      const vault = await openVault(config, { stores: { ...opened, log }, register, now: () => clock.now });
      return { vault, read };
    }

    /** The subjects whose newsletter consent the schedule says has expired, two years on. */
    async function expired(vault: Vault): Promise<string[]> {
      const at = clock.now;
      clock.now = addIsoDuration(T0, 'P2Y');
      try {
        const preview = await vault.sweepRetention({ dryRun: true });
        return preview.items
          .filter((x) => x.rule.startsWith('consent for newsletter expired'))
          .map((x) => `${x.subjectId} ${x.category}`)
          .sort();
      } finally {
        clock.now = at;
      }
    }

    /** Registers subjects `from` to `to` - 1 (eight at a time), one in eight subscribing to the newsletter. */
    async function onboard(vault: Vault, from: number, to: number, ids: string[]): Promise<void> {
      let next = from;
      const worker = async () => {
        for (let i = next++; i < to; i = next++) {
          const { subjectId: s } = await vault.commands.registerSubject(crm);
          ids[i] = s;
          const name = item('contact', 'name', `Customer ${i}`, 'contract', 'contract');
          await vault.execute(s, { type: 'RecordPersonalData', items: [name] }, crm);
          if (!consents(i)) continue;
          const list = item('newsletterSubscription', 'email', `list${i}@example.com`, 'newsletter', 'consent');
          const given = [newsletterConsent];
          await vault.execute(s, { type: 'RecordPersonalData', items: [list], consents: given }, mailer);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    }

    const ids: string[] = [];
    const due = (upTo: number) =>
      ids
        .slice(0, upTo)
        .filter((_, i) => consents(i))
        .map((s) => `${s} newsletterSubscription`)
        .sort();
    let config: VaultConfig;

    it('rewrites the rows of the subjects with a consent at each change of the periods, reading no event', async () => {
      const first = await tempVault({ register: await registerWith(), now: () => clock.now, config: pgConfig });
      ({ config, cleanup } = first);
      await onboard(first.vault, 0, N, ids);
      await first.vault.projector.catchUp();
      expect(await expired(first.vault)).toEqual([]);
      await first.vault.close();

      // A year's validity: the 50 subscribers are due two years on, and no one else; the open read no event.
      let { vault, read } = await reopen(config, await registerWith('P1Y'));
      expect(read.events).toBe(0);
      expect(await expired(vault)).toEqual(due(N));
      expect(due(N)).toHaveLength(N / 8);
      // Subjects who subscribe after the index was written are in it with their first consent.
      await onboard(vault, N, N + 16, ids);
      await vault.close();

      // Three years: none is due at two; dropped: none; a year again: every subscriber, the late ones too.
      for (const [validity, expected] of [
        ['P3Y', []],
        [undefined, []],
        ['P1Y', due(N + 16)],
      ] as const) {
        ({ vault, read } = await reopen(config, await registerWith(validity)));
        expect(read.events, `opened with ${validity ?? 'no validity'}`).toBe(0);
        expect(await expired(vault)).toEqual(expected);
        await vault.close();
      }
      // The same periods again: nothing to write, and still nothing read.
      ({ vault, read } = await reopen(config, await registerWith('P1Y')));
      expect(read).toEqual({ calls: 1, events: 0 });
      await vault.close();
    }, 240_000);

    it('fills the index of read models made before it with one read of the log, then never again', async () => {
      await makeUnindexed(config, stores);
      const opened = await openStores(config);
      let events = 0;
      for (let after = 0; ;) {
        const page = await opened.log.readAll({ after, maxCount: 5000 });
        if (page.length === 0) break;
        events += page.length;
        after = page[page.length - 1]!.position;
      }
      // The whole log had been projected when the index came: all of it is to be read for it.
      expect(await opened.views.checkpoint(CONSENTS_UNINDEXED)).toBe(await opened.log.headPosition());
      expect(await opened.views.listConsentSubjects()).toEqual([]);
      await Promise.all([opened.log.close(), opened.views.close(), opened.keys.close(), opened.access?.close()]);

      // The periods change: the log is read once for the index, and the rows follow.
      let { vault, read } = await reopen(config, await registerWith('P18M'));
      expect(read.events).toBe(events);
      expect(await expired(vault)).toEqual(due(N + 16));
      const indexed = await vault.stores.views.listConsentSubjects({ limit: 1000 });
      expect(indexed).toEqual(ids.filter((_, i) => consents(i)).sort());
      const { views } = vault.stores;
      expect(await views.checkpoint(CONSENTS_FILLED)).toBe(await views.checkpoint(CONSENTS_UNINDEXED));
      await vault.close();

      // Every change after it reads nothing.
      for (const validity of [undefined, 'P1Y']) {
        ({ vault, read } = await reopen(config, await registerWith(validity)));
        expect(read.events, `opened with ${validity ?? 'no validity'}`).toBe(0);
        expect(await expired(vault)).toEqual(validity ? due(N + 16) : []);
        await vault.close();
      }
    }, 240_000);
  });
}

/**
 * Makes the read models look as a vault from before the consents index left them: no index, which the store adds
 * again when it next opens them (the SQLite file finds the table missing; PostgreSQL runs the migration again).
 */
async function makeUnindexed(config: VaultConfig, stores: 'sqlite' | 'postgres'): Promise<void> {
  if (stores === 'sqlite') {
    const db = new Database(join(config.dataDir, 'views.db'));
    db.exec(`DROP TABLE consent_subjects; DELETE FROM checkpoints WHERE projection LIKE 'consentIndex:%'`);
    db.close();
    return;
  }
  const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await c.connect();
  try {
    const s = `"${config.postgresSchema!}"`;
    await c.query(`DROP TABLE ${s}.consent_subjects`);
    await c.query(`DELETE FROM ${s}.checkpoints WHERE projection LIKE 'consentIndex:%'`);
    // The sixth migration added the index; the ones after it run again too (they are done again unchanged).
    await c.query(`DELETE FROM ${s}.schema_migrations WHERE component = 'views' AND version >= 6`);
  } finally {
    await c.end();
  }
}
