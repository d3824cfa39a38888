import { addIsoDuration, loadRegister } from '@pdv/vault';
import { describe, expect, it } from 'vitest';

import { dataItem as item, useTempVaults } from '../support/tempVault.js';

/**
 * A consent past the validity the register gives its purpose erases what rested on it alone, as its withdrawal
 * would (Art. 17(1)(b); issue 24): the retention sweep acts when it expires, its dry run lists it first, and a value
 * also kept for a purpose that still stands loses only the expired one.
 */

const T0 = '2026-03-02T08:00:00.000Z';
const N = 100;
const vaults = useTempVaults();

const crm = { actor: 'crm', writer: { role: 'service' as const, purposes: ['contract'] } };
const mailer = { actor: 'mailer', writer: { role: 'service' as const, purposes: ['newsletter'] } };
const newsletterConsent = {
  purpose: 'newsletter',
  noticeId: 'privacy-notice',
  noticeVersion: '2026-03',
  channel: 'webForm',
};

describe('an expired consent erases what rested on it alone', () => {
  it('at the sweep after it expires, for 100 subjects, keeping values another standing purpose holds', async () => {
    const register = await loadRegister();
    register.purposes.newsletter!.consentValidFor = 'P1Y';
    const clock = { now: T0 };
    const { vault } = await vaults.open({ register, now: () => clock.now });
    const ids: string[] = [];
    // Subject i subscribes on day i. Even: its customer email, kept for the contract, is also the newsletter's.
    // Odd: an address given for the newsletter alone, beside a name the contract keeps. Each has its own
    // newsletter subscription address, on that consent alone.
    for (let i = 0; i < N; i++) {
      clock.now = addIsoDuration(T0, `P${i}D`);
      const { subjectId: s } = await vault.commands.registerSubject(crm);
      const contactItems =
        i % 2 === 0
          ? [item('contact', 'email', `both${i}@example.com`, 'contract', 'contract')]
          : [item('contact', 'name', `Reader ${i}`, 'contract', 'contract')];
      await vault.execute(s, { type: 'RecordPersonalData', items: contactItems }, crm);
      const newsletterItems = [
        item('newsletterSubscription', 'email', `list${i}@example.com`, 'newsletter', 'consent'),
        item('contact', 'email', `${i % 2 === 0 ? 'both' : 'only'}${i}@example.com`, 'newsletter', 'consent'),
      ];
      const r = await vault.execute(
        s,
        { type: 'RecordPersonalData', items: newsletterItems, consents: [newsletterConsent] },
        mailer,
      );
      if (i % 2 === 0) expect(r.events.map((e) => e.type)).toContain('PersonalDataHeld');
      ids.push(s);
    }

    // A year and 50 days on, the consents of days 0 to 50 have expired; the others stand.
    clock.now = addIsoDuration(addIsoDuration(T0, 'P1Y'), 'P50D');
    const expired = (i: number) => i <= 50;
    const preview = await vault.sweepRetention({ dryRun: true });
    const listed = preview.items.filter((x) => x.rule.startsWith('consent for newsletter expired'));
    const subjectsListed = new Set(listed.map((x) => x.subjectId));
    expect(subjectsListed).toEqual(new Set(ids.filter((_, i) => expired(i))));
    // Each expired subject's two categories: the subscription goes; the contact email goes where the newsletter
    // alone held it, and where the contract holds it too only the newsletter's hold goes (nothing shredded: kept).
    const outcome = (i: number, category: string) => (category === 'contact' && i % 2 === 0 ? 'kept' : 'wouldShred');
    const expected = ids.flatMap((s, i) =>
      expired(i) ? ['contact', 'newsletterSubscription'].map((c) => `${s} ${c} ${outcome(i, c)}`) : [],
    );
    expect(listed.map((x) => `${x.subjectId} ${x.category} ${x.outcome}`).sort()).toEqual(expected.sort());
    // The dry run changed nothing: nothing is erased yet.
    const before = await vault.reader.read(ids, { purpose: 'contract', callerPurposes: 'all' });
    for (const s of ids)
      expect(
        before.get(s)!.items.some((x) => x.status === 'ERASED'),
        s,
      ).toBe(false);

    const swept = await vault.sweepRetention();
    expect(swept.items.filter((x) => x.outcome === 'shredded').length).toBe(
      listed.filter((x) => x.outcome === 'wouldShred').length,
    );

    const reads = await vault.reader.read(ids, { purpose: 'contract', callerPurposes: 'all' });
    const lists = await vault.reader.read(ids, { purpose: 'newsletter', callerPurposes: 'all' });
    const get = (s: string, category: string, field: string) =>
      reads.get(s)!.items.find((x) => x.category === category && x.field === field);
    const shreddedKeys: string[] = [];
    for (const [i, s] of ids.entries()) {
      const list = lists.get(s)!.items.find((x) => x.category === 'newsletterSubscription');
      const contactEmail = get(s, 'contact', 'email');
      if (!expired(i)) {
        expect(list, `subject ${i}`).toMatchObject({ status: 'VALUE', value: `list${i}@example.com` });
        expect(contactEmail, `subject ${i}`).toMatchObject({ status: 'VALUE' });
        continue;
      }
      expect(list?.status, `subject ${i}`).toBe('ERASED');
      if (i % 2 === 0) {
        // Kept for the contract, which stands: only the newsletter's hold on it goes.
        expect(contactEmail, `subject ${i}`).toMatchObject({ status: 'VALUE', value: `both${i}@example.com` });
        const f = (await vault.commands.load(s)).categories.contact!.fields.email!;
        expect([f.purpose, ...(f.alsoHeldFor ?? []).map((h) => h.purpose)]).toEqual(['contract']);
      } else {
        expect(contactEmail?.status, `subject ${i}`).toBe('ERASED');
        expect(get(s, 'contact', 'name'), `subject ${i}`).toMatchObject({ status: 'VALUE', value: `Reader ${i}` });
        shreddedKeys.push(`${s}/contact/1`);
      }
      shreddedKeys.push(`${s}/newsletterSubscription/1`);
    }
    // Unreadable in the log too: the keys the addresses were sealed under are destroyed.
    expect(await vault.stores.keys.getByIds(shreddedKeys)).toEqual(new Map());
    const tombstones = await vault.stores.keys.listTombstones({ keyIds: shreddedKeys });
    expect(tombstones.length).toBe(shreddedKeys.length);

    // Nothing more to do at the next sweep; the consents that expire later go at theirs.
    expect((await vault.sweepRetention()).shredded).toBe(0);
    clock.now = addIsoDuration(addIsoDuration(T0, 'P1Y'), 'P100D');
    await vault.sweepRetention();
    const late = await vault.reader.read(ids, { purpose: 'newsletter', callerPurposes: 'all' });
    for (const s of ids)
      expect(late.get(s)!.items.find((x) => x.category === 'newsletterSubscription')?.status, s).toBe('ERASED');
  });
});

describe('consent reaches the values of a debt-collection case (issue 23)', () => {
  it('erases a case’s value held on consent alone at withdrawal and expiry, re-keying or shredding it', async () => {
    const register = await loadRegister();
    register.purposes.newsletter!.consentValidFor = 'P1Y';
    const debtor = register.categories.debtor!;
    debtor.purposes = [...debtor.purposes, 'newsletter'];
    debtor.legalBasis = [...debtor.legalBasis, 'consent'];
    const clock = { now: T0 };
    const { vault } = await vaults.open({ register, now: () => clock.now });
    const collections = { actor: 'collections', writer: { role: 'service' as const, purposes: ['debtCollection'] } };
    const inCase = (entry: string, field: string, value: string, purpose: string, basis: string) => ({
      ...item('debtor', field, value, purpose, basis, 'thirdParty'),
      entry,
    });
    // Subject 0 withdraws; subject 1's consent expires. Each: case A's name for the case, its email on consent
    // alone; case B's email on consent alone.
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { subjectId: s } = await vault.commands.registerSubject(collections);
      const name = inCase(`A-${i}`, 'name', `Debtor ${i}`, 'debtCollection', 'legitimateInterest');
      await vault.execute(s, { type: 'RecordPersonalData', items: [name] }, collections);
      const emails = [`A-${i}`, `B-${i}`].map((e) => inCase(e, 'email', `${e}@example.com`, 'newsletter', 'consent'));
      await vault.execute(s, { type: 'RecordPersonalData', items: emails, consents: [newsletterConsent] }, mailer);
      ids.push(s);
    }
    await vault.execute(ids[0]!, { type: 'WithdrawConsent', purpose: 'newsletter' }, mailer);
    clock.now = addIsoDuration(T0, 'P1Y');
    expect((await vault.sweepRetention()).items.map((x) => [x.subjectId, x.category, x.outcome])).toContainEqual([
      ids[1],
      'debtor',
      'shredded',
    ]);
    for (const [i, s] of ids.entries()) {
      const read = await vault.reader.read([s], { purpose: 'debtCollection', callerPurposes: 'all' });
      const values = read
        .get(s)!
        .items.filter((x) => x.category === 'debtor' && x.status === 'VALUE')
        .map((x) => `${(x as { entry?: string }).entry} ${x.field} ${String((x as { value?: unknown }).value)}`);
      expect(values, `subject ${i}`).toEqual([`A-${i} name Debtor ${i}`]);
      const entries = (await vault.commands.load(s)).categories.debtor!.entries!;
      expect(Object.keys(entries[`A-${i}`]!.fields), `subject ${i}`).toEqual(['name']);
      expect(entries[`B-${i}`]!.shredded, `subject ${i}`).not.toBeNull();
      // Unreadable in the log too: the keys the addresses were sealed under are destroyed, the name re-sealed.
      const gone = [`${s}/debtor~A-${i}/1`, `${s}/debtor~B-${i}/1`];
      expect(await vault.stores.keys.getByIds(gone)).toEqual(new Map());
      expect((await vault.stores.keys.getByIds([`${s}/debtor~A-${i}/2`])).size).toBe(1);
    }
  });
});

describe('a withdrawal a hold on one case kept back (issue 23)', () => {
  it('erases the held case’s value kept on that consent alone at the first sweep after its hold ends', async () => {
    const register = await loadRegister();
    const debtor = register.categories.debtor!;
    debtor.purposes = [...debtor.purposes, 'newsletter'];
    debtor.legalBasis = [...debtor.legalBasis, 'consent'];
    const clock = { now: T0 };
    const { vault } = await vaults.open({ register, now: () => clock.now });
    const collections = { actor: 'collections', writer: { role: 'service' as const, purposes: ['debtCollection'] } };
    const dpo = { actor: 'dpo:anna', writer: { role: 'dpo' as const } };
    const inCase = (entry: string, field: string, value: string, purpose: string, basis: string) => ({
      ...item('debtor', field, value, purpose, basis, 'thirdParty'),
      entry,
    });
    // 20 debtors: case A's name for the case and its email on newsletter consent alone, case B's email alone. Case A
    // of debtors 0-9 is under litigation until HELD_UNTIL; the DPO releases 0-4 early. Then every debtor withdraws.
    const HELD_UNTIL = addIsoDuration(T0, 'P2Y');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { subjectId: s } = await vault.commands.registerSubject(collections);
      const name = inCase(`A-${i}`, 'name', `Debtor ${i}`, 'debtCollection', 'legitimateInterest');
      await vault.execute(s, { type: 'RecordPersonalData', items: [name] }, collections);
      const emails = [`A-${i}`, `B-${i}`].map((e) => inCase(e, 'email', `${e}@example.com`, 'newsletter', 'consent'));
      await vault.execute(s, { type: 'RecordPersonalData', items: emails, consents: [newsletterConsent] }, mailer);
      if (i < 10) {
        const hold = { type: 'PlaceLegalHold' as const, category: 'debtor', basis: 'litigation', entry: `A-${i}` };
        await vault.execute(s, { ...hold, until: HELD_UNTIL }, dpo);
      }
      ids.push(s);
    }
    clock.now = addIsoDuration(T0, 'P1M');
    for (const s of ids) await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter' }, mailer);

    /** The debtor values collections reads, as `entry field`, and the erased ones with their reason. */
    const debtorItems = async (i: number) => {
      const read = await vault.reader.read([ids[i]!], { purpose: 'debtCollection', callerPurposes: 'all' });
      return read
        .get(ids[i]!)!
        .items.filter((x) => x.category === 'debtor' && (x.status === 'VALUE' || x.status === 'ERASED'))
        .map((x) => {
          const { entry, reason } = x as { entry?: string; reason?: string };
          return `${entry} ${x.field} ${x.status === 'VALUE' ? 'value' : `erased:${reason}`}`;
        })
        .sort();
    };
    const held = (i: number) => [`A-${i} email value`, `A-${i} name value`];
    const released = (i: number) => [`A-${i} email erased:withdrawal`, `A-${i} name value`];
    // The withdrawal took what no hold kept at once; the held cases keep their addresses.
    for (const i of [0, 9]) expect(await debtorItems(i)).toEqual(held(i));
    for (const i of [10, 19]) expect(await debtorItems(i)).toEqual(released(i));
    expect((await vault.sweepRetention()).items.filter((x) => x.category === 'debtor')).toEqual([]);

    clock.now = addIsoDuration(T0, 'P3M');
    for (const s of ids.slice(0, 5))
      await vault.execute(s, { type: 'ReleaseLegalHold', category: 'debtor', entry: `A-${ids.indexOf(s)}` }, dpo);
    const preview = await vault.sweepRetention({ dryRun: true });
    expect(preview.items.map((x) => [ids.indexOf(x.subjectId), x.category, x.rule, x.outcome]).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => [i, 'debtor', 'consent for newsletter withdrawn', 'wouldShred']),
    );
    const first = await vault.sweepRetention();
    expect(first.items.map((x) => [ids.indexOf(x.subjectId), x.outcome]).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => [i, 'shredded']),
    );
    for (const i of [0, 4]) expect(await debtorItems(i)).toEqual(released(i));
    for (const i of [5, 9]) expect(await debtorItems(i)).toEqual(held(i));

    // The other holds end on their date: the next sweep after it takes theirs.
    clock.now = addIsoDuration(HELD_UNTIL, 'P1D');
    const second = await vault.sweepRetention();
    const shredded = second.items.filter((x) => x.outcome === 'shredded').map((x) => ids.indexOf(x.subjectId));
    expect(shredded.sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9]);
    for (const i of [5, 9]) expect(await debtorItems(i)).toEqual(released(i));
    // Unreadable in the log too: the key the address was sealed under is destroyed, the name re-sealed.
    for (const i of [0, 9]) {
      const s = ids[i]!;
      expect(await vault.stores.keys.getByIds([`${s}/debtor~A-${i}/1`])).toEqual(new Map());
      expect((await vault.stores.keys.getByIds([`${s}/debtor~A-${i}/2`])).size).toBe(1);
    }
    // Once: nothing of it is due again.
    expect((await vault.sweepRetention()).items.filter((x) => x.outcome === 'shredded')).toEqual([]);
  });
});

describe('a validity the register sets after the consents were given (issue 24)', () => {
  it('makes the subjects projected before it due when the vault opens again, with no event or rebuild', async () => {
    const clock = { now: T0 };
    const first = await vaults.open({ register: await loadRegister(), now: () => clock.now });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { subjectId: s } = await first.vault.commands.registerSubject(crm);
      const name = item('contact', 'name', `Reader ${i}`, 'contract', 'contract');
      await first.vault.execute(s, { type: 'RecordPersonalData', items: [name] }, crm);
      const list = item('newsletterSubscription', 'email', `list${i}@example.com`, 'newsletter', 'consent');
      const consents = [newsletterConsent];
      await first.vault.execute(s, { type: 'RecordPersonalData', items: [list], consents }, mailer);
      ids.push(s);
    }
    clock.now = addIsoDuration(T0, 'P2Y');
    const expiryRows = async (vault: typeof first.vault) =>
      (await vault.sweepRetention({ dryRun: true })).items
        .filter((x) => x.rule.startsWith('consent for newsletter expired'))
        .map((x) => `${x.subjectId} ${x.category} ${x.outcome}`)
        .sort();
    // Two years on, with no validity in the register, nothing is due for consent.
    expect(await expiryRows(first.vault)).toEqual([]);
    await first.vault.close();

    const reopen = async (register: Awaited<ReturnType<typeof loadRegister>>) => {
      const { dataDir, masterKey } = first.config;
      return (await vaults.open({ dataDir, masterKey, register, now: () => clock.now })).vault;
    };
    const oneYear = await loadRegister();
    oneYear.purposes.newsletter!.consentValidFor = 'P1Y';
    // The register now says a year: each subject's subscription is due (the register shreds it for a withdrawal).
    const due = ids.map((s) => `${s} newsletterSubscription wouldShred`).sort();
    let vault = await reopen(oneYear);
    expect(await expiryRows(vault)).toEqual(due);
    await vault.close();
    // Dropped again: the rows go; set again: they are back (each change of the periods is caught up with).
    vault = await reopen(await loadRegister());
    expect(await expiryRows(vault)).toEqual([]);
    await vault.close();
    vault = await reopen(oneYear);
    expect(await expiryRows(vault)).toEqual(due);

    // The sweep shreds the subscription whole, with the expiry's own reason everywhere it is shown.
    expect((await vault.sweepRetention()).shredded).toBe(ids.length);
    const keyIds = ids.map((s) => `${s}/newsletterSubscription/1`);
    expect(await vault.stores.keys.getByIds(keyIds)).toEqual(new Map());
    const tombstones = await vault.stores.keys.listTombstones({ keyIds });
    expect(tombstones.map((t) => t.reason)).toEqual(ids.map(() => 'consentExpired'));
    const reads = await vault.reader.read(ids, { purpose: 'newsletter', callerPurposes: 'all' });
    for (const s of ids)
      expect(
        reads.get(s)!.items.find((x) => x.category === 'newsletterSubscription'),
        s,
      ).toMatchObject({
        status: 'ERASED',
        reason: 'consentExpired',
      });
    const report = (await vault.rights.report(ids[0]!, 'ACCESS')).report as { items: Record<string, unknown>[] };
    expect(report.items.find((x) => x.category === 'newsletterSubscription')).toMatchObject({
      status: { state: 'ERASED', reason: 'consentExpired' },
    });
    // The name, on the contract, stays.
    const names = await vault.reader.read(ids, { purpose: 'contract', callerPurposes: 'all' });
    for (const [i, s] of ids.entries())
      expect(
        names.get(s)!.items.find((x) => x.field === 'name'),
        s,
      ).toMatchObject({ value: `Reader ${i}` });
  });
});
