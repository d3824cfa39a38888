import { readFileSync } from 'node:fs';

import { addIsoDuration, fixtureRegister, type Vault } from '@pdv/vault';
import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { dataItem as item, useTempVaults } from '../support/tempVault.js';

/**
 * Consent records (issue 24): every consent given is a `dpv:ConsentRecord` with its DPV consent
 * status (given, given again after a withdrawal, withdrawn), the notice and version shown, the
 * channel, who collected it and when it was withdrawn; each purpose's consent names its status now
 * and the categories it covers. Checked on the report and the export of subjects whose consents
 * were given, withdrawn and given again many times, under the strict schemas and as JSON-LD.
 */

const T0 = '2026-03-02T10:00:00.000Z';
const DPV = 'https://w3id.org/dpv#';
const CONTEXT_FILE = 'rights-context-v1.jsonld';
const context = JSON.parse(readFileSync(new URL(`../../schema/${CONTEXT_FILE}`, import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;
const documentLoader = async (url: string) => {
  if (!url.endsWith(`/schemas/${CONTEXT_FILE}`)) throw new Error(`no network in tests: ${url}`);
  return { contextUrl: null, documentUrl: url, document: context };
};
const vaults = useTempVaults();
const crm = { actor: 'service:crm' };
type Doc = Record<string, any>;

/** Newsletter consent given and withdrawn `rounds` times and given once more; analytics given once, by app. */
async function subjectWithConsentHistory(vault: Vault, clock: { now: string }, rounds: number): Promise<string> {
  const { subjectId: s } = await vault.commands.registerSubject(crm);
  await vault.execute(
    s,
    { type: 'GiveConsent', purpose: 'analytics', noticeId: 'cookie-notice', noticeVersion: '3', channel: 'app' },
    crm,
  );
  await vault.execute(
    s,
    { type: 'RecordPersonalData', items: [item('contact', 'email', `c${rounds}@example.com`, 'contract', 'contract')] },
    crm,
  );
  for (let r = 0; r <= rounds; r++) {
    clock.now = addIsoDuration(T0, `P${2 * r}D`);
    await vault.execute(
      s,
      {
        type: 'GiveConsent',
        purpose: 'newsletter',
        noticeId: 'privacy-notice',
        noticeVersion: `v${r}`,
        channel: r % 2 === 0 ? 'webForm' : 'email',
      },
      crm,
    );
    if (r === rounds) break;
    clock.now = addIsoDuration(T0, `P${2 * r + 1}D`);
    await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter' }, crm);
  }
  return s;
}

describe('consent records in the rights documents', () => {
  it('keep each give and withdrawal of 25 rounds as a record: DPV status, notice, channel, collector', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const s = await subjectWithConsentHistory(vault, clock, 25);
    for (const kind of ['ACCESS', 'PORTABILITY'] as const) {
      const doc = (await vault.rights.report(s, kind)).report as Doc;
      expect(
        schemaErrors(kind === 'ACCESS' ? 'access-report.schema.json' : 'portability-export.schema.json', doc),
      ).toEqual([]);
      const newsletter = (doc.consents as Doc[]).find((c) => c.purpose === 'newsletter')!;
      expect(newsletter).toMatchObject({ given: true, dpvStatus: 'dpv:ConsentGiven' });
      // The categories the newsletter's consent covers, as the register uses them for it.
      expect(newsletter.dataCategories).toEqual(
        expect.arrayContaining([
          { category: 'contact', dpvCategory: 'pd:Contact' },
          { category: 'marketing', dpvCategory: 'pd:Preference' },
        ]),
      );
      const proofs = newsletter.proofs as Doc[];
      expect(proofs).toHaveLength(26);
      expect(proofs.map((p) => p.dpvStatus)).toEqual([
        ...Array<string>(25).fill('dpv:ConsentWithdrawn'),
        'dpv:RenewedConsentGiven',
      ]);
      expect(proofs.every((p) => p.type === 'dpv:ConsentRecord' && p.collectedBy === 'service:crm')).toBe(true);
      expect(proofs.map((p) => p.notice.version)).toEqual(Array.from({ length: 26 }, (_, r) => `v${r}`));
      expect(proofs.map((p) => p.channel).slice(0, 3)).toEqual(['webForm', 'email', 'webForm']);
      expect(proofs[3]).toMatchObject({
        givenAt: addIsoDuration(T0, 'P6D'),
        withdrawnAt: addIsoDuration(T0, 'P7D'),
      });
      expect(new Set(proofs.map((p) => p.eventId)).size).toBe(26);
      const analytics = (doc.consents as Doc[]).find((c) => c.purpose === 'analytics')!;
      expect(analytics.proofs).toEqual([expect.objectContaining({ dpvStatus: 'dpv:ConsentGiven', channel: 'app' })]);
      expect(analytics.dataCategories).toEqual([{ category: 'webAnalytics', dpvCategory: 'pd:BrowsingBehaviour' }]);
    }
  });

  it('a withdrawn consent reads withdrawn, and its records expand to DPV consent records and statuses', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const subjects = await Promise.all([3, 4, 5].map((n) => subjectWithConsentHistory(vault, clock, n)));
    const s = subjects[0]!;
    await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter' }, crm);
    const doc = (await vault.rights.report(s, 'ACCESS')).report as Doc;
    const newsletter = (doc.consents as Doc[]).find((c) => c.purpose === 'newsletter')!;
    expect(newsletter.dpvStatus).toBe('dpv:ConsentWithdrawn');
    expect((newsletter.proofs as Doc[]).every((p) => p.dpvStatus === 'dpv:ConsentWithdrawn')).toBe(true);

    const nquads = (await jsonld.toRDF(doc, {
      format: 'application/n-quads',
      documentLoader,
      safe: true,
    } as unknown as jsonld.Options.ToRdf)) as unknown as string;
    const lines = nquads.split('\n');
    const count = (p: string, o: string) => lines.filter((l) => l.includes(`<${p}> <${o}>`)).length;
    const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
    // 4 newsletter records and 1 analytics record, each typed; the newsletter's statuses all withdrawn.
    expect(count(RDF_TYPE, `${DPV}ConsentRecord`)).toBe(5);
    expect(count(`${DPV}hasConsentStatus`, `${DPV}ConsentWithdrawn`)).toBe(4 + 1);
    expect(count(`${DPV}hasConsentStatus`, `${DPV}ConsentGiven`)).toBe(2);
  });
});

describe('consent that expires (the register gives its purpose a consentValidFor)', () => {
  it('permits no processing past its validity, for 100 subjects, and reads expired in the documents', async () => {
    const register = fixtureRegister();
    register.purposes.marketing!.consentValidFor = 'P2Y';
    const clock = { now: T0 };
    const { vault } = await vaults.open({ register, now: () => clock.now });
    const ids: string[] = [];
    // Subject i consents on day i and records its interests on that consent.
    for (let i = 0; i < 100; i++) {
      clock.now = addIsoDuration(T0, `P${i}D`);
      const { subjectId: s } = await vault.commands.registerSubject(crm);
      await vault.execute(
        s,
        {
          type: 'RecordPersonalData',
          items: [item('marketing', 'interests', `kayaks ${i}`, 'marketing', 'consent')],
          consents: [
            { purpose: 'marketing', noticeId: 'privacy-notice', noticeVersion: '2026-03', channel: 'webForm' },
          ],
        },
        crm,
      );
      ids.push(s);
    }
    // Two years and 50 days on: the consents of days 0 to 50 have expired, the others stand.
    clock.now = addIsoDuration(addIsoDuration(T0, 'P2Y'), 'P50D');
    const expired = (i: number) => i <= 50;
    const reads = await vault.reader.read(ids, { purpose: 'marketing', callerPurposes: ['marketing'] });
    for (const [i, s] of ids.entries()) {
      const interests = reads.get(s)!.items.find((x) => x.category === 'marketing' && x.field === 'interests');
      expect(interests, `subject ${i}`).toMatchObject(
        expired(i) ? { status: 'DENIED', reason: 'CONSENT_EXPIRED' } : { status: 'VALUE' },
      );
    }
    // A write that rests on an expired consent is refused and changes nothing; given again, it is accepted.
    const before = (await vault.commands.load(ids[0]!)).revision;
    const write = {
      type: 'RectifyPersonalData' as const,
      items: [item('marketing', 'interests', 'sailing', 'marketing', 'consent')],
    };
    await expect(vault.execute(ids[0]!, write, crm)).rejects.toMatchObject({ code: 'CONSENT_EXPIRED' });
    expect((await vault.commands.load(ids[0]!)).revision).toBe(before);
    await vault.execute(
      ids[0]!,
      {
        type: 'GiveConsent',
        purpose: 'marketing',
        noticeId: 'privacy-notice',
        noticeVersion: '2028-05',
        channel: 'app',
      },
      crm,
    );
    await vault.execute(ids[0]!, write, crm);

    for (const [i, s] of ids.entries()) {
      const access = (await vault.rights.report(s, 'ACCESS')).report as Doc;
      const portability = (await vault.rights.report(s, 'PORTABILITY')).report as Doc;
      expect(schemaErrors('access-report.schema.json', access)).toEqual([]);
      expect(schemaErrors('portability-export.schema.json', portability)).toEqual([]);
      const [consent] = access.consents as Doc[];
      const lapsed = i > 0 && expired(i);
      expect(consent).toMatchObject({
        purpose: 'marketing',
        given: !lapsed,
        dpvStatus: lapsed ? 'dpv:ConsentExpired' : 'dpv:ConsentGiven',
      });
      expect(consent!.proofs[0]).toMatchObject({
        dpvStatus: expired(i) ? 'dpv:ConsentExpired' : 'dpv:ConsentGiven',
        expiresAt: addIsoDuration(addIsoDuration(T0, `P${i}D`), 'P2Y'),
      });
      if (i === 0) expect(consent!.proofs[1]).toMatchObject({ dpvStatus: 'dpv:ConsentGiven', withdrawnAt: null });
    }
    // As JSON-LD: the expired status is DPV's term.
    const access = (await vault.rights.report(ids[1]!, 'ACCESS')).report as Doc;
    const expanded = JSON.stringify(
      await jsonld.expand(access, { documentLoader, safe: true } as unknown as jsonld.Options.Expand),
    );
    expect(expanded).toContain(`${DPV}ConsentExpired`);
  }, 300_000);
});
