import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { addIsoDuration, openVault, startServer, type Vault } from '@pdv/vault';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import nacl from 'tweetnacl';
import { beforeAll, describe, expect, it } from 'vitest';

import { RIGHTS_SCHEMAS, schemaErrors, strictAjv, termCheckedSchemas } from '../support/rightsSchemas.js';
import { dataItem as item, useTempVaults } from '../support/tempVault.js';

const T0 = '2026-03-02T10:00:00.000Z';
const vaults = useTempVaults();
type Doc = Record<string, any>;

/**
 * A subject with something in every part of the documents: several categories and value types
 * (text, email, phone, date, address, number, document, free text observed on consent), a consent
 * given then withdrawn (its category shredded), a standing one, disclosures by two readers, a
 * rectified value (history), a restriction, an objection the DPO overrode, requests extended and
 * refused, a DPO's legal hold, and accounting kept by law through erasure.
 */
async function realisticSubject(vault: Vault, clock: { now: string }): Promise<string> {
  const crm = { actor: 'service:crm' };
  const dpo = { actor: 'dpo:anna' };
  const { subjectId: s } = await vault.commands.registerSubject(crm);
  await vault.execute(
    s,
    {
      type: 'GiveConsent',
      purpose: 'newsletter',
      noticeId: 'privacy-notice',
      noticeVersion: '2026-01',
      channel: 'webForm',
    },
    crm,
  );
  await vault.execute(
    s,
    { type: 'GiveConsent', purpose: 'marketing', noticeId: 'privacy-notice', noticeVersion: '2026-01', channel: 'app' },
    crm,
  );
  await vault.execute(
    s,
    { type: 'GiveConsent', purpose: 'analytics', noticeId: 'cookie-notice', noticeVersion: '3', channel: 'webForm' },
    crm,
  );
  await vault.execute(
    s,
    {
      type: 'RecordPersonalData',
      items: [
        item('contact', 'name', 'Maren Schema', 'contract', 'contract'),
        item('contact', 'email', 'maren@example.com', 'contract', 'contract'),
        item('contact', 'phone', '+47 912 34 567', 'contract', 'contract'),
        item(
          'contact',
          'address',
          { street: 'Storgata', houseNumber: '1', postalCode: '0155', city: 'Oslo', country: 'NO' },
          'contract',
          'contract',
        ),
        item('identity', 'dateOfBirth', '1990-05-17', 'contract', 'contract'),
        item('customer', 'customerNumber', 'C-1001', 'contract', 'contract'),
        item('marketing', 'interests', 'cycling', 'newsletter', 'consent'),
        item('marketing', 'preferredChannel', 'email', 'marketing', 'consent'),
        item('accounting', 'invoiceReference', 'INV-9', 'billing', 'legalObligation'),
        item('creditInformation', 'creditScore', 712, 'creditCheck', 'legitimateInterest', 'creditAgency'),
        // Preferences a partner handed over, on the contract: portable by its basis, but not provided by the subject.
        item('customer', 'preferences', 'large print', 'contract', 'contract', 'thirdParty'),
        // A risk assessment the controller made.
        item('antiMoneyLaundering', 'riskAssessment', 'low', 'amlCompliance', 'legalObligation', 'internal'),
        item('webAnalytics', 'visitorId', 'v-712', 'analytics', 'consent', 'observed'),
        item('webAnalytics', 'browsingEvents', '/pricing, /signup', 'analytics', 'consent', 'observed'),
        item(
          'callRecordings',
          'recording',
          { name: 'call.ogg', mediaType: 'audio/ogg', contentBase64: 'AAAA' },
          'qualityAssurance',
          'legitimateInterest',
        ),
      ],
    },
    crm,
  );
  clock.now = addIsoDuration(T0, 'P1D');
  await vault.execute(
    s,
    { type: 'RectifyPersonalData', items: [item('contact', 'email', 'maren.new@example.com', 'contract', 'contract')] },
    crm,
  );
  await vault.accessLog.append([
    {
      actor: 'service:billing',
      purpose: 'billing',
      subjectId: s,
      categories: ['accounting', 'contact'],
      at: clock.now,
    },
    { actor: 'service:crm', purpose: 'contract', subjectId: s, categories: ['contact', 'customer'], at: clock.now },
    { actor: 'service:crm', purpose: 'metadata:contract', subjectId: s, categories: ['marketing'], at: clock.now },
  ]);
  await vault.execute(s, { type: 'RestrictProcessing', categories: ['identity'], reason: 'accuracyContested' }, dpo);
  await vault.execute(s, { type: 'ObjectToProcessing', purpose: 'creditCheck' }, crm);
  await vault.execute(
    s,
    { type: 'OverrideObjection', purpose: 'creditCheck', grounds: 'Fraud screening the law requires' },
    dpo,
  );
  await vault.execute(
    s,
    { type: 'PlaceLegalHold', category: 'customer', basis: 'litigation', until: '2027-01-01T00:00:00.000Z' },
    dpo,
  );
  const access = await vault.rights.openRequest(
    s,
    { requestType: 'ACCESS', receivedAt: clock.now, channel: 'email' },
    dpo,
  );
  await vault.rights.step(
    access,
    { type: 'ExtendRequest', requestId: access, months: 1, reason: 'Records in three systems' },
    dpo,
  );
  const portability = await vault.rights.openRequest(
    s,
    { requestType: 'PORTABILITY', receivedAt: clock.now, channel: 'webForm' },
    dpo,
  );
  await vault.rights.step(
    portability,
    { type: 'RefuseRequest', requestId: portability, reason: 'Identity not confirmed' },
    dpo,
  );
  clock.now = addIsoDuration(T0, 'P2D');
  await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter' }, crm);
  return s;
}

const documents: { name: string; schema: string; doc: Doc }[] = [];

beforeAll(async () => {
  const { vault, clock } = await vaults.clocked(T0);
  const s = await realisticSubject(vault, clock);
  documents.push({
    name: 'an access report',
    schema: 'access-report.schema.json',
    doc: (await vault.rights.report(s, 'ACCESS')).report,
  });
  documents.push({
    name: 'a portability export',
    schema: 'portability-export.schema.json',
    doc: (await vault.rights.report(s, 'PORTABILITY')).report,
  });
  const { certificate } = await vault.erase(s, { actor: 'dpo:anna', reason: 'subjectRequest' });
  documents.push({
    name: 'an erasure certificate',
    schema: 'erasure-certificate.schema.json',
    doc: certificate,
  });
  documents.push({
    name: 'an access report after erasure',
    schema: 'access-report.schema.json',
    doc: (await vault.rights.report(s, 'ACCESS')).report,
  });
  documents.push({
    name: 'an empty portability export after erasure',
    schema: 'portability-export.schema.json',
    doc: (await vault.rights.report(s, 'PORTABILITY')).report,
  });
}, 120_000);

const doc = (name: string): Doc => structuredClone(documents.find((d) => d.name === name)!.doc);
const items = (d: Doc) => d.items as Doc[];

describe('the rights documents conform to the strict schemas', () => {
  it('every schema compiles under Ajv strict mode, and every required name is declared', () => {
    expect(Object.keys(RIGHTS_SCHEMAS)).toEqual([
      'access-report.schema.json',
      'erasure-certificate.schema.json',
      'portability-export.schema.json',
      'propagation-receipt.schema.json',
    ]);
    const ajv = strictAjv();
    for (const name of Object.keys(RIGHTS_SCHEMAS)) expect(ajv.getSchema(name)).toBeTypeOf('function');
  });

  it('the subject has what the documents must show: every value type and category state, consents', () => {
    const report = doc('an access report');
    const byCategory = (c: string) => items(report).filter((i) => i.category === c);
    expect(
      new Set(
        items(report)
          .filter((i) => i.status.state !== 'ERASED')
          .map((i) => i.type),
      ),
    ).toEqual(new Set(['string', 'email', 'phone', 'address', 'date', 'number', 'document', 'freeText']));
    expect(byCategory('marketing')).toEqual([
      expect.objectContaining({ field: null, status: expect.objectContaining({ state: 'ERASED' }) }),
    ]);
    expect(byCategory('customer')[0]!.status).toMatchObject({ state: 'RETAINED', basis: 'litigation' });
    expect(byCategory('accounting')[0]!.status).toMatchObject({
      state: 'RETAINED',
      until: addIsoDuration(T0, 'P10Y'),
    });
    expect(byCategory('contact')[0]!.transfers.length).toBeGreaterThan(0);
    expect(byCategory('contact')[0]!.recipients.actual.length).toBe(2);
    expect(report.consents.map((c: Doc) => [c.purpose, c.given])).toEqual([
      ['analytics', true],
      ['marketing', true],
      ['newsletter', false],
    ]);
    expect(report.history).toHaveLength(1);
    expect(report.requests.map((r: Doc) => r.status).sort()).toEqual(['OPEN', 'REFUSED']);
    expect(report.objections).toEqual([
      expect.objectContaining({ purpose: 'creditCheck', overriddenAt: expect.any(String) }),
    ]);
    expect(
      doc('an erasure certificate')
        .categoriesRetained.map((r: Doc) => r.category)
        .sort(),
    ).toEqual(['accounting', 'antiMoneyLaundering', 'customer']);
  });

  it('the export holds provided and observed data, never obtained or derived; the report marks each origin', () => {
    const report = doc('an access report');
    const origins = (d: Doc) =>
      Object.fromEntries(
        items(d)
          .filter((i) => i.field)
          .map((i) => [`${i.category}.${i.field}`, i.origin]),
      );
    expect(origins(report)).toMatchObject({
      'contact.email': 'provided',
      'webAnalytics.visitorId': 'observed',
      'webAnalytics.browsingEvents': 'observed',
      // From a credit agency and from a partner: obtained from a third party, whatever the field declares.
      'creditInformation.creditScore': 'obtained',
      'customer.preferences': 'obtained',
      'customer.customerNumber': 'provided',
      'antiMoneyLaundering.riskAssessment': 'derived',
    });
    const exported = origins(doc('a portability export'));
    expect(exported).toMatchObject({ 'webAnalytics.visitorId': 'observed', 'contact.email': 'provided' });
    expect(exported).toHaveProperty(['customer.customerNumber']);
    for (const out of ['creditInformation.creditScore', 'customer.preferences', 'antiMoneyLaundering.riskAssessment'])
      expect(exported).not.toHaveProperty([out]);
    expect(new Set(Object.values(exported))).toEqual(new Set(['provided', 'observed']));
  });

  it.each([
    'an access report',
    'a portability export',
    'an erasure certificate',
    'an access report after erasure',
    'an empty portability export after erasure',
  ])('%s validates', (name) => {
    const { schema, doc: d } = documents.find((x) => x.name === name)!;
    expect(schemaErrors(schema, d)).toEqual([]);
  });

  it('every term at a place the schemas mark for a term is a class of the vendored DPV term list', () => {
    const ajv = strictAjv(termCheckedSchemas());
    const notInList = new Set<string>();
    for (const { schema, doc: d } of documents) {
      const validate = ajv.getSchema(schema)!;
      if (validate(d)) continue;
      for (const e of validate.errors ?? []) {
        if (e.keyword !== 'enum') continue;
        const value = e.instancePath
          .split('/')
          .slice(1)
          .reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], d);
        notInList.add(String(value));
      }
    }
    expect([...notInList]).toEqual([]);
    // A term of the right shape that DPV does not define passes the published pattern, not the list.
    const invented = doc('a portability export');
    item0(invented).dpvCategory = 'pd:ContactDetailsOfMyOwn';
    expect(schemaErrors('portability-export.schema.json', invented)).toEqual([]);
    expect(ajv.getSchema('portability-export.schema.json')!(invented)).toBe(false);
  });

  it('validates the same documents against the schemas as the vault serves them, by their absolute $ids', async () => {
    const { vault } = await vaults.clocked(T0);
    const server = await startServer(vault, { port: 0, publicUrl: 'https://vault.example/privacy' });
    try {
      const ajv = new Ajv2020({ strict: true, allErrors: true });
      (addFormats as unknown as (a: Ajv2020) => void)(ajv);
      for (const name of Object.keys(RIGHTS_SCHEMAS)) {
        const res = await fetch(`${server.url}/schemas/${name}`);
        expect(res.headers.get('content-type')).toBe('application/schema+json; charset=utf-8');
        ajv.addSchema((await res.json()) as object);
      }
      for (const { schema, doc: d } of documents) {
        const validate = ajv.getSchema(`https://vault.example/privacy/schemas/${schema}`)!;
        expect(validate(d), JSON.stringify(validate.errors)).toBe(true);
      }
    } finally {
      await server.close();
    }
  });
});

describe('one base for what the documents point at', () => {
  it.each([
    ['the public URL', { publicUrl: 'https://vault.example/privacy' }, 'https://vault.example/privacy/schemas/'],
    [
      'VAULT_SCHEMA_BASE_URL',
      {
        publicUrl: 'https://vault.example/privacy',
        api: { limits: {}, schemaBaseUrl: 'https://schemas.example.org/pdv/v1/' },
      },
      'https://schemas.example.org/pdv/v1/',
    ],
  ])(
    "under %s, a document names its @context where the vault serves it, beside the schemas' $ids",
    async (_what, settings, base) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'pdv-'));
      const vault = await openVault(
        {
          dataDir,
          masterKey: Buffer.from(nacl.randomBytes(32)).toString('base64'),
          synchronous: 'FULL',
          port: 0,
          logLevel: 'silent',
          ...settings,
        },
        { warn: () => {} },
      );
      const server = await startServer(vault, { port: 0 });
      try {
        const { subjectId } = await vault.commands.registerSubject({ actor: 'service:crm' });
        await vault.execute(
          subjectId,
          { type: 'RecordPersonalData', items: [item('contact', 'name', 'Basil Base', 'contract', 'contract')] },
          { actor: 'service:crm' },
        );
        const { report } = await vault.rights.report(subjectId, 'ACCESS');
        const context = report['@context'] as string;
        expect(context.startsWith(base)).toBe(true);
        // The vault serves it, at the same name under its own /schemas/.
        const served = await fetch(`${server.url}/schemas/${context.slice(base.length)}`);
        expect([served.status, served.headers.get('content-type')]).toEqual([
          200,
          'application/ld+json; charset=utf-8',
        ]);
        const schema = (await (await fetch(`${server.url}/schemas/access-report.schema.json`)).json()) as {
          $id: string;
        };
        expect(schema.$id).toBe(`${base}access-report.schema.json`);
      } finally {
        await server.close();
        await vault.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});

/** An altered document, the schema it must fail, and the keyword that must catch it. */
type Alteration = [what: string, document: string, alter: (d: Doc) => void];

const item0 = (d: Doc, where: (i: Doc) => boolean = (i) => i.status?.state !== 'ERASED') => items(d).find(where)!;
const unknownKey: Alteration[] = [
  ['an unknown key at the top of an access report', 'an access report', (d) => (d.note = 'x')],
  ['an unknown key in the controller', 'an access report', (d) => (d.controller.phone = '+4712345678')],
  ['an unknown key in a right', 'an access report', (d) => (d.rights[0].extra = true)],
  ['an unknown key in an item', 'an access report', (d) => (item0(d).comment = 'x')],
  [
    'an unknown key in an erased category',
    'an access report',
    (d) => (item0(d, (i) => i.status?.state === 'ERASED').value = 'x'),
  ],
  ['an unknown key in an item status', 'an access report', (d) => (item0(d).status.since = '2026-03-02T10:00:00.000Z')],
  ['an unknown key in a purpose of an item', 'an access report', (d) => (item0(d).purposes[0].x = 1)],
  ['an unknown key in an item recipients', 'an access report', (d) => (item0(d).recipients.planned = [])],
  [
    'an unknown key in a register recipient',
    'an access report',
    (d) => (item0(d, (i) => i.recipients?.categories.length > 0).recipients.categories[0].x = 1),
  ],
  [
    'an unknown key in a disclosure',
    'an access report',
    (d) => (item0(d, (i) => i.recipients?.actual.length > 0).recipients.actual[0].ip = '10.0.0.1'),
  ],
  ['an unknown key in retention', 'an access report', (d) => (item0(d).retention.x = 1)],
  [
    'an unknown key in a transfer',
    'an access report',
    (d) => (item0(d, (i) => i.transfers?.length > 0).transfers[0].x = 1),
  ],
  [
    'an unknown key in an address value',
    'an access report',
    (d) => (item0(d, (i) => i.type === 'address').value.planet = 'Earth'),
  ],
  [
    'an unknown key in a document value',
    'an access report',
    (d) => (item0(d, (i) => i.type === 'document').value.url = 'https://x'),
  ],
  ['an unknown key in a consent', 'an access report', (d) => (d.consents[0].x = 1)],
  ['an unknown key in a consent proof', 'an access report', (d) => (d.consents[0].proofs[0].ip = '10.0.0.1')],
  ['an unknown key in a consent notice', 'an access report', (d) => (d.consents[0].proofs[0].notice.url = 'https://x')],
  ['an unknown key in a restriction', 'an access report', (d) => (d.restrictions[0].x = 1)],
  ['an unknown key in an objection', 'an access report', (d) => (d.objections[0].x = 1)],
  ['an unknown key in a request', 'an access report', (d) => (d.requests[0].x = 1)],
  [
    'an unknown key in a request extension',
    'an access report',
    (d) => (d.requests.find((r: Doc) => r.extensions.length > 0).extensions[0].x = 1),
  ],
  ['an unknown key in history', 'an access report', (d) => (d.history[0].x = 1)],
  [
    'an @context map with a prefix of its own',
    'an access report',
    (d) => (d['@context'] = { dpv: 'https://w3id.org/dpv#', foo: 'https://example.org/' }),
  ],
  ['an unknown key at the top of a portability export', 'a portability export', (d) => (d.note = 'x')],
  ['an unknown key in a portable item', 'a portability export', (d) => (item0(d).source = 'subject')],
  ['an unknown key in a certificate', 'an erasure certificate', (d) => (d.note = 'x')],
  [
    'an unknown key in a retained category of a certificate',
    'an erasure certificate',
    (d) => (d.categoriesRetained[0].x = 1),
  ],
];
const wrongValue: Alteration[] = [
  [
    'an @context that is no JSON-LD context of the vault',
    'an access report',
    (d) => (d['@context'] = 'ftp://example.org/context'),
  ],
  ['retention.endsAt "tomorrow"', 'an access report', (d) => (item0(d).retention.endsAt = 'tomorrow')],
  ['a retention duration that is not ISO 8601', 'an access report', (d) => (item0(d).retention.duration = '30 days')],
  [
    'a transfer to country "Mars"',
    'an access report',
    (d) => (item0(d, (i) => i.transfers?.length > 0).transfers[0].country = 'Mars'),
  ],
  [
    'a "transfer" inside the EEA',
    'an access report',
    (d) => (item0(d, (i) => i.transfers?.length > 0).transfers[0].country = 'DE'),
  ],
  ['a legal basis that is not a term', 'an access report', (d) => (item0(d).dpvLegalBasis = 'not a term')],
  ['a legal basis term from no vocabulary', 'a portability export', (d) => (item0(d).dpvLegalBasis = 'foo:Consent')],
  [
    'a legal basis outside Art. 20 in a portability export',
    'a portability export',
    (d) => (item0(d).legalBasis = 'legitimateInterest'),
  ],
  ['a legal basis code the vault does not have', 'an access report', (d) => (item0(d).legalBasis = 'goodReasons')],
  ['a purpose term that is not prefixed', 'an access report', (d) => (item0(d).dpvPurpose = 'ServiceProvision')],
  [
    'a category term that is not a personal-data term',
    'a portability export',
    (d) => (item0(d).dpvCategory = 'eu-gdpr:A15'),
  ],
  [
    'a category term with the prefix DPV 2 retired',
    'a portability export',
    (d) => (item0(d).dpvCategory = 'dpv-pd:Contact'),
  ],
  ['a right whose term is free text', 'an access report', (d) => (d.rights[0].dpv = 'the right of access')],
  ['a source the vault does not have', 'an access report', (d) => (item0(d).source = 'rumour')],
  ['derived data in a portability export', 'a portability export', (d) => (item0(d).origin = 'derived')],
  ['data obtained from others in a portability export', 'a portability export', (d) => (item0(d).origin = 'obtained')],
  ['an origin the vault does not have', 'an access report', (d) => (item0(d).origin = 'inferred')],
  [
    'a legal basis term that says another basis than its code',
    'an access report',
    (d) => (item0(d).dpvLegalBasis = item0(d).legalBasis === 'contract' ? 'eu-gdpr:A6-1-a' : 'eu-gdpr:A6-1-b'),
  ],
  [
    'an exported legal basis term that says another basis than its code',
    'a portability export',
    (d) => (item0(d).dpvLegalBasis = item0(d).legalBasis === 'consent' ? 'eu-gdpr:A6-1-b' : 'eu-gdpr:A6-1-a'),
  ],
  [
    "an automated-decision term that is not DPV's",
    'an access report',
    (d) => (item0(d).dpvAutomatedDecisionMaking = 'dpv:Automation'),
  ],
  ['a special category as a boolean', 'an access report', (d) => (item0(d).dpvSpecialCategory = true)],
  [
    'an automated decision typed as another term',
    'an access report',
    (d) => (d.automatedDecisions[0].type = 'dpv:Automation'),
  ],
  ['an unknown key in a decision factor', 'an access report', (d) => (d.automatedDecisions[0].factors[0].weight = 0.4)],
  ['a consent status DPV does not define', 'an access report', (d) => (d.consents[0].dpvStatus = 'dpv:ConsentOK')],
  ['a consent record that is not one', 'a portability export', (d) => (d.consents[0].proofs[0].type = 'dpv:Consent')],
  [
    'a consent record given again while the consent is withdrawn',
    'an access report',
    (d) => (d.consents[0].dpvStatus = 'dpv:RenewedConsentGiven'),
  ],
  ['an origin the vault does not have', 'an access report', (d) => (item0(d).origin = 'scraped')],
  [
    'a recipient role the register does not have',
    'an access report',
    (d) => (item0(d, (i) => i.recipients?.categories.length > 0).recipients.categories[0].role = 'friend'),
  ],
  [
    'a disclosure with no reads',
    'an access report',
    (d) => (item0(d, (i) => i.recipients?.actual.length > 0).recipients.actual[0].reads = 0),
  ],
  ['a date-time that is a date', 'an access report', (d) => (d.generatedAt = '2026-03-02')],
  [
    'a date of birth that is no date',
    'an access report',
    (d) => (item0(d, (i) => i.type === 'date').value = '17.05.1990'),
  ],
  [
    'an email value that is no address',
    'a portability export',
    (d) => (item0(d, (i) => i.type === 'email').value = 'maren'),
  ],
  ['a number value given as text', 'an access report', (d) => (item0(d, (i) => i.type === 'number').value = '712')],
  [
    'a retained status with an end that is no date',
    'an access report',
    (d) => (item0(d, (i) => i.status?.state === 'RETAINED').status.until = 'soon'),
  ],
  [
    'an erasure reason that is free text',
    'an access report',
    (d) => (item0(d, (i) => i.status?.state === 'ERASED').status.reason = 'she asked nicely'),
  ],
  [
    'a consent channel the vault does not have',
    'an access report',
    (d) => (d.consents[0].proofs[0].channel = 'carrierPigeon'),
  ],
  [
    'a refused request without its reason',
    'an access report',
    (d) => delete d.requests.find((r: Doc) => r.status === 'REFUSED').refusalReason,
  ],
  [
    'an open request with a refusal reason',
    'an access report',
    (d) => (d.requests.find((r: Doc) => r.status === 'OPEN').refusalReason = 'x'),
  ],
  [
    'a third extension',
    'an access report',
    (d) =>
      d.requests
        .find((r: Doc) => r.extensions.length > 0)
        .extensions.push({ months: 1, at: T0, reason: null }, { months: 1, at: T0, reason: null }),
  ],
  ['an overridden objection without its grounds', 'an access report', (d) => delete d.objections[0].grounds],
  ['a version the schema does not describe', 'an access report', (d) => (d.version = 2)],
  [
    'a certificate with a KEK custody the vault does not have',
    'an erasure certificate',
    (d) => (d.kekCustody = 'cloud'),
  ],
  [
    'a certificate with an end of stale copies that is no date',
    'an erasure certificate',
    (d) => (d.staleCopiesUnreadableBy = 'next epoch'),
  ],
];
const missing: Alteration[] = [
  ['a missing subjectId', 'an access report', (d) => delete d.subjectId],
  ['a missing item source', 'an access report', (d) => delete item0(d).source],
  ['a missing retention end', 'an access report', (d) => delete item0(d).retention.endsAt],
  [
    'a transfer without its safeguard term',
    'an access report',
    (d) => delete item0(d, (i) => i.transfers?.length > 0).transfers[0].dpv,
  ],
  ['a missing consent proof field', 'a portability export', (d) => delete d.consents[0].proofs[0].withdrawnAt],
  [
    'a missing document content',
    'an access report',
    (d) => delete item0(d, (i) => i.type === 'document').value.contentBase64,
  ],
  ['a consent record without its type', 'a portability export', (d) => delete d.consents[0].proofs[0].type],
  ['a consent without the categories it covers', 'an access report', (d) => delete d.consents[0].dataCategories],
  ['a portable item without its origin', 'a portability export', (d) => delete item0(d).origin],
  ['an item without its origin', 'an access report', (d) => delete item0(d).origin],
  ['an item without its category described', 'an access report', (d) => delete item0(d).categoryDescription],
  ['a purpose without its description', 'an access report', (d) => delete item0(d).purposes[0].description],
  ['an automated decision without its factors', 'an access report', (d) => delete d.automatedDecisions[0].factors],
  ['an access report without its automated decisions', 'an access report', (d) => delete d.automatedDecisions],
  [
    'an item without its automated-decision term',
    'an access report',
    (d) => delete item0(d).dpvAutomatedDecisionMaking,
  ],
  ['a missing certificate signing key id', 'an erasure certificate', (d) => delete d.signingKeyId],
  ['a missing list of destroyed key ids', 'an erasure certificate', (d) => delete d.keyIdsDestroyed],
];

describe('altered documents fail', () => {
  it.each([...unknownKey, ...wrongValue, ...missing])('%s', (_what, name, alter) => {
    const { schema } = documents.find((d) => d.name === name)!;
    const d = doc(name);
    expect(schemaErrors(schema, d)).toEqual([]);
    alter(d);
    expect(schemaErrors(schema, d)).not.toEqual([]);
  });
});
