import {
  type BlindIndexEntry,
  CONSENTS_UNINDEXED,
  emptyBatch,
  initialState,
  type RetentionView,
  type SubjectView,
  type ViewBatch,
  type ViewStore,
} from '@pdv/vault';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface ViewStoreFixture {
  store: ViewStore;
  cleanup(): Promise<void>;
}

const P = 'subjects';

const subjectView = (subjectId: string, position: number): SubjectView => ({
  subjectId,
  position,
  state: { ...initialState(subjectId), registeredAt: '2024-01-01T00:00:00.000Z', revision: 0 },
});

const entry = (subjectId: string, category: string, field: string, hash: string): BlindIndexEntry => ({
  hash,
  subjectId,
  category,
  field,
});

/** The index entry of a value of one entry (a case) of the category. */
const caseEntry = (subjectId: string, category: string, field: string, hash: string, of: string): BlindIndexEntry => ({
  ...entry(subjectId, category, field, hash),
  entry: of,
});

const batch = (parts: Partial<ViewBatch>): ViewBatch => ({ ...emptyBatch(), ...parts });

const retention = (subjectId: string, category: string, dueAt: string): RetentionView => ({
  subjectId,
  category,
  dueAt,
  rule: 'P30D after recorded',
});

/**
 * The ViewStore contract, run unchanged against every adapter. `create` must return an empty store
 * of its own; `cleanup` closes it and removes whatever it created.
 */
export function viewStoreContract(name: string, create: () => Promise<ViewStoreFixture>): void {
  describe(`ViewStore contract: ${name}`, () => {
    let fx: ViewStoreFixture;
    let store: ViewStore;
    beforeEach(async () => {
      fx = await create();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('reports checkpoint 0 for a projection that never ran', async () => {
      expect(await store.checkpoint(P)).toBe(0);
    });

    it('applies a batch and moves the checkpoint together', async () => {
      const applied = await store.apply(
        P,
        batch({
          subjects: [subjectView('subj-1', 3), subjectView('subj-2', 5)],
          index: [{ op: 'put', entry: entry('subj-1', 'contact', 'email', 'h-1') }],
          holds: [
            {
              subjectId: 'subj-1',
              rows: [
                {
                  subjectId: 'subj-1',
                  category: 'billing',
                  basis: 'bookkeeping',
                  until: '2034-01-01T00:00:00.000Z',
                  source: 'register',
                },
              ],
            },
          ],
          retention: [{ subjectId: 'subj-1', rows: [retention('subj-1', 'contact', '2024-02-01T00:00:00.000Z')] }],
          shredded: [
            {
              subjectId: 'subj-2',
              category: 'contact',
              keyIds: ['subj-2/contact/1'],
              reason: 'erasure',
              at: '2024-01-02T00:00:00.000Z',
              eventId: 'evt-9',
            },
          ],
        }),
        5,
      );
      expect(applied).toBe(true);
      expect(await store.checkpoint(P)).toBe(5);
      expect(await store.checkpoint('other-projection')).toBe(0);
      const subjects = await store.getSubjects(['subj-1', 'subj-2', 'subj-missing']);
      expect([...subjects.keys()].sort()).toEqual(['subj-1', 'subj-2']);
      expect(subjects.get('subj-1')).toEqual(subjectView('subj-1', 3));
      expect(await store.subjectPositions(['subj-1', 'subj-2', 'subj-missing'])).toEqual(
        new Map([
          ['subj-1', 3],
          ['subj-2', subjects.get('subj-2')!.position],
        ]),
      );
      expect(await store.subjectPositions(['subj-1'])).toEqual(new Map([['subj-1', 3]]));
      expect(await store.subjectPositions(['subj-missing'])).toEqual(new Map());
      expect(await store.subjectPositions([])).toEqual(new Map());
      expect(await store.findByBlindIndex(['h-1'])).toEqual([entry('subj-1', 'contact', 'email', 'h-1')]);
      expect(await store.listHolds({ subjectId: 'subj-1' })).toHaveLength(1);
      expect(await store.listDueRetention('2025-01-01T00:00:00.000Z')).toHaveLength(1);
      expect(await store.listShredded({ subjectId: 'subj-2' })).toEqual([
        {
          subjectId: 'subj-2',
          category: 'contact',
          keyIds: ['subj-2/contact/1'],
          reason: 'erasure',
          at: '2024-01-02T00:00:00.000Z',
          eventId: 'evt-9',
        },
      ]);
      expect(await store.listShredded({ subjectId: 'subj-1' })).toEqual([]);
    });

    it('returns false and changes nothing for a position at or behind the checkpoint', async () => {
      await store.apply(P, batch({ subjects: [subjectView('subj-1', 4)] }), 4);
      const stale = batch({
        subjects: [subjectView('subj-1', 9), subjectView('subj-new', 2)],
        index: [{ op: 'put', entry: entry('subj-1', 'contact', 'email', 'h-stale') }],
        shredded: [
          {
            subjectId: 'subj-1',
            category: 'contact',
            keyIds: [],
            reason: 'erasure',
            at: '2024-01-02T00:00:00.000Z',
            eventId: 'e',
          },
        ],
      });
      expect(await store.apply(P, stale, 4)).toBe(false);
      expect(await store.apply(P, stale, 2)).toBe(false);
      expect(await store.checkpoint(P)).toBe(4);
      const subjects = await store.getSubjects(['subj-1', 'subj-new']);
      expect(subjects.get('subj-1')?.position).toBe(4);
      expect(await store.subjectPositions(['subj-1', 'subj-new'])).toEqual(new Map([['subj-1', 4]]));
      expect(subjects.has('subj-new')).toBe(false);
      expect(await store.findByBlindIndex(['h-stale'])).toEqual([]);
      expect(await store.listShredded()).toEqual([]);
    });

    it('applies each position once when two replicas race with the same batch', async () => {
      const b = batch({
        shredded: [
          {
            subjectId: 's',
            category: 'c',
            keyIds: ['k'],
            reason: 'retention',
            at: '2024-01-01T00:00:00.000Z',
            eventId: 'e1',
          },
        ],
      });
      const results = await Promise.all([store.apply(P, b, 7), store.apply(P, b, 7)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.listShredded()).toHaveLength(1);
    });

    it('refuses a batch computed from a checkpoint another replica has since moved', async () => {
      const counted = (n: number) =>
        batch({
          stats: [{ month: '2024-01', category: 'contact', purpose: 'contract', metric: 'recorded', count: n }],
        });
      expect(await store.apply(P, counted(2), 5, 0)).toBe(true);
      // A replica that read checkpoint 0 and projected up to 8 must not count events 1..5 again.
      expect(await store.apply(P, counted(3), 8, 0)).toBe(false);
      expect(await store.checkpoint(P)).toBe(5);
      expect(await store.apply(P, counted(1), 8, 5)).toBe(true);
      expect(await store.listStats()).toEqual([
        { month: '2024-01', category: 'contact', purpose: 'contract', metric: 'recorded', count: 3 },
      ]);
    });

    it('adds statistics up per month, category, purpose and metric and filters by month', async () => {
      const row = (month: string, metric: string, count: number) => ({
        month,
        category: 'marketing',
        purpose: '',
        metric,
        count,
      });
      await store.apply(
        P,
        batch({ stats: [row('2024-01', 'shredded:retention', 2), row('2024-02', 'shredded:retention', 1)] }),
        1,
      );
      await store.apply(
        P,
        batch({ stats: [row('2024-02', 'shredded:retention', 4), row('2024-02', 'shredded:erasure', 1)] }),
        2,
      );
      expect(await store.listStats()).toEqual([
        row('2024-01', 'shredded:retention', 2),
        row('2024-02', 'shredded:erasure', 1),
        row('2024-02', 'shredded:retention', 5),
      ]);
      expect(await store.listStats({ fromMonth: '2024-02', toMonth: '2024-02' })).toHaveLength(2);
      await store.reset();
      expect(await store.listStats()).toEqual([]);
    });

    it('replaces tracked rows per subject and filters them by kind, status, due date, subject and id', async () => {
      const req = (subjectId: string, id: string, status: string, dueAt: string) => ({
        kind: 'request' as const,
        id,
        subjectId,
        status,
        dueAt,
        data: { requestType: 'ACCESS' },
      });
      const link = (subjectId: string, id: string) => ({
        kind: 'link' as const,
        id,
        subjectId,
        status: 'ACTIVE',
        dueAt: '2024-03-01T00:00:00.000Z',
        data: { linkId: 'l' },
      });
      await store.apply(
        P,
        batch({
          tracked: [
            {
              subjectId: 'a',
              rows: [
                req('a', 'r1', 'OPEN', '2024-02-01T00:00:00.000Z'),
                req('a', 'r2', 'COMPLETED', '2024-01-15T00:00:00.000Z'),
                link('a', 'hash-a'),
              ],
            },
            { subjectId: 'b', rows: [req('b', 'r3', 'OPEN', '2024-01-20T00:00:00.000Z')] },
          ],
        }),
        1,
      );
      expect((await store.listTracked('request')).map((r) => r.id)).toEqual(['r2', 'r3', 'r1']);
      expect(
        (await store.listTracked('request', { status: 'OPEN', dueBefore: '2024-01-31T00:00:00.000Z' })).map(
          (r) => r.id,
        ),
      ).toEqual(['r3']);
      expect(await store.listTracked('link', { id: 'hash-a' })).toEqual([link('a', 'hash-a')]);
      await store.apply(
        P,
        batch({ tracked: [{ subjectId: 'a', rows: [req('a', 'r1', 'COMPLETED', '2024-02-01T00:00:00.000Z')] }] }),
        2,
      );
      expect((await store.listTracked('request', { subjectId: 'a' })).map((r) => [r.id, r.status])).toEqual([
        ['r1', 'COMPLETED'],
      ]);
      expect(await store.listTracked('link')).toEqual([]);
    });

    it('counts open requests by type and pending notices, overdue and due soon, and the retention due', async () => {
      const tracked = (
        kind: 'request' | 'notification' | 'link',
        id: string,
        status: string,
        dueAt: string | null,
      ) => ({
        kind,
        id,
        subjectId: 's',
        status,
        dueAt,
        data: kind === 'request' ? { requestType: id.split('-')[0] } : {},
      });
      await store.apply(
        P,
        batch({
          tracked: [
            {
              subjectId: 's',
              rows: [
                tracked('request', 'ACCESS-1', 'OPEN', '2024-01-10T00:00:00.000Z'),
                tracked('request', 'ACCESS-2', 'OPEN', '2024-01-20T00:00:00.000Z'),
                tracked('request', 'ACCESS-3', 'OPEN', '2024-03-01T00:00:00.000Z'),
                tracked('request', 'ACCESS-4', 'COMPLETED', '2024-01-01T00:00:00.000Z'),
                tracked('request', 'ERASURE-1', 'OPEN', '2024-01-14T23:59:59.999Z'),
                tracked('notification', 's', 'PENDING', '2024-01-01T00:00:00.000Z'),
                tracked('link', 'hash', 'ACTIVE', '2024-01-01T00:00:00.000Z'),
              ],
            },
          ],
          retention: [
            {
              subjectId: 's',
              rows: [
                { subjectId: 's', category: 'a', dueAt: '2024-01-15T00:00:00.000Z', rule: 'P1D after recorded' },
                { subjectId: 's', category: 'b', dueAt: '2024-01-15T00:00:00.001Z', rule: 'P1D after recorded' },
              ],
            },
          ],
        }),
        1,
      );
      const counts = await store.countDeadlines('2024-01-15T00:00:00.000Z', '2024-01-22T00:00:00.000Z');
      expect(counts.retentionDue).toBe(1);
      expect([...counts.deadlines].sort((a, b) => a.type.localeCompare(b.type))).toEqual([
        { type: 'ACCESS', open: 3, overdue: 1, dueSoon: 1 },
        { type: 'ERASURE', open: 1, overdue: 1, dueSoon: 0 },
        { type: 'INFORM', open: 1, overdue: 1, dueSoon: 0 },
      ]);
      expect(await store.countDeadlines('2023-01-01T00:00:00.000Z', '2023-01-08T00:00:00.000Z')).toMatchObject({
        retentionDue: 0,
      });
    });

    it('loads many subjects in one call', async () => {
      const views = Array.from({ length: 1100 }, (_, i) => subjectView(`subj-${i}`, i + 1));
      await store.apply(P, batch({ subjects: views }), 1100);
      const loaded = await store.getSubjects([...views.map((v) => v.subjectId), 'nobody']);
      expect(loaded.size).toBe(1100);
      expect(loaded.get('subj-1099')).toEqual(views[1099]);
      expect(await store.getSubjects([])).toEqual(new Map());
      const positions = await store.subjectPositions([...views.map((v) => v.subjectId), 'nobody']);
      expect(positions.size).toBe(1100);
      expect(positions.get('subj-1099')).toBe(1100);
    });

    it('puts, replaces and deletes blind-index entries by field and by category, in order', async () => {
      await store.apply(
        P,
        batch({
          index: [
            { op: 'put', entry: entry('subj-1', 'contact', 'email', 'h-email') },
            { op: 'put', entry: entry('subj-1', 'contact', 'phone', 'h-phone') },
            { op: 'put', entry: entry('subj-1', 'marketing', 'email', 'h-mkt') },
            { op: 'put', entry: entry('subj-2', 'contact', 'email', 'h-email') },
          ],
        }),
        1,
      );
      expect((await store.findByBlindIndex(['h-email'])).map((e) => e.subjectId).sort()).toEqual(['subj-1', 'subj-2']);

      await store.apply(
        P,
        batch({ index: [{ op: 'put', entry: entry('subj-1', 'contact', 'email', 'h-email-2') }] }),
        2,
      );
      expect((await store.findByBlindIndex(['h-email'])).map((e) => e.subjectId)).toEqual(['subj-2']);
      expect(await store.findByBlindIndex(['h-email-2'])).toEqual([entry('subj-1', 'contact', 'email', 'h-email-2')]);

      await store.apply(
        P,
        batch({ index: [{ op: 'delete', subjectId: 'subj-1', category: 'contact', field: 'phone' }] }),
        3,
      );
      expect(await store.findByBlindIndex(['h-phone'])).toEqual([]);
      expect(await store.findByBlindIndex(['h-email-2'])).toHaveLength(1);

      await store.apply(
        P,
        batch({
          index: [
            { op: 'put', entry: entry('subj-1', 'contact', 'phone', 'h-phone-2') },
            { op: 'delete', subjectId: 'subj-1', category: 'contact' },
            { op: 'put', entry: entry('subj-1', 'contact', 'fax', 'h-fax') },
          ],
        }),
        4,
      );
      expect(await store.findByBlindIndex(['h-email-2', 'h-phone-2'])).toEqual([]);
      expect(await store.findByBlindIndex(['h-fax'])).toEqual([entry('subj-1', 'contact', 'fax', 'h-fax')]);
      expect(await store.findByBlindIndex(['h-mkt'])).toEqual([entry('subj-1', 'marketing', 'email', 'h-mkt')]);
    });

    it('keeps a field of each entry apart from the category’s own, and deletes each scope alone', async () => {
      const own = entry('subj-1', 'debtor', 'email', 'h-debtor');
      const caseA = caseEntry('subj-1', 'debtor', 'email', 'h-debtor', 'A-1');
      const caseB = caseEntry('subj-1', 'debtor', 'email', 'h-debtor', 'B-2');
      const phoneA = caseEntry('subj-1', 'debtor', 'phone', 'h-phone-a', 'A-1');
      const put = (e: BlindIndexEntry) => ({ op: 'put' as const, entry: e });
      await store.apply(P, batch({ index: [put(own), put(caseA), put(caseB), put(phoneA)] }), 1);
      // One value in the category and in two cases: three entries, the category's own first.
      expect(await store.findByBlindIndex(['h-debtor'])).toEqual([own, caseA, caseB]);

      // A rectified value of one case replaces that case's entry alone.
      await store.apply(P, batch({ index: [put({ ...caseB, hash: 'h-debtor-2' })] }), 2);
      expect(await store.findByBlindIndex(['h-debtor', 'h-debtor-2'])).toEqual([
        own,
        caseA,
        { ...caseB, hash: 'h-debtor-2' },
      ]);

      // One case's field erased; then the case's key shredded: its other fields go, the rest stay.
      const scopeA = { subjectId: 'subj-1', category: 'debtor', entry: 'A-1' };
      await store.apply(P, batch({ index: [{ op: 'delete', ...scopeA, field: 'email' }] }), 3);
      expect(await store.findByBlindIndex(['h-debtor', 'h-phone-a'])).toEqual([own, phoneA]);
      await store.apply(P, batch({ index: [put(caseA), { op: 'delete', ...scopeA }] }), 4);
      expect(await store.findByBlindIndex(['h-debtor', 'h-debtor-2', 'h-phone-a'])).toEqual([
        own,
        { ...caseB, hash: 'h-debtor-2' },
      ]);

      // The category's own values shredded: the case a hold of its own keeps stays findable.
      await store.apply(P, batch({ index: [{ op: 'delete', subjectId: 'subj-1', category: 'debtor' }] }), 5);
      expect(await store.findByBlindIndex(['h-debtor', 'h-debtor-2'])).toEqual([{ ...caseB, hash: 'h-debtor-2' }]);

      // The re-index of an epoch rotation moves and deletes an entry's hash by its entry too.
      await store.apply(P, batch({ index: [put({ ...own, hash: '1:own' }), put({ ...caseB, hash: '1:b' })] }), 6);
      const older = await store.listIndexOlderThan(2);
      expect(older).toEqual([
        { ...own, hash: '1:own' },
        { ...caseB, hash: '1:b' },
      ]);
      expect(await store.listIndexOlderThan(2, { after: older[0]! })).toEqual([{ ...caseB, hash: '1:b' }]);
      const at = { subjectId: 'subj-1', category: 'debtor', field: 'email' };
      expect(
        await store.replaceIndexHashes([
          { ...at, entry: 'B-2', from: '1:b', to: '2:b' },
          { ...at, from: '1:own', to: null },
          { ...at, entry: 'A-1', from: '1:own', to: '2:wrong' },
        ]),
      ).toBe(2);
      expect(await store.findByBlindIndex(['1:own', '1:b', '2:b', '2:wrong'])).toEqual([{ ...caseB, hash: '2:b' }]);
    });

    it('finds blind-index entries for many hashes in one call', async () => {
      const entries = Array.from({ length: 700 }, (_, i) => entry(`subj-${i}`, 'contact', 'email', `h-${i}`));
      await store.apply(P, batch({ index: entries.map((e) => ({ op: 'put' as const, entry: e })) }), 1);
      const found = await store.findByBlindIndex([...entries.map((e) => e.hash), 'h-none']);
      expect(found).toHaveLength(700);
      expect(await store.findByBlindIndex([])).toEqual([]);
    });

    it('lists the blind-index entries of epochs before a given one, in key order, paged after a key', async () => {
      const entries = [
        entry('subj-a', 'contact', 'email', '3f9a'), // from before epochs: epoch 0
        entry('subj-a', 'contact', 'phone', '1:aa'),
        entry('subj-b', 'contact', 'email', '2:bb'),
        entry('subj-b', 'marketing', 'email', '10:cc'),
        entry('subj-c', 'contact', 'email', '1:dd'),
        ...Array.from({ length: 120 }, (_, i) =>
          entry(`subj-x${String(i).padStart(3, '0')}`, 'contact', 'email', `1:${i}`),
        ),
      ];
      await store.apply(P, batch({ index: entries.map((e) => ({ op: 'put' as const, entry: e })) }), 1);
      const older2 = await store.listIndexOlderThan(2, { limit: 1000 });
      expect(older2.slice(0, 3)).toEqual([entries[0], entries[1], entries[4]]);
      expect(older2).toHaveLength(123);
      // Epochs compare as numbers: 10 is after 2.
      expect((await store.listIndexOlderThan(3)).map((e) => e.hash)).not.toContain('10:cc');
      expect((await store.listIndexOlderThan(11)).map((e) => e.hash)).toContain('10:cc');
      expect(await store.listIndexOlderThan(1)).toEqual([entries[0]]);
      const paged: BlindIndexEntry[] = [];
      for (let page = await store.listIndexOlderThan(2, { limit: 50 }); page.length > 0;) {
        paged.push(...page);
        page = await store.listIndexOlderThan(2, { limit: 50, after: page[page.length - 1]! });
      }
      expect(paged).toEqual(older2);
    });

    it('replaces or deletes a blind-index entry only while its hash is still the one read', async () => {
      await store.apply(
        P,
        batch({
          index: [
            { op: 'put', entry: entry('subj-1', 'contact', 'email', '1:old-email') },
            { op: 'put', entry: entry('subj-1', 'contact', 'phone', '1:old-phone') },
            { op: 'put', entry: entry('subj-2', 'contact', 'email', '1:other') },
          ],
        }),
        1,
      );
      // The projector rewrote subj-2's entry after the re-index read it.
      await store.apply(P, batch({ index: [{ op: 'put', entry: entry('subj-2', 'contact', 'email', '2:new') }] }), 2);
      const changed = await store.replaceIndexHashes([
        { subjectId: 'subj-1', category: 'contact', field: 'email', from: '1:old-email', to: '2:email' },
        { subjectId: 'subj-1', category: 'contact', field: 'phone', from: '1:old-phone', to: null },
        { subjectId: 'subj-2', category: 'contact', field: 'email', from: '1:other', to: '2:stale' },
        { subjectId: 'subj-3', category: 'contact', field: 'email', from: '1:none', to: '2:none' },
      ]);
      expect(changed).toBe(2);
      expect(await store.findByBlindIndex(['1:old-email', '1:old-phone', '2:stale', '2:none'])).toEqual([]);
      expect(await store.findByBlindIndex(['2:email', '2:new'])).toEqual([
        entry('subj-1', 'contact', 'email', '2:email'),
        entry('subj-2', 'contact', 'email', '2:new'),
      ]);
      expect(await store.replaceIndexHashes([])).toBe(0);
      expect(await store.listIndexOlderThan(2)).toEqual([]);
    });

    it('replaces the hold and retention rows of each listed subject only', async () => {
      const hold = (subjectId: string, category: string, until: string) => ({
        subjectId,
        category,
        basis: 'law',
        until,
        source: 'dpo' as const,
      });
      await store.apply(
        P,
        batch({
          holds: [
            {
              subjectId: 'subj-1',
              rows: [hold('subj-1', 'billing', '2030-01-01T00:00:00.000Z'), hold('subj-1', 'contact', 'open')],
            },
            { subjectId: 'subj-2', rows: [hold('subj-2', 'billing', '2031-01-01T00:00:00.000Z')] },
          ],
          retention: [
            { subjectId: 'subj-1', rows: [retention('subj-1', 'contact', '2024-01-01T00:00:00.000Z')] },
            { subjectId: 'subj-2', rows: [retention('subj-2', 'contact', '2024-01-02T00:00:00.000Z')] },
          ],
        }),
        1,
      );
      await store.apply(
        P,
        batch({
          holds: [{ subjectId: 'subj-1', rows: [hold('subj-1', 'marketing', '2029-01-01T00:00:00.000Z')] }],
          retention: [{ subjectId: 'subj-1', rows: [] }],
        }),
        2,
      );
      expect(await store.listHolds({ subjectId: 'subj-1' })).toEqual([
        hold('subj-1', 'marketing', '2029-01-01T00:00:00.000Z'),
      ]);
      expect(await store.listHolds({ subjectId: 'subj-2' })).toEqual([
        hold('subj-2', 'billing', '2031-01-01T00:00:00.000Z'),
      ]);
      expect(await store.listHolds()).toHaveLength(2);
      expect(await store.listDueRetention('2030-01-01T00:00:00.000Z')).toEqual([
        retention('subj-2', 'contact', '2024-01-02T00:00:00.000Z'),
      ]);
    });

    it('keeps the entry a hold keeps alone, and none for a hold on the whole category', async () => {
      const category = {
        subjectId: 'subj-1',
        category: 'debtor',
        basis: 'litigation',
        until: '2030-01-01T00:00:00.000Z',
      };
      const entryA = { ...category, entry: 'A-1', until: '2031-01-01T00:00:00.000Z' };
      const entryB = { ...category, entry: 'B-2', basis: 'law', until: 'open' };
      await store.apply(
        P,
        batch({
          holds: [
            {
              subjectId: 'subj-1',
              rows: [
                { ...category, source: 'dpo' },
                { ...entryA, source: 'dpo' },
                { ...entryB, source: 'register' },
              ],
            },
          ],
        }),
        1,
      );
      expect(await store.listHolds({ subjectId: 'subj-1' })).toEqual([
        { ...category, source: 'dpo' },
        { ...entryA, source: 'dpo' },
        { ...entryB, source: 'register' },
      ]);
      expect(await store.listHolds({ endingBefore: '2030-06-01T00:00:00.000Z' })).toEqual([
        { ...category, source: 'dpo' },
      ]);
    });

    it('lists holds ending before a time, never an open one', async () => {
      const hold = (subjectId: string, category: string, until: string) => ({
        subjectId,
        category,
        basis: 'law',
        until,
        source: 'register' as const,
      });
      await store.apply(
        P,
        batch({
          holds: [
            {
              subjectId: 'subj-1',
              rows: [hold('subj-1', 'billing', '2025-01-01T00:00:00.000Z'), hold('subj-1', 'contact', 'open')],
            },
            {
              subjectId: 'subj-2',
              rows: [hold('subj-2', 'billing', '2027-01-01T00:00:00.000Z'), hold('subj-2', 'contact', 'open')],
            },
          ],
        }),
        1,
      );
      expect(await store.listHolds({ endingBefore: '2026-01-01T00:00:00.000Z' })).toEqual([
        hold('subj-1', 'billing', '2025-01-01T00:00:00.000Z'),
      ]);
      expect(await store.listHolds({ endingBefore: '9999-12-31T00:00:00.000Z' })).toHaveLength(2);
      expect(await store.listHolds({ subjectId: 'subj-2', endingBefore: '2026-01-01T00:00:00.000Z' })).toEqual([]);
      expect(await store.listHolds({ subjectId: 'subj-2', endingBefore: '2028-01-01T00:00:00.000Z' })).toEqual([
        hold('subj-2', 'billing', '2027-01-01T00:00:00.000Z'),
      ]);
    });

    it('lists due retention in (dueAt, subjectId, category) order with keyset paging', async () => {
      const rows = [
        retention('subj-b', 'contact', '2024-01-01T00:00:00.000Z'),
        retention('subj-a', 'marketing', '2024-01-01T00:00:00.000Z'),
        retention('subj-a', 'contact', '2024-01-01T00:00:00.000Z'),
        retention('subj-a', 'billing', '2023-06-01T00:00:00.000Z'),
        retention('subj-c', 'contact', '2024-03-01T00:00:00.000Z'),
        retention('subj-d', 'contact', '2030-01-01T00:00:00.000Z'),
      ];
      const bySubject = new Map<string, RetentionView[]>();
      for (const r of rows) bySubject.set(r.subjectId, [...(bySubject.get(r.subjectId) ?? []), r]);
      await store.apply(P, batch({ retention: [...bySubject].map(([subjectId, rs]) => ({ subjectId, rows: rs })) }), 1);

      const asOf = '2024-06-01T00:00:00.000Z';
      const expected = [rows[3], rows[2], rows[1], rows[0], rows[4]];
      expect(await store.listDueRetention(asOf)).toEqual(expected);
      expect(await store.listDueRetention('2024-01-01T00:00:00.000Z')).toEqual(expected.slice(0, 4));

      const paged: RetentionView[] = [];
      let after: RetentionView | undefined;
      for (;;) {
        const page: RetentionView[] = await store.listDueRetention(asOf, { limit: 2, ...(after ? { after } : {}) });
        paged.push(...page);
        if (page.length < 2) break;
        after = page[page.length - 1];
      }
      expect(paged).toEqual(expected);
    });

    it('lists shredded entries, all or for one subject', async () => {
      const s = (subjectId: string, eventId: string) => ({
        subjectId,
        category: 'contact',
        keyIds: [`${subjectId}/contact/1`, `${subjectId}/contact/2`],
        reason: 'erasure' as const,
        at: '2024-01-01T00:00:00.000Z',
        eventId,
      });
      await store.apply(P, batch({ shredded: [s('subj-1', 'e1'), s('subj-2', 'e2')] }), 1);
      await store.apply(P, batch({ shredded: [s('subj-1', 'e3')] }), 2);
      expect(await store.listShredded()).toHaveLength(3);
      expect(await store.listShredded({ subjectId: 'subj-1' })).toEqual([s('subj-1', 'e1'), s('subj-1', 'e3')]);
    });

    it('keeps the subjects who gave a consent with their batch, once each, and pages them in id order', async () => {
      // A new store lacks no one: nothing says its index must be filled from the log.
      expect(await store.checkpoint(CONSENTS_UNINDEXED)).toBe(0);
      const ids = Array.from({ length: 250 }, (_, i) => `subj-${String((i * 7919) % 1000).padStart(4, '0')}`);
      // Written with the subjects' snapshots, in batches of 50, each id twice (a second consent changes nothing).
      for (let b = 0; b < 5; b++) {
        const part = ids.slice(b * 50, b * 50 + 50);
        const applied = await store.apply(
          P,
          batch({ subjects: part.map((id) => subjectView(id, b + 1)), consents: [...part, ...part] }),
          b + 1,
        );
        expect(applied).toBe(true);
      }
      // A batch another replica applied first writes no row: its subject is not in the index.
      expect(await store.apply(P, batch({ consents: ['subj-late'] }), 5)).toBe(false);
      const paged: string[] = [];
      for (let after: string | undefined; ;) {
        const page = await store.listConsentSubjects({ ...(after === undefined ? {} : { after }), limit: 64 });
        expect(page.length).toBeLessThanOrEqual(64);
        if (page.length === 0) break;
        paged.push(...page);
        after = page[page.length - 1];
      }
      const sorted = [...ids].sort();
      expect(paged).toEqual(sorted);
      expect(await store.listConsentSubjects()).toEqual(sorted);
      expect(await store.listConsentSubjects({ after: sorted[248]! })).toEqual([sorted[249]]);
      // Byte-wise order, as the other keyset pages: upper case before lower, a shorter prefix first.
      await store.apply(P, batch({ consents: ['Subj-Z', 'subj', 'subj-0000a'] }), 6);
      expect((await store.listConsentSubjects({ limit: 3 })).slice(0, 3)).toEqual(['Subj-Z', 'subj', 'subj-0000']);
      expect(await store.listConsentSubjects({ after: 'subj-0000', limit: 1 })).toEqual(['subj-0000a']);
      await store.reset();
      expect(await store.listConsentSubjects()).toEqual([]);
    });

    it('drops every read model and checkpoint on reset', async () => {
      await store.apply(
        P,
        batch({
          subjects: [subjectView('subj-1', 1)],
          index: [{ op: 'put', entry: entry('subj-1', 'contact', 'email', 'h-1') }],
          holds: [
            {
              subjectId: 'subj-1',
              rows: [{ subjectId: 'subj-1', category: 'billing', basis: 'law', until: 'open', source: 'register' }],
            },
          ],
          retention: [{ subjectId: 'subj-1', rows: [retention('subj-1', 'contact', '2024-01-01T00:00:00.000Z')] }],
          shredded: [
            {
              subjectId: 'subj-1',
              category: 'x',
              keyIds: [],
              reason: 'erasure',
              at: '2024-01-01T00:00:00.000Z',
              eventId: 'e',
            },
          ],
        }),
        1,
      );
      await store.reset();
      expect(await store.checkpoint(P)).toBe(0);
      expect((await store.getSubjects(['subj-1'])).size).toBe(0);
      expect(await store.findByBlindIndex(['h-1'])).toEqual([]);
      expect(await store.listHolds()).toEqual([]);
      expect(await store.listDueRetention('9999-01-01T00:00:00.000Z')).toEqual([]);
      expect(await store.listShredded()).toEqual([]);
      expect(await store.apply(P, batch({}), 1)).toBe(true);
    });
  });
}
