import { addIsoDuration, type Vault } from '@pdv/vault';
import { describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { dataItem as item, useTempVaults } from '../support/tempVault.js';

// The shipped register (services/vault/register/default-register.yaml) played through the vault on
// the controlled clock, a hundred subjects at a time: each test is one promise of the privacy
// policies the register quotes.

const T0 = '2026-03-02T08:00:00.000Z';
const at = (duration: string, from = T0) => addIsoDuration(from, duration);
const shift = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();
const N = 100;

const vaults = useTempVaults();

async function categoryStatus(vault: Vault, subjectId: string, category: string): Promise<string> {
  const c = (await vault.commands.load(subjectId)).categories[category];
  if (!c) return 'ABSENT';
  return c.shredded ? `ERASED:${c.shredded.reason}` : 'LIVE';
}

async function statusCounts(vault: Vault, ids: readonly string[], category: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of ids) {
    const s = await categoryStatus(vault, id, category);
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}

const consent = (purpose: string) => ({
  type: 'GiveConsent' as const,
  purpose,
  noticeId: 'privacy-notice',
  noticeVersion: '2026-03',
  channel: 'webForm',
});

describe('the shipped register keeps the policies’ promises', () => {
  it('takes a debtor’s national id for collection and keeps the details 3 years past closing', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const actor = { actor: 'collections' };
    const debtors: string[] = [];
    for (let i = 0; i < N; i++) {
      const { subjectId } = await vault.commands.registerSubject(actor);
      const fields: [string, unknown][] = [
        ['name', `Debtor ${i}`],
        ['email', `debtor${i}@example.com`],
        ['nationalId', `0101${String(i).padStart(7, '0')}`],
      ];
      await vault.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            ...fields.map(([f, v]) => item('debtor', f, v, 'debtCollection', 'legitimateInterest', 'thirdParty')),
            item('identity', 'nationalId', `0101${String(i).padStart(7, '0')}`, 'debtCollection', 'legitimateInterest'),
          ],
        },
        actor,
      );
      debtors.push(subjectId);
    }
    // Half the cases close in month 6; the others stay open.
    const closedAt = at('P6M');
    clock.now = closedAt;
    const closed = debtors.slice(0, N / 2);
    for (const s of closed) await vault.execute(s, { type: 'RecordLifecycleEvent', event: 'caseClosed' }, actor);

    const due = at('P3Y', closedAt);
    clock.now = shift(due, -1);
    expect((await vault.sweepRetention()).shredded).toBe(0);
    clock.now = shift(due, 1);
    const sweep = await vault.sweepRetention();
    expect(sweep.items.filter((i) => i.outcome === 'shredded').map((i) => [i.subjectId, i.category])).toEqual(
      expect.arrayContaining(closed.map((s) => [s, 'debtor'])),
    );
    expect(sweep.shredded).toBe(closed.length);
    expect(await statusCounts(vault, closed, 'debtor')).toEqual({ 'ERASED:retention': N / 2 });
    expect(await statusCounts(vault, debtors.slice(N / 2), 'debtor')).toEqual({ LIVE: N / 2 });
    const read = (await vault.reader.read([debtors[N - 1]!], { purpose: 'debtCollection', callerPurposes: 'all' }))
      .get(debtors[N - 1]!)!
      .items.filter((i) => i.status === 'VALUE')
      .map((i) => `${i.category}.${i.field}`);
    expect(read.sort()).toEqual(['debtor.email', 'debtor.name', 'debtor.nationalId', 'identity.nationalId']);
  });

  it('erases the newsletter address on unsubscribe while the contract’s email stays', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const actor = { actor: 'crm' };
    const readers: string[] = [];
    for (let i = 0; i < N; i++) {
      const { subjectId } = await vault.commands.registerSubject(actor);
      await vault.execute(subjectId, consent('newsletter'), actor);
      await vault.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            item('newsletterSubscription', 'email', `reader${i}@example.com`, 'newsletter', 'consent'),
            item('contact', 'email', `reader${i}@example.com`, 'contract', 'contract'),
          ],
        },
        actor,
      );
      readers.push(subjectId);
    }
    clock.now = at('P2M');
    const leaving = readers.filter((_, i) => i % 2 === 0);
    for (const s of leaving) {
      const r = await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter' }, actor);
      expect(r.events.map((e) => e.type)).toEqual(['ConsentWithdrawn', 'CategoryShredded']);
    }
    expect(await statusCounts(vault, leaving, 'newsletterSubscription')).toEqual({ 'ERASED:withdrawal': N / 2 });
    expect(await statusCounts(vault, leaving, 'contact')).toEqual({ LIVE: N / 2 });
    const staying = readers.filter((_, i) => i % 2 === 1);
    expect(await statusCounts(vault, staying, 'newsletterSubscription')).toEqual({ LIVE: N / 2 });

    // A newsletter read finds no address for those who left, and every address of those who stayed.
    const reads = await vault.reader.read(readers, { purpose: 'newsletter', callerPurposes: ['newsletter'] });
    const withAddress = readers.filter((s) =>
      reads.get(s)!.items.some((i) => i.category === 'newsletterSubscription' && i.status === 'VALUE'),
    );
    expect(withAddress).toEqual(staying);

    // An address left inactive goes 3 years after the last newsletter activity.
    clock.now = shift(at('P3Y'), 1);
    const sweep = await vault.sweepRetention();
    expect(sweep.items.filter((i) => i.category === 'newsletterSubscription').length).toBe(N / 2);
    expect(await statusCounts(vault, staying, 'newsletterSubscription')).toEqual({ 'ERASED:retention': N / 2 });
  });

  it('keeps a website form’s name, email and phone 5 years after it was sent', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const actor = { actor: 'website' };
    const senders: string[] = [];
    for (let i = 0; i < N; i++) {
      const { subjectId } = await vault.commands.registerSubject(actor);
      const form: [string, unknown][] = [
        ['name', `Visitor ${i}`],
        ['email', `visitor${i}@example.com`],
        ['phone', `+4790${String(i).padStart(6, '0')}`],
        ['message', 'Please call me about an offer'],
      ];
      await vault.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: form.map(([f, v]) => item('webForms', f, v, 'customerService', 'legitimateInterest')),
        },
        actor,
      );
      senders.push(subjectId);
    }
    clock.now = shift(at('P5Y'), -1);
    expect((await vault.sweepRetention()).shredded).toBe(0);
    clock.now = shift(at('P5Y'), 1);
    expect((await vault.sweepRetention()).shredded).toBe(N);
    expect(await statusCounts(vault, senders, 'webForms')).toEqual({ 'ERASED:retention': N });
  });

  it('keeps each invoice 10 years from its own recording, through an erasure, and then nothing', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const actor = { actor: 'billing' };
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const { subjectId } = await vault.commands.registerSubject(actor);
      await vault.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            item('accounting', 'bankAccount', `NO93860111${String(i).padStart(4, '0')}7`, 'billing', 'contract'),
            item('accounting', 'invoiceReference', `INV-A-${i}`, 'billing', 'contract'),
          ],
        },
        actor,
      );
      ids.push(subjectId);
    }
    // Three years on, a second invoice for each.
    const second = at('P3Y');
    clock.now = second;
    for (const [i, s] of ids.entries())
      await vault.execute(
        s,
        {
          type: 'RecordPersonalData',
          items: [item('accounting', 'invoiceReference', `INV-B-${i}`, 'billing', 'contract')],
        },
        actor,
      );
    // Year 4: half the debtors have themselves erased; accounting stays until the newest invoice's period ends.
    clock.now = at('P4Y');
    const erased = ids.slice(0, N / 2);
    for (const s of erased) {
      const { certificate } = await vault.erase(s, { actor: 'dpo:anna', reason: 'subjectRequest' });
      // Each value's own end, as the sweeps below keep it: the first invoice's account at 10 years, the second's later.
      expect(certificate.categoriesRetained).toEqual([
        expect.objectContaining({
          category: 'accounting',
          until: at('P10Y', second),
          entries: [
            { field: 'bankAccount', until: at('P10Y') },
            { field: 'invoiceReference', until: at('P10Y', second) },
          ],
        }),
      ]);
      expect(schemaErrors('erasure-certificate.schema.json', certificate)).toEqual([]);
    }

    // The first invoice's period ends: its values go, the second invoice's stay, under a new key.
    const firstEnds = at('P10Y');
    clock.now = shift(firstEnds, -1);
    expect((await vault.sweepRetention()).shredded).toBe(0);
    const preview = await vault.sweepRetention({ asOf: shift(firstEnds, 1), dryRun: true });
    expect(preview.items.filter((i) => i.outcome === 'wouldShred')).toHaveLength(N);
    clock.now = shift(firstEnds, 1);
    expect((await vault.sweepRetention()).shredded).toBe(N);
    const reads = await vault.reader.read(ids, { purpose: 'billing', callerPurposes: 'all' });
    for (const [i, s] of ids.entries()) {
      const items = reads.get(s)!.items.filter((x) => x.category === 'accounting');
      expect(items.find((x) => x.field === 'invoiceReference')).toMatchObject({ status: 'VALUE', value: `INV-B-${i}` });
      expect(items.find((x) => x.field === 'bankAccount')?.status).toBe('ERASED');
    }
    // The first invoice is unreadable everywhere: the key it was sealed under is destroyed.
    const firstKeys = ids.map((s) => `${s}/accounting/1`);
    expect(await vault.stores.keys.getByIds(firstKeys)).toEqual(new Map());
    // Its tombstones say why: the retention period ended, not an erasure of a field.
    const firstTombstones = await vault.stores.keys.listTombstones({ keyIds: firstKeys });
    expect(firstTombstones.map((t) => t.reason)).toEqual(Array<string>(N).fill('retention'));

    // The second invoice's period ends: nothing of accounting is left, erased subjects or not.
    const secondEnds = at('P10Y', second);
    clock.now = shift(secondEnds, -1);
    expect((await vault.sweepRetention()).shredded).toBe(0);
    clock.now = shift(secondEnds, 1);
    expect((await vault.sweepRetention()).shredded).toBe(N);
    expect(await statusCounts(vault, erased, 'accounting')).toEqual({ 'ERASED:erasure': N / 2 });
    expect(await statusCounts(vault, ids.slice(N / 2), 'accounting')).toEqual({ 'ERASED:retention': N / 2 });
  });

  it('keeps a value while any purpose keeps it, and erases it with the consent it rested on alone', async () => {
    const { vault } = await vaults.clocked(T0);
    const crm = { actor: 'crm', writer: { role: 'service' as const, purposes: ['contract'] } };
    const mailer = { actor: 'mailer', writer: { role: 'service' as const, purposes: ['newsletter'] } };
    const shared: string[] = [];
    const consentOnly: string[] = [];
    for (let i = 0; i < N; i++) {
      const { subjectId } = await vault.commands.registerSubject(crm);
      await vault.execute(subjectId, consent('newsletter'), mailer);
      if (i % 2 === 0) {
        // The customer's email, kept for the contract; the newsletter service writes the same address.
        await vault.execute(
          subjectId,
          {
            type: 'RecordPersonalData',
            items: [item('contact', 'email', `both${i}@example.com`, 'contract', 'contract')],
          },
          crm,
        );
        const again = await vault.execute(
          subjectId,
          {
            type: 'RecordPersonalData',
            items: [item('contact', 'email', `both${i}@example.com`, 'newsletter', 'consent')],
          },
          mailer,
        );
        expect(again.events.map((e) => e.type)).toEqual(['PersonalDataHeld']);
        shared.push(subjectId);
      } else {
        // An address given for the newsletter alone, beside a name the contract keeps.
        await vault.execute(
          subjectId,
          {
            type: 'RecordPersonalData',
            items: [
              item('contact', 'email', `only${i}@example.com`, 'newsletter', 'consent'),
              item('contact', 'name', `Reader ${i}`, 'contract', 'contract'),
            ],
          },
          { actor: 'dpo:anna' },
        );
        consentOnly.push(subjectId);
      }
    }
    for (const s of [...shared, ...consentOnly])
      await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter' }, mailer);

    const reads = await vault.reader.read([...shared, ...consentOnly], { purpose: 'contract', callerPurposes: 'all' });
    const email = (s: string) => reads.get(s)!.items.find((x) => x.category === 'contact' && x.field === 'email');
    for (const s of shared) expect(email(s)).toMatchObject({ status: 'VALUE' });
    for (const [i, s] of consentOnly.entries()) {
      expect(email(s)?.status).toBe('ERASED');
      const name = reads.get(s)!.items.find((x) => x.category === 'contact' && x.field === 'name');
      expect(name).toMatchObject({ status: 'VALUE', value: `Reader ${2 * i + 1}` });
    }
    // The address is unreadable in the log too: the key it was sealed under is destroyed.
    const oldKeys = consentOnly.map((s) => `${s}/contact/1`);
    expect(await vault.stores.keys.getByIds(oldKeys)).toEqual(new Map());
    const tombstones = await vault.stores.keys.listTombstones({ keyIds: oldKeys });
    expect(tombstones.map((t) => t.reason)).toEqual(Array<string>(consentOnly.length).fill('withdrawal'));
  });
  it('erases on an objection to direct marketing each value kept for it alone, at once and for good', async () => {
    const { vault } = await vaults.clocked(T0);
    const mailer = { actor: 'mailer', writer: { role: 'service' as const, purposes: ['marketing'] } };
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const { subjectId } = await vault.commands.registerSubject(mailer);
      await vault.execute(subjectId, consent('marketing'), mailer);
      await vault.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            item('contact', 'email', `lead${i}@example.com`, 'marketing', 'consent'),
            item('contact', 'name', `Lead ${i}`, 'contract', 'contract'),
          ],
        },
        { actor: 'dpo:anna' },
      );
      ids.push(subjectId);
    }
    for (const s of ids) await vault.execute(s, { type: 'ObjectToProcessing', purpose: 'marketing' }, { actor: s });
    const reads = await vault.reader.read(ids, { purpose: 'contract', callerPurposes: 'all' });
    for (const [i, s] of ids.entries()) {
      const items = reads.get(s)!.items.filter((x) => x.category === 'contact');
      expect(items.find((x) => x.field === 'email')?.status).toBe('ERASED');
      expect(items.find((x) => x.field === 'name')).toMatchObject({ status: 'VALUE', value: `Lead ${i}` });
    }
    const tombstones = await vault.stores.keys.listTombstones({ keyIds: ids.map((s) => `${s}/contact/1`) });
    expect(tombstones.map((t) => t.reason)).toEqual(Array<string>(N).fill('objection'));
  });
});
