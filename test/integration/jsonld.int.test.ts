import { readFileSync } from 'node:fs';

import { addIsoDuration, loadRegister, type Vault } from '@pdv/vault';
import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { dataItem as item, useTempVaults } from '../support/tempVault.js';

/**
 * The rights documents as JSON-LD (issue 24): each document the vault produces is expanded by a real
 * processor (jsonld 8) against the published context, in safe mode (a key the context does not map
 * fails instead of being dropped), and the triples a reader needs are found in its RDF. Then every
 * DPV term any document, the context or the register uses is looked up in the vendored DPV list.
 */

const schemaFile = (name: string) => new URL(`../../schema/${name}`, import.meta.url);
const CONTEXT_FILE = 'rights-context-v1.jsonld';
const context = JSON.parse(readFileSync(schemaFile(CONTEXT_FILE), 'utf8')) as { '@context': Record<string, unknown> };
const dpvList = JSON.parse(readFileSync(schemaFile('dpv-2.3-terms.json'), 'utf8')) as {
  version: string;
  namespaces: Record<string, { iri: string; classes: string[]; properties: string[] }>;
};

const DPV = 'https://w3id.org/dpv#';
const GDPR = 'https://w3id.org/dpv/legal/eu/gdpr#';
const PD = 'https://w3id.org/dpv/pd#';
const PDV = 'urn:pdv:vocab:';

/** Serves the published context for its URL under any base, offline; any other URL is refused. */
const documentLoader = async (url: string) => {
  if (!url.endsWith(`/schemas/${CONTEXT_FILE}`)) throw new Error(`no network in tests: ${url}`);
  return { contextUrl: null, documentUrl: url, document: context };
};

// @types/jsonld 1.5 predates jsonld 8's `safe` option, hence the widened option types.
const expandSafe = (doc: unknown) =>
  jsonld.expand(doc as jsonld.JsonLdDocument, { documentLoader, safe: true } as unknown as jsonld.Options.Expand);

interface Quad {
  s: string;
  p: string;
  o: string;
}

/** The document's RDF as (subject, predicate, object) with blank nodes and literals as N-Quads writes them. */
async function triplesOf(doc: unknown): Promise<Quad[]> {
  const nquads = (await jsonld.toRDF(
    doc as jsonld.JsonLdDocument,
    { format: 'application/n-quads', documentLoader, safe: true } as unknown as jsonld.Options.ToRdf,
  )) as unknown as string;
  return nquads
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\S+) (\S+) (.*) \.$/.exec(line)!;
      return { s: m[1]!, p: m[2]!.slice(1, -1), o: m[3]! };
    });
}

const iri = (o: string) => (o.startsWith('<') ? o.slice(1, -1) : o);
const objects = (qs: Quad[], s: string, p: string) => qs.filter((q) => q.s === s && q.p === p).map((q) => iri(q.o));
const subjectsWith = (qs: Quad[], p: string, o: string) =>
  qs.filter((q) => q.p === p && iri(q.o) === o).map((q) => q.s);

const T0 = '2026-03-02T10:00:00.000Z';
const vaults = useTempVaults();
const actor = { actor: 'service:crm' };

/**
 * A customer with contact, marketing on consent, accounting, credit data from an agency, web analytics observed on
 * consent, and readers of each.
 */
async function realisticSubject(vault: Vault, clock: { now: string }) {
  const { subjectId: s } = await vault.commands.registerSubject(actor);
  await vault.execute(
    s,
    {
      type: 'GiveConsent',
      purpose: 'newsletter',
      noticeId: 'privacy-notice',
      noticeVersion: '2026-01',
      channel: 'webForm',
    },
    actor,
  );
  await vault.execute(
    s,
    { type: 'GiveConsent', purpose: 'analytics', noticeId: 'cookie-notice', noticeVersion: '3', channel: 'webForm' },
    actor,
  );
  await vault.execute(
    s,
    {
      type: 'RecordPersonalData',
      items: [
        item('contact', 'name', 'Jonas Linked', 'contract', 'contract'),
        item('contact', 'email', 'jonas@example.com', 'contract', 'contract'),
        item(
          'contact',
          'address',
          { street: '1 Data Road', postalCode: '0150', city: 'Oslo', country: 'NO' },
          'contract',
          'contract',
        ),
        item('marketing', 'interests', 'hiking', 'newsletter', 'consent'),
        item('accounting', 'invoiceReference', 'INV-42', 'billing', 'legalObligation'),
        item('creditInformation', 'creditScore', 640, 'creditCheck', 'legitimateInterest', 'creditAgency'),
        item('webAnalytics', 'visitorId', 'v-81', 'analytics', 'consent', 'observed'),
      ],
    },
    actor,
  );
  clock.now = addIsoDuration(T0, 'P1D');
  await vault.execute(
    s,
    { type: 'RectifyPersonalData', items: [item('contact', 'email', 'jonas.new@example.com', 'contract', 'contract')] },
    actor,
  );
  await vault.accessLog.append([
    {
      actor: 'service:billing',
      purpose: 'billing',
      subjectId: s,
      categories: ['accounting', 'contact'],
      at: clock.now,
    },
    { actor: 'service:crm', purpose: 'contract', subjectId: s, categories: ['contact'], at: clock.now },
  ]);
  return s;
}

async function documentsOf(vault: Vault, clock: { now: string }) {
  const s = await realisticSubject(vault, clock);
  const access = (await vault.rights.report(s, 'ACCESS')).report as Record<string, any>;
  const portability = (await vault.rights.report(s, 'PORTABILITY')).report as Record<string, any>;
  return { s, access, portability };
}

describe('rights documents as JSON-LD', () => {
  it('name the published, versioned context by URL, which maps every key, with aliases for id and type', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const { access, portability } = await documentsOf(vault, clock);
    for (const doc of [access, portability])
      expect(doc['@context']).toMatch(new RegExp(`^https?://.+/schemas/${CONTEXT_FILE}$`));
    expect(context['@context']).toMatchObject({ '@version': 1.1, id: '@id', type: '@type' });
  });

  it('expand in safe mode without dropping a key: every key of every document maps to an IRI', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const { access, portability } = await documentsOf(vault, clock);
    for (const doc of [access, portability]) {
      const expanded = await expandSafe(doc);
      expect(expanded).toHaveLength(1);
      // Safe mode fails on a key the context does not map instead of dropping it: shown with one added.
      await expect(expandSafe({ ...doc, notInTheContext: 1 })).rejects.toThrow(/safe mode/i);
      const json = JSON.stringify(expanded);
      expect(json).not.toContain('"@context"');
    }
  });

  it('an access report carries the triples that matter, from the subject to its rights', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const { s, access } = await documentsOf(vault, clock);
    const qs = await triplesOf(access);
    const reportNode = subjectsWith(qs, `${DPV}hasDataSubject`, `urn:pdv:subject:${s}`);
    expect(reportNode).toHaveLength(1);
    const report = reportNode[0]!;
    expect(objects(qs, report, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type')).toEqual([`${PDV}AccessReport`]);
    const items = objects(qs, report, `${PDV}item`);
    expect(items.length).toBe(access.items.length);

    const itemOf = (field: string) => items.find((i) => objects(qs, i, `${PDV}field`).includes(`"${field}"`))!;
    const email = itemOf('email');
    expect(objects(qs, email, `${DPV}hasPersonalData`)).toEqual([`${PD}Contact`]);
    expect(objects(qs, email, `${DPV}hasPurpose`)).toEqual([`${DPV}ServiceProvision`]);
    expect(objects(qs, email, `${DPV}hasLegalBasis`)).toEqual([`${GDPR}A6-1-b`]);
    expect(objects(qs, email, `${DPV}hasDataSource`)).toEqual([`${DPV}DataSubjectDataSource`]);
    expect(objects(qs, email, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#value')).toEqual([
      '"\\"jonas.new@example.com\\""^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON>',
    ]);
    // Recipients from the register, typed by their DPV role; transfers with their country and safeguard.
    const processors = objects(qs, email, `${DPV}hasRecipient`);
    expect(processors.flatMap((r) => objects(qs, r, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type'))).toEqual([
      `${DPV}DataProcessor`,
    ]);
    const [transfer] = objects(qs, email, `${PDV}transfer`);
    expect(objects(qs, transfer!, `${DPV}hasCountry`)).toEqual(['https://w3id.org/dpv/loc#US']);
    expect(objects(qs, transfer!, `${DPV}hasLegalBasis`)).toEqual([`${GDPR}A46-2-c`]);
    // Retention as a storage condition with an xsd:duration.
    const [retention] = objects(qs, email, `${DPV}hasStorageCondition`);
    expect(objects(qs, retention!, `${DPV}hasDuration`)).toEqual([
      '"P8Y"^^<http://www.w3.org/2001/XMLSchema#duration>',
    ]);
    // Each disclosure: who read it, for what, when.
    const disclosures = objects(qs, email, `${PDV}disclosure`);
    expect(disclosures.flatMap((d) => objects(qs, d, `${PDV}actor`)).sort()).toEqual([
      '"service:billing"',
      '"service:crm"',
    ]);
    // Each consultation of the report's own list too, with its time, reader, purpose and categories.
    const [consultations] = objects(qs, report, `${PDV}disclosures`);
    const reads = objects(qs, consultations!, `${PDV}consultation`);
    expect(reads.length).toBeGreaterThan(0);
    expect(objects(qs, consultations!, `${PDV}total`)).toEqual([
      `"${reads.length}"^^<http://www.w3.org/2001/XMLSchema#integer>`,
    ]);
    for (const r of reads) {
      expect(objects(qs, r, `${PDV}at`)[0]).toMatch(/\^\^<http:\/\/www.w3.org\/2001\/XMLSchema#dateTime>$/);
      expect(objects(qs, r, `${PDV}actor`)).toHaveLength(1);
      expect(objects(qs, r, `${PDV}disclosedCategory`).length).toBeGreaterThan(0);
    }

    const credit = itemOf('creditScore');
    expect(objects(qs, credit, `${DPV}hasPersonalData`)).toEqual([`${PD}CreditWorthiness`]);
    expect(objects(qs, credit, `${DPV}hasPurpose`)).toEqual([`${DPV}CustomerSolvencyMonitoring`]);
    expect(objects(qs, credit, `${DPV}hasLegalBasis`)).toEqual([`${GDPR}A6-1-f`]);
    expect(objects(qs, credit, `${DPV}hasDataSource`)).toEqual([`${DPV}ThirdPartyDataSource`]);
    // The credit score decides automatically (Art. 22): DPV's automated decision-making; the email does not.
    expect(objects(qs, credit, `${DPV}hasProcessing`)).toEqual([`${DPV}AutomatedDecisionMaking`]);
    expect(objects(qs, email, `${DPV}hasProcessing`)).toEqual([]);
    // The register's words for the subject: the category's description and each purpose's.
    expect(objects(qs, email, `${PDV}categoryDescription`)[0]).toContain('How we reach the customer');
    const purposes = objects(qs, email, `${PDV}applicablePurpose`);
    expect(purposes.flatMap((p) => objects(qs, p, `${PDV}description`)).join(' ')).toContain('Invoicing and receiving');
    // The decision itself, typed as DPV's, with the factor it used for this subject.
    const [decision] = objects(qs, report, `${PDV}automatedDecision`);
    expect(objects(qs, decision!, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type')).toEqual([
      `${DPV}AutomatedDecisionMaking`,
    ]);
    const factors = objects(qs, decision!, `${PDV}factor`);
    expect(factors.flatMap((f) => objects(qs, f, `${PDV}field`))).toEqual(['"creditScore"']);
    expect(
      objects(qs, credit, `${DPV}hasRecipient`).flatMap((r) =>
        objects(qs, r, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type'),
      ),
    ).toEqual([`${DPV}DataController`]);
    const [creditRetention] = objects(qs, credit, `${DPV}hasStorageCondition`);
    expect(objects(qs, creditRetention!, `${PDV}endsAt`)).toEqual([
      `"${addIsoDuration(T0, 'P1Y')}"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
    ]);

    expect(objects(qs, itemOf('visitorId'), `${DPV}hasDataSource`)).toEqual([`${DPV}DataSubjectDataSource`]);
    // Where each value comes from, as DPV's kinds of personal data: observed analytics, a credit score collected
    // from a third party.
    expect(objects(qs, itemOf('visitorId'), `${PDV}origin`)).toEqual([`${DPV}ObservedPersonalData`]);
    expect(objects(qs, credit, `${PDV}origin`)).toEqual([`${DPV}CollectedPersonalData`]);
    expect(objects(qs, credit, `${DPV}hasDataSource`)).toEqual([`${DPV}ThirdPartyDataSource`]);
    expect(objects(qs, email, `${PDV}origin`)).toEqual([`${DPV}ProvidedPersonalData`]);
    expect(objects(qs, itemOf('invoiceReference'), `${DPV}hasLegalBasis`)).toEqual([`${GDPR}A6-1-c`]);

    // Every right, Art. 22 included, typed as its GDPR right.
    const rights = objects(qs, report, `${DPV}hasRight`).flatMap((r) =>
      objects(qs, r, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type'),
    );
    expect(rights.sort()).toEqual(
      ['A15', 'A16', 'A17', 'A18', 'A20', 'A21', 'A22', 'A7-3', 'A77'].map((a) => `${GDPR}${a}`).sort(),
    );
    // Consents by purpose term: the newsletter's and analytics' told apart, with the notice shown.
    const consents = objects(qs, report, `${PDV}consent`);
    expect(consents.flatMap((c) => objects(qs, c, `${DPV}hasPurpose`)).sort()).toEqual([
      `${DPV}CommunicationManagement`,
      `${DPV}ServiceUsageAnalytics`,
    ]);
    const notices = consents
      .flatMap((c) => objects(qs, c, `${PDV}proof`))
      .flatMap((p) => objects(qs, p, `${DPV}hasNotice`));
    expect(notices.flatMap((n) => objects(qs, n, `${PDV}noticeId`)).sort()).toEqual([
      '"cookie-notice"',
      '"privacy-notice"',
    ]);
    // The controller, the DPO and the authority as parties with names.
    for (const p of ['hasDataController', 'hasDataProtectionOfficer', 'hasAuthority']) {
      const [party] = objects(qs, report, `${DPV}${p}`);
      expect(objects(qs, party!, `${DPV}hasName`)).toHaveLength(1);
    }
  });

  it('a portability export carries the subject, and the category, purpose and basis of each item in DPV', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const { s, portability } = await documentsOf(vault, clock);
    const qs = await triplesOf(portability);
    const [doc] = subjectsWith(qs, `${DPV}hasDataSubject`, `urn:pdv:subject:${s}`);
    expect(objects(qs, doc!, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type')).toEqual([`${PDV}PortabilityExport`]);
    const items = objects(qs, doc!, `${PDV}item`);
    expect(items.length).toBe(portability.items.length);
    expect(items.length).toBeGreaterThanOrEqual(4);
    for (const i of items) {
      expect(objects(qs, i, `${DPV}hasPersonalData`)).toHaveLength(1);
      expect(objects(qs, i, `${DPV}hasPurpose`)).toHaveLength(1);
      expect(objects(qs, i, `${DPV}hasLegalBasis`).every((b) => b === `${GDPR}A6-1-a` || b === `${GDPR}A6-1-b`)).toBe(
        true,
      );
    }
    // Provided and observed data (Art. 20 as WP242 reads it), never obtained or derived: the analytics observed on
    // consent.
    expect(new Set(items.flatMap((i) => objects(qs, i, `${PDV}origin`)))).toEqual(
      new Set([`${DPV}ProvidedPersonalData`, `${DPV}ObservedPersonalData`]),
    );
    expect(items.filter((i) => objects(qs, i, `${PDV}field`).includes('"visitorId"'))).toHaveLength(1);
    const address = items.find((i) => objects(qs, i, `${PDV}field`).includes('"address"'))!;
    expect(objects(qs, address, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#value')[0]).toContain('Oslo');
  });
});

describe('consent withdrawals and transmissions as JSON-LD', () => {
  const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
  const listed = new Set(
    Object.entries(dpvList.namespaces).flatMap(([p, ns]) => [...ns.classes, ...ns.properties].map((t) => `${p}:${t}`)),
  );

  it('a withdrawal with channel and collector, and a transmission with its attempts, expand to DPV terms', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const { subjectId: s } = await vault.commands.registerSubject(actor);
    const notice = { noticeId: 'privacy-notice', noticeVersion: '2026-01', channel: 'webForm' };
    await vault.execute(s, { type: 'GiveConsent', purpose: 'newsletter', ...notice }, actor);
    await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter', channel: 'phone' }, { actor: 'dpo:anna' });
    const attempt = (n: number, status: number | null) => ({
      type: 'RecordTransmissionAttempt' as const,
      transmissionId: '0b6d4c1e-5f7a-4e0b-9a51-6f7d3a2c1b0e',
      receiver: 'acme',
      requestedBy: `subject:${s}`,
      attempt: n,
      sha256: 'c'.repeat(64),
      bytes: 512,
      status,
      delivered: status === 202,
      final: status === 202,
    });
    await vault.execute(s, attempt(1, null), { actor: `subject:${s}` });
    clock.now = addIsoDuration(T0, 'PT2S');
    await vault.execute(s, attempt(2, 202), { actor: `subject:${s}` });
    const access = (await vault.rights.report(s, 'ACCESS')).report as Record<string, any>;
    const portability = (await vault.rights.report(s, 'PORTABILITY')).report as Record<string, any>;
    for (const doc of [access, portability]) expect(await expandSafe(doc)).toHaveLength(1);
    expect(schemaErrors('access-report.schema.json', access)).toEqual([]);
    expect(schemaErrors('portability-export.schema.json', portability)).toEqual([]);

    const qs = await triplesOf(access);
    const [report] = subjectsWith(qs, `${DPV}hasDataSubject`, `urn:pdv:subject:${s}`);
    const [transmission] = objects(qs, report!, `${PDV}transmission`);
    expect(objects(qs, transmission!, RDF_TYPE)).toEqual([`${DPV}RightExerciseRecord`]);
    expect(objects(qs, transmission!, `${DPV}hasRight`)).toEqual([`${GDPR}A20`]);
    expect(objects(qs, transmission!, `${PDV}outcome`)).toEqual(['"delivered"']);
    expect(objects(qs, transmission!, `${PDV}requestedBy`)).toEqual([`"subject:${s}"`]);
    expect(objects(qs, transmission!, `${PDV}attempt`)).toHaveLength(2);

    const [consent] = objects(qs, report!, `${PDV}consent`);
    const [proof] = objects(qs, consent!, `${PDV}proof`);
    expect(objects(qs, proof!, `${DPV}hasConsentStatus`)).toEqual([`${DPV}ConsentWithdrawn`]);
    const [withdrawal] = objects(qs, proof!, `${PDV}withdrawal`);
    expect(objects(qs, withdrawal!, RDF_TYPE)).toEqual([`${DPV}WithdrawConsent`]);
    expect(objects(qs, withdrawal!, `${PDV}channel`)).toEqual(['"phone"']);
    expect(objects(qs, withdrawal!, `${PDV}collectedBy`)).toEqual(['"dpo:anna"']);
    // Each of these terms is a DPV 2.3 term.
    for (const term of ['dpv:RightExerciseRecord', 'dpv:WithdrawConsent', 'dpv:hasRight', 'eu-gdpr:A20'])
      expect(listed.has(term)).toBe(true);
  });
});

describe('every DPV term in use is a DPV 2.3 term (issue 24 acceptance)', () => {
  const TERM = /^(dpv|pd|eu-gdpr|loc|sector-[a-z]+|dpv-pd):[A-Za-z0-9][A-Za-z0-9-]*$/;
  const listed = new Set(
    Object.entries(dpvList.namespaces).flatMap(([p, ns]) => [...ns.classes, ...ns.properties].map((t) => `${p}:${t}`)),
  );
  const byIri = new Map(Object.entries(dpvList.namespaces).map(([p, ns]) => [ns.iri, p]));
  /** A full IRI in a DPV namespace, as its prefixed name; null outside DPV. */
  const prefixed = (full: string): string | null => {
    const ns = [...byIri.keys()].filter((n) => full.startsWith(n)).sort((a, b) => b.length - a.length)[0];
    return ns
      ? `${byIri.get(ns)}:${full.slice(ns.length)}`
      : full.startsWith('https://w3id.org/dpv')
        ? `unknown-namespace:${full}`
        : null;
  };
  const prefixedStrings = (v: unknown, out: Set<string>) => {
    if (typeof v === 'string' && TERM.test(v)) out.add(v);
    else if (Array.isArray(v)) v.forEach((x) => prefixedStrings(x, out));
    else if (v && typeof v === 'object')
      Object.entries(v).forEach(([k, x]) => (TERM.test(k) && out.add(k), prefixedStrings(x, out)));
  };

  it('in the access report, export, erasure certificate, register and context, written or expanded', async () => {
    const { vault, clock } = await vaults.clocked(T0);
    const { s, access, portability } = await documentsOf(vault, clock);
    const { certificate } = await vault.erase(s, { actor: 'dpo:anna', reason: 'subjectRequest' });
    const erasedReport = (await vault.rights.report(s, 'ACCESS')).report;
    const register = await loadRegister();

    const used = new Set<string>();
    for (const doc of [access, portability, certificate, erasedReport, register, context]) prefixedStrings(doc, used);
    // What a JSON-LD processor reads: every IRI of the documents' RDF in a DPV namespace.
    for (const doc of [access, portability, erasedReport]) {
      for (const q of await triplesOf(doc))
        for (const x of [q.p, iri(q.o)]) {
          const t = prefixed(x);
          if (t) used.add(t);
        }
    }
    // The context's own property IRIs (written as dpv:has... or in full).
    for (const def of Object.values(context['@context'])) {
      const id = typeof def === 'string' ? def : (def as { '@id'?: string })?.['@id'];
      if (id?.startsWith(DPV)) used.add(prefixed(id)!);
    }
    // The prefix declarations themselves are namespaces, not terms.
    for (const p of Object.keys(dpvList.namespaces)) used.delete(`${p}:`);
    expect(used.size).toBeGreaterThan(40);
    expect([...used].filter((t) => !listed.has(t)).sort()).toEqual([]);
    expect(dpvList.version).toBe('2.3');
  });
});
