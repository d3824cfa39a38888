import { addIsoDuration, type Vault } from '@pdv/vault';
import { describe, expect, it } from 'vitest';

import { dataItem, useTempVaults } from '../support/tempVault.js';

const T0 = '2026-01-05T09:00:00.000Z';
const at = (duration: string) => addIsoDuration(T0, duration);
const minus1d = (iso: string) => new Date(Date.parse(iso) - 86_400_000).toISOString();
const plus1d = (iso: string) => new Date(Date.parse(iso) + 86_400_000).toISOString();

const vaults = useTempVaults();

const clockedVault = () => vaults.clocked(T0);

const item = dataItem;

/** Status per category as the DPO's read shows it: VALUE, ERASED or absent. */
async function statuses(vault: Vault, subjectId: string): Promise<Record<string, string>> {
  const read = (await vault.reader.read([subjectId], { purpose: 'legalCompliance', callerPurposes: 'all' })).get(
    subjectId,
  )!;
  const state = await vault.commands.load(subjectId);
  const out: Record<string, string> = {};
  for (const [category, c] of Object.entries(state.categories))
    out[category] = c.shredded ? `ERASED:${c.shredded.reason}` : 'LIVE';
  for (const i of read.items) if (i.status === 'ERASED') expect(out[i.category]).toMatch(/^ERASED/);
  return out;
}

describe('retention over a debtor’s ten years', () => {
  it('shreds each category when its promise says, and keeps accounting through erasure until due', async () => {
    const { vault, clock } = await clockedVault();
    const actor = { actor: 'billing' };
    const { subjectId: s } = await vault.commands.registerSubject(actor);
    await vault.execute(
      s,
      {
        type: 'GiveConsent',
        purpose: 'marketing',
        noticeId: 'privacy-notice',
        noticeVersion: '2026-01',
        channel: 'webForm',
      },
      actor,
    );
    await vault.execute(
      s,
      {
        type: 'RecordPersonalData',
        items: [
          item('contact', 'name', 'Dora Debtor', 'contract', 'contract'),
          item('contact', 'email', 'dora@example.com', 'contract', 'contract'),
          item(
            'callRecordings',
            'recording',
            { mediaType: 'audio/ogg', contentBase64: 'T2dnUw==' },
            'customerService',
            'legitimateInterest',
          ),
          item('marketing', 'interests', 'gardening', 'marketing', 'consent'),
          item('accounting', 'invoiceReference', 'INV-2026-001', 'billing', 'legalObligation'),
          item('debtCollection', 'caseReference', 'CASE-77', 'debtCollection', 'legitimateInterest', 'thirdParty'),
        ],
      },
      actor,
    );
    expect(await statuses(vault, s)).toEqual({
      contact: 'LIVE',
      callRecordings: 'LIVE',
      marketing: 'LIVE',
      accounting: 'LIVE',
      debtCollection: 'LIVE',
    });

    // Day 29: nothing due yet. A dry run as of day 31 shows the recording, and changes nothing.
    clock.now = at('P29D');
    expect((await vault.sweepRetention()).shredded).toBe(0);
    const preview = await vault.sweepRetention({ asOf: at('P31D'), dryRun: true });
    expect(preview.items.filter((i) => i.outcome === 'wouldShred').map((i) => i.category)).toEqual(['callRecordings']);
    expect((await statuses(vault, s)).callRecordings).toBe('LIVE');
    await expect(vault.sweepRetention({ asOf: at('P31D') })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });

    // Day 31: the call recording goes (30 days after recording).
    clock.now = at('P31D');
    const day31 = await vault.sweepRetention();
    expect(day31.items).toEqual([
      expect.objectContaining({
        subjectId: s,
        category: 'callRecordings',
        outcome: 'shredded',
        rule: 'P30D after recorded',
      }),
    ]);
    expect((await statuses(vault, s)).callRecordings).toBe('ERASED:retention');
    expect(await vault.sweepRetention()).toMatchObject({ shredded: 0 });

    // Month 2: the debtor unsubscribes: marketing data is shredded at once.
    clock.now = at('P2M');
    await vault.execute(s, { type: 'WithdrawConsent', purpose: 'marketing' }, actor);
    expect((await statuses(vault, s)).marketing).toBe('ERASED:withdrawal');

    // Month 3: the debt case is closed; it is kept 3 years after closure, not a day less.
    clock.now = at('P3M');
    await vault.execute(s, { type: 'RecordLifecycleEvent', event: 'caseClosed' }, actor);
    const caseDue = addIsoDuration(at('P3M'), 'P3Y');
    clock.now = minus1d(caseDue);
    expect((await vault.sweepRetention()).shredded).toBe(0);
    clock.now = plus1d(caseDue);
    expect((await vault.sweepRetention()).items.map((i) => [i.category, i.outcome])).toEqual([
      ['debtCollection', 'shredded'],
    ]);
    expect((await statuses(vault, s)).debtCollection).toBe('ERASED:retention');

    // Year 4: erasure request. Contact goes; accounting stays under the bookkeeping hold.
    clock.now = at('P4Y');
    const cert = await vault.erase(s, { actor: 'dpo:anna', reason: 'subjectRequest' });
    const accountingUntil = at('P10Y');
    expect(cert.certificate.categoriesShredded).toEqual(['contact']);
    expect(cert.certificate.categoriesRetained).toEqual([
      {
        category: 'accounting',
        basis: expect.stringContaining('bookkeeping'),
        until: accountingUntil,
        entries: [{ field: 'invoiceReference', until: accountingUntil }],
      },
    ]);
    expect(await statuses(vault, s)).toEqual({
      contact: 'ERASED:erasure',
      callRecordings: 'ERASED:retention',
      marketing: 'ERASED:withdrawal',
      accounting: 'LIVE',
      debtCollection: 'ERASED:retention',
    });
    const billingRead = (await vault.reader.read([s], { purpose: 'billing', callerPurposes: 'all' })).get(s)!;
    expect(billingRead.items).toContainEqual(
      expect.objectContaining({ status: 'VALUE', category: 'accounting', value: 'INV-2026-001' }),
    );
    const holds = await vault.stores.views.listHolds({ endingBefore: at('P11Y') });
    expect(holds).toEqual([
      expect.objectContaining({ subjectId: s, category: 'accounting', until: accountingUntil, source: 'register' }),
    ]);

    // Year 10 minus a day: still held. The day after the period ends: shredded by the sweep.
    clock.now = minus1d(accountingUntil);
    expect((await vault.sweepRetention()).shredded).toBe(0);
    clock.now = plus1d(accountingUntil);
    expect((await vault.sweepRetention()).items.map((i) => [i.category, i.outcome])).toEqual([
      ['accounting', 'shredded'],
    ]);
    const end = await statuses(vault, s);
    expect(Object.values(end).every((v) => v.startsWith('ERASED'))).toBe(true);
    expect(await vault.stores.keys.getByIds(Object.keys(end).map((c) => `${s}/${c}/1`))).toEqual(new Map());

    // The anonymous statistics survive: counts per category and reason, no subject ids.
    const stats = await vault.stores.views.listStats();
    expect(JSON.stringify(stats)).not.toContain(s);
    const shredCount = (metric: string, category: string) =>
      stats.filter((r) => r.metric === metric && r.category === category).reduce((n, r) => n + r.count, 0);
    expect(shredCount('shredded:retention', 'callRecordings')).toBe(1);
    expect(shredCount('shredded:withdrawal', 'marketing')).toBe(1);
    expect(shredCount('shredded:retention', 'debtCollection')).toBe(1);
    expect(shredCount('shredded:erasure', 'contact')).toBe(1);
    // Kept through the erasure by the bookkeeping law, then shredded for the erasure it had deferred.
    expect(shredCount('shredded:erasure', 'accounting')).toBe(1);
    expect(shredCount('shredded:retention', 'accounting')).toBe(0);
    expect(stats.filter((r) => r.metric === 'recorded').reduce((n, r) => n + r.count, 0)).toBe(6);
  });

  it('keeps a category under a DPO hold past its retention and shreds it at the sweep after the hold', async () => {
    const { vault, clock } = await clockedVault();
    const { subjectId: s } = await vault.commands.registerSubject({ actor: 'svc' });
    await vault.execute(
      s,
      {
        type: 'RecordPersonalData',
        items: [
          item(
            'callRecordings',
            'recording',
            { mediaType: 'audio/ogg', contentBase64: 'AA==' },
            'customerService',
            'legitimateInterest',
          ),
        ],
      },
      { actor: 'svc' },
    );
    await vault.execute(
      s,
      { type: 'PlaceLegalHold', category: 'callRecordings', basis: 'regulatoryInvestigation', until: at('P90D') },
      { actor: 'dpo:anna' },
    );
    clock.now = at('P60D');
    expect((await vault.sweepRetention()).shredded).toBe(0);
    clock.now = at('P91D');
    expect((await vault.sweepRetention()).shredded).toBe(1);
  });

  it('carries the shred of a withdrawal past a hold: the category goes at the first sweep after release', async () => {
    const { vault, clock } = await clockedVault();
    const { subjectId: s } = await vault.commands.registerSubject({ actor: 'svc' });
    await vault.execute(
      s,
      {
        type: 'GiveConsent',
        purpose: 'marketing',
        noticeId: 'privacy-notice',
        noticeVersion: '2026-01',
        channel: 'webForm',
      },
      { actor: 'svc' },
    );
    await vault.execute(
      s,
      { type: 'RecordPersonalData', items: [item('marketing', 'interests', 'gardening', 'marketing', 'consent')] },
      { actor: 'svc' },
    );
    await vault.execute(
      s,
      { type: 'PlaceLegalHold', category: 'marketing', basis: 'litigation', until: at('P1Y') },
      { actor: 'dpo:anna' },
    );
    clock.now = at('P1D');
    const withdrawn = await vault.execute(s, { type: 'WithdrawConsent', purpose: 'marketing' }, { actor: 'svc' });
    expect(withdrawn.events.map((e) => e.type)).toEqual(['ConsentWithdrawn']); // held: not shredded yet
    clock.now = at('P10D');
    expect((await vault.sweepRetention()).shredded).toBe(0);
    await vault.execute(s, { type: 'ReleaseLegalHold', category: 'marketing' }, { actor: 'dpo:anna' });
    const preview = await vault.sweepRetention({ dryRun: true });
    expect(preview.items).toContainEqual(
      expect.objectContaining({
        subjectId: s,
        category: 'marketing',
        outcome: 'wouldShred',
        rule: 'consent for marketing withdrawn',
      }),
    );
    expect((await vault.sweepRetention()).shredded).toBe(1);
    expect((await statuses(vault, s)).marketing).toBe('ERASED:withdrawal');
  });
});

describe('the retention sweep', () => {
  it('shreds each due category exactly once when two sweeps run at once, and a third finds nothing', async () => {
    const { vault, clock } = await clockedVault();
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const { subjectId } = await vault.commands.registerSubject({ actor: 'svc' });
      await vault.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            item(
              'callRecordings',
              'recording',
              { mediaType: 'audio/ogg', contentBase64: 'AA==' },
              'customerService',
              'legitimateInterest',
            ),
            item('contact', 'name', `N${i}`, 'contract', 'contract'),
          ],
        },
        { actor: 'svc' },
      );
      ids.push(subjectId);
    }
    clock.now = at('P31D');
    const [a, b] = await Promise.all([vault.sweepRetention({ pageSize: 7 }), vault.sweepRetention({ pageSize: 11 })]);
    expect(a.shredded + b.shredded).toBe(60);
    const shredEvents = (await vault.stores.log.readAll({ maxCount: 10_000 })).filter(
      (e) => e.type === 'CategoryShredded',
    );
    expect(shredEvents).toHaveLength(60);
    expect(await vault.stores.keys.listTombstones()).toHaveLength(60);
    expect((await vault.sweepRetention()).shredded).toBe(0);
    const read = await vault.reader.read(ids, { purpose: 'contract', callerPurposes: 'all' });
    expect(read.size).toBe(ids.length);
    expect([...read.values()].every((r) => r.items.some((i) => i.status === 'VALUE' && i.category === 'contact'))).toBe(
      true,
    );
  });
});
