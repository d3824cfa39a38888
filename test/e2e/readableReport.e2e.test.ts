import { createHash, createPublicKey, verify } from 'node:crypto';

import { addIsoDuration, loadRegister, type Vault } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { dataItem as item } from '../support/tempVault.js';
import { type Api, startApi, subjectPrincipal } from './apiHarness.js';

/**
 * The access report a person reads (issue 24): `/exports/<token>?format=html&language=<en|nb|da>`
 * renders the signed report as a page with no script, in English, Norwegian (Bokmål) or Danish.
 * Checked over HTTP for every item Art. 15(1)(a)-(h) and 15(2) asks for, in each language; for
 * values written to break out of the markup; and for the signed JSON it carries.
 */

const T0 = '2026-03-02T10:00:00.000Z';
const HOSTILE_NAME = `<script>alert("name")</script> O'Brien & Sons`;
const HOSTILE_STREET = `"><img src=x onerror=alert(1)>`;
const HOSTILE_PREFERENCE = (n: number) => `</td></tr></table><script>steal(${n})</script> "quoted" 'single'`;
const HOSTILE_GROUNDS = `<iframe src="https://evil.example"></iframe> fraud screening`;

let api: Api;
const clock = { now: T0 };
let subject: string;
let others: string[];

const crm = { actor: 'service:crm' };
const dpo = { actor: 'dpo:anna' };

/**
 * A customer with eight categories over 300 events: contact details with hostile text, a credit
 * score from an agency (automated decision), analytics observed on consent, accounting kept by law,
 * 150 rectifications of their preferences, a consent given, withdrawn and given again, 90 reads by
 * three readers, a restriction, an overridden objection, an extended and a refused request.
 */
async function realisticSubject(vault: Vault): Promise<string> {
  const { subjectId: s } = await vault.commands.registerSubject(crm);
  const consent = (purpose: string, noticeId: string, noticeVersion: string) =>
    vault.execute(s, { type: 'GiveConsent', purpose, noticeId, noticeVersion, channel: 'webForm' }, crm);
  await consent('newsletter', 'privacy-notice', '2026-01');
  await consent('analytics', 'cookie-notice', '3');
  await vault.execute(
    s,
    {
      type: 'RecordPersonalData',
      items: [
        item('contact', 'name', HOSTILE_NAME, 'contract', 'contract'),
        item('contact', 'email', 'obrien@example.com', 'contract', 'contract'),
        item('contact', 'phone', '+47 912 34 567', 'contract', 'contract'),
        item(
          'contact',
          'address',
          { street: HOSTILE_STREET, postalCode: '0150', city: 'Oslo', country: 'NO' },
          'contract',
          'contract',
        ),
        item('identity', 'dateOfBirth', '1984-02-29', 'contract', 'contract'),
        item('customer', 'preferences', HOSTILE_PREFERENCE(0), 'contract', 'contract'),
        item('marketing', 'interests', 'sailing', 'newsletter', 'consent'),
        item('accounting', 'invoiceReference', 'INV-2026-7', 'billing', 'legalObligation'),
        item('creditInformation', 'creditScore', 640, 'creditCheck', 'legitimateInterest', 'creditAgency'),
        item('webAnalytics', 'visitorId', 'v-4711', 'analytics', 'consent', 'observed'),
      ],
    },
    crm,
  );
  for (let n = 1; n <= 150; n++) {
    clock.now = addIsoDuration(T0, `PT${n}H`);
    await vault.execute(
      s,
      {
        type: 'RectifyPersonalData',
        items: [item('customer', 'preferences', HOSTILE_PREFERENCE(n), 'contract', 'contract')],
      },
      crm,
    );
  }
  clock.now = addIsoDuration(T0, 'P8D');
  await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter' }, crm);
  clock.now = addIsoDuration(T0, 'P9D');
  await consent('newsletter', 'privacy-notice', '2026-02');
  const readers = [
    ['service:billing', 'billing', ['accounting', 'contact']],
    ['service:crm', 'contract', ['contact', 'customer']],
    ['service:scoring', 'creditCheck', ['creditInformation', 'identity']],
  ] as const;
  await vault.accessLog.append(
    Array.from({ length: 90 }, (_, i) => {
      const [actor, purpose, categories] = readers[i % 3]!;
      return { actor, purpose, subjectId: s, categories: [...categories], at: addIsoDuration(T0, `P9DT${i}M`) };
    }),
  );
  await vault.execute(s, { type: 'RestrictProcessing', categories: ['identity'], reason: 'accuracyContested' }, dpo);
  await vault.execute(s, { type: 'ObjectToProcessing', purpose: 'creditCheck' }, crm);
  await vault.execute(s, { type: 'OverrideObjection', purpose: 'creditCheck', grounds: HOSTILE_GROUNDS }, dpo);
  const access = await vault.rights.openRequest(
    s,
    { requestType: 'ACCESS', receivedAt: clock.now, channel: 'email' },
    dpo,
  );
  await vault.rights.step(
    access,
    { type: 'ExtendRequest', requestId: access, months: 1, reason: '<b>three systems</b>' },
    dpo,
  );
  const refused = await vault.rights.openRequest(
    s,
    { requestType: 'ERASURE', receivedAt: clock.now, channel: 'webForm' },
    dpo,
  );
  await vault.rights.step(
    refused,
    { type: 'RefuseRequest', requestId: refused, reason: 'Identity "not" confirmed' },
    dpo,
  );
  return s;
}

beforeAll(async () => {
  api = await startApi({ vault: { register: await loadRegister(), now: () => clock.now } });
  subject = await realisticSubject(api.vault);
  // Others in the same vault, so that a page showing another's data would be caught.
  others = [];
  for (let i = 0; i < 40; i++) {
    const { subjectId } = await api.vault.commands.registerSubject(crm);
    await api.vault.execute(
      subjectId,
      { type: 'RecordPersonalData', items: [item('contact', 'name', `Other Person ${i}`, 'contract', 'contract')] },
      crm,
    );
    others.push(subjectId);
  }
}, 240_000);
afterAll(async () => api?.stop());

async function link(s: string, kind: 'ACCESS' | 'PORTABILITY' = 'ACCESS'): Promise<string> {
  const { path } = await api.vault.rights.createExportLink(s, kind, dpo);
  return `${api.server.url}${path}`;
}

/** What a person's page must say for each Art. 15 item, in each language (the words, not the codes). */
const EXPECTED: Record<'en' | 'nb' | 'da', Record<string, string[]>> = {
  en: {
    '15(1)(a) purposes': ['Why we use it', 'Providing the service the customer ordered', 'Invoicing and receiving'],
    '15(1)(a) legal basis': ['a contract with you', 'a legal obligation we have', 'our legitimate interests'],
    '15(1)(b) categories': ['How we reach the customer', 'Invoices and payments'],
    '15(1)(c) recipients': ['Example Mail Delivery Inc.', 'processes it on our behalf', 'Who has read it'],
    '15(1)(d) retention': ['How long we keep it', 'Accounting records are kept 10 years', '10 years'],
    '15(1)(e) rights': [
      'Right to rectification',
      'Right to erasure',
      'Right to restriction of processing',
      'Right to object',
    ],
    '15(1)(f) complaint': ['Right to lodge a complaint', 'The supervisory authority is Example Data Protection'],
    '15(1)(g) source': ['Where it comes from', 'a credit agency'],
    '15(1)(h) automated decisions': [
      'Automated decisions',
      'Credit scoring: the credit agency',
      '(Art. 22)',
      'The decision is made on this data about you',
      'creditScore: 640',
    ],
    '15(2) transfers': ['Transfers outside the EU/EEA', 'United States', 'Standard contractual clauses'],
    'origin and consent': [
      'not part of a data portability export',
      'You have given your consent',
      'Withdrawn on',
      'It covers',
      'Given again after a withdrawal',
      'you contest its accuracy',
    ],
    'signed JSON': ['The authoritative document is the signed report', 'Download the signed report (JSON)'],
  },
  nb: {
    '15(1)(a) purposes': ['Hvorfor vi bruker dem', 'Å levere tjenesten kunden har bestilt', 'Fakturering og mottak'],
    '15(1)(a) legal basis': ['en avtale med deg', 'en rettslig forpliktelse vi har', 'våre berettigede interesser'],
    '15(1)(b) categories': ['Hvordan vi når deg', 'Fakturaer og betalinger'],
    '15(1)(c) recipients': ['Example Mail Delivery Inc.', 'behandler dem på våre vegne', 'Hvem som har lest dem'],
    '15(1)(d) retention': ['Hvor lenge vi lagrer dem', 'Regnskapsopplysninger lagres i 10 år', '10 år'],
    '15(1)(e) rights': [
      'Rett til retting',
      'Rett til sletting',
      'Rett til begrensning av behandling',
      'Rett til å protestere',
    ],
    '15(1)(f) complaint': ['Rett til å klage til en tilsynsmyndighet', 'Tilsynsmyndigheten er Example Data Protection'],
    '15(1)(g) source': ['Hvor de kommer fra', 'et kredittopplysningsbyrå'],
    '15(1)(h) automated decisions': [
      'Automatiserte avgjørelser',
      'Kredittvurdering: kredittopplysningsbyråets score',
      '(art. 22)',
      'Avgjørelsen tas på grunnlag av',
      'creditScore: 640',
    ],
    '15(2) transfers': ['Overføringer utenfor EU/EØS', 'USA', 'Standardavtaler (EU-kommisjonens'],
    'origin and consent': [
      'ikke med i en dataportabilitetseksport',
      'Du har gitt samtykke',
      'Trukket tilbake',
      'Det gjelder',
      'Gitt på nytt',
      'du bestrider at den er riktig',
    ],
    'signed JSON': ['Det gjeldende dokumentet er den signerte rapporten', 'Last ned den signerte rapporten (JSON)'],
  },
  da: {
    '15(1)(a) purposes': [
      'Hvorfor vi bruger dem',
      'At levere den tjeneste, kunden har bestilt',
      'Fakturering og modtagelse',
    ],
    '15(1)(a) legal basis': ['en aftale med dig', 'en retlig forpligtelse, vi har', 'vores legitime interesser'],
    '15(1)(b) categories': ['Hvordan vi kontakter dig', 'Fakturaer og betalinger'],
    '15(1)(c) recipients': ['Example Mail Delivery Inc.', 'behandler dem på vores vegne', 'Hvem der har læst dem'],
    '15(1)(d) retention': ['Hvor længe vi opbevarer dem', 'Regnskabsoplysninger opbevares i 10 år', '10 år'],
    '15(1)(e) rights': [
      'Ret til berigtigelse',
      'Ret til sletning',
      'Ret til begrænsning af behandling',
      'Ret til indsigelse',
    ],
    '15(1)(f) complaint': ['Ret til at klage til en tilsynsmyndighed', 'Tilsynsmyndigheden er Example Data Protection'],
    '15(1)(g) source': ['Hvor de kommer fra', 'et kreditoplysningsbureau'],
    '15(1)(h) automated decisions': [
      'Automatiske afgørelser',
      'Kreditvurdering: kreditoplysningsbureauets score',
      '(art. 22)',
      'Afgørelsen træffes på grundlag af',
      'creditScore: 640',
    ],
    '15(2) transfers': ['Overførsler uden for EU/EØS', 'USA', 'Standardkontraktbestemmelser (Kommissionens'],
    'origin and consent': [
      'ikke med i en dataportabilitetseksport',
      'Du har givet samtykke',
      'Trukket tilbage',
      'Det omfatter',
      'Givet igen',
      'du bestrider, at den er korrekt',
    ],
    'signed JSON': ['Det gældende dokument er den signerede rapport', 'Hent den signerede rapport (JSON)'],
  },
};

/** The tags and attributes a rendered report may have: anything else came from a value. */
const TAGS = new Set(
  [
    'html head meta title style body h1 h2 h3 h4 p code div strong a pre',
    'section table thead tbody tr th td ul li span dl dt dd br',
  ]
    .join(' ')
    .split(' '),
);
const ATTRIBUTES = new Set(['lang', 'charset', 'name', 'content', 'id', 'class', 'href', 'download', 'type']);

function markupOf(html: string): { tags: string[]; attributes: string[]; hrefs: string[] } {
  const tags: string[] = [];
  const attributes: string[] = [];
  const hrefs: string[] = [];
  for (const m of html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    tags.push(m[1]!.toLowerCase());
    for (const a of m[2]!.matchAll(/([^\s=>]+)(?:="([^"]*)")?/g)) {
      attributes.push(a[1]!.toLowerCase());
      if (a[1] === 'href') hrefs.push(a[2] ?? '');
    }
  }
  return { tags, attributes, hrefs };
}

/** The signed JSON the page carries as its download, and whether the vault's key signs exactly those bytes. */
function carriedJson(html: string): { text: string; verifies: boolean } {
  const href = /href="data:application\/json;base64,([A-Za-z0-9+/=]+)"/.exec(html)![1]!;
  const text = Buffer.from(href, 'base64').toString('utf8');
  const jws = /<pre>([A-Za-z0-9_.-]+)<\/pre>/.exec(html)![1]!;
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: api.vault.signer.publicJwk.x }, format: 'jwk' });
  const signed = verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
  const digest = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sha256: string };
  const sha256 = createHash('sha256').update(text).digest('hex');
  return { text, verifies: signed && digest.sha256 === sha256 && html.includes(`<code>${sha256}</code>`) };
}

describe('the access report a person reads', () => {
  it.each(['en', 'nb', 'da'] as const)(
    'in %s, says every Art. 15(1)(a)-(h) and 15(2) item in words, and carries the signed JSON',
    async (language) => {
      const res = await fetch(`${await link(subject)}?format=html&language=${language}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-language')).toBe(language);
      const html = await res.text();
      expect(html).toContain(`<html lang="${language}">`);
      for (const [article, phrases] of Object.entries(EXPECTED[language]))
        for (const phrase of phrases) expect(html, `${article}: ${phrase}`).toContain(phrase);
      // Every text the shipped register gives is quoted in the page's language: nothing left in English.
      if (language !== 'en') expect(html).not.toContain('lang="en"');
      // The signed report is the authoritative one, carried byte for byte, and valid under its schema.
      const { text, verifies } = carriedJson(html);
      expect(verifies).toBe(true);
      const report = JSON.parse(text) as { subjectId: string; history: unknown[] };
      expect(report.subjectId).toBe(subject);
      expect(report.history).toHaveLength(150);
      expect(schemaErrors('access-report.schema.json', report)).toEqual([]);
      // Nothing of another subject.
      for (const o of others.slice(0, 5)) expect(html).not.toContain(o);
      expect(html).not.toContain('Other Person');
    },
  );

  it('keeps values inert: script tags, quotes and markup in values are text; the page may run nothing', async () => {
    const res = await fetch(`${await link(subject)}?format=html&language=en`);
    const html = await res.text();
    const { tags, attributes, hrefs } = markupOf(html);
    expect(tags.filter((t) => !TAGS.has(t))).toEqual([]);
    expect(attributes.filter((a) => !ATTRIBUTES.has(a))).toEqual([]);
    for (const href of hrefs) expect(href).toMatch(/^(data:application\/json;base64,|https?:\/\/)/);
    expect(html).not.toMatch(/<script|<img|<iframe/i);
    // Each hostile value is on the page, escaped.
    expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; O&#39;Brien &amp; Sons');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;steal(150)&lt;/script&gt;');
    expect(html).toContain('&lt;iframe src=&quot;https://evil.example&quot;&gt;&lt;/iframe&gt; fraud screening');
    expect(html).toContain('&lt;b&gt;three systems&lt;/b&gt;');
    // The 149 earlier values, each escaped.
    expect(html.match(/steal\(\d+\)/g)).toHaveLength(151);
    // Even a value that escaped its escaping could run nothing: no script source, no inline handler.
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(csp).not.toContain('unsafe');
    const style = /<style>([^<]*)<\/style>/.exec(html)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  it('takes the language from Accept-Language when the link names none, else English', async () => {
    for (const [header, language] of [
      ['da-DK,da;q=0.9,en;q=0.5', 'da'],
      ['de-DE, nn;q=0.8, en;q=0.7', 'nb'],
      ['fr-FR,de;q=0.5', 'en'],
    ] as const) {
      const res = await fetch(`${await link(subject)}?format=html`, { headers: { 'accept-language': header } });
      expect(res.headers.get('content-language')).toBe(language);
      await res.text();
    }
  });

  it('refuses an unknown language or format, and a readable export, without spending the link', async () => {
    const access = await link(subject);
    for (const query of ['format=html&language=de', 'format=pdf', 'format=html&language=']) {
      const res = await fetch(`${access}?${query}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'BAD_USER_INPUT' });
    }
    const portability = await link(subject, 'PORTABILITY');
    const refused = await fetch(`${portability}?format=html`);
    expect(refused.status).toBe(400);
    await refused.text();
    // Both links still serve once, then are spent.
    expect((await fetch(`${access}?format=html&language=nb`)).status).toBe(200);
    expect((await fetch(`${access}?format=html&language=nb`)).status).toBe(410);
    const exported = await fetch(portability);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toBe('application/json; charset=utf-8');
    await exported.text();
  });

  it('is linked from the report over GraphQL: the same page from the text signed, none for an export', async () => {
    const token = await api.token(subjectPrincipal(subject));
    const res = await api.gql(
      token,
      '{ accessReport(subjectId: "' +
        subject +
        '") { text html(language: "da") } ' +
        'portabilityExport(subjectId: "' +
        subject +
        '") { html } }',
    );
    expect(res.errors).toBeUndefined();
    const { text, html } = res.data!.accessReport as { text: string; html: string };
    expect(html).toContain('<html lang="da">');
    for (const phrase of EXPECTED.da['15(1)(h) automated decisions']!) expect(html).toContain(phrase);
    const carried = carriedJson(html);
    expect(carried.text).toBe(text);
    expect(carried.verifies).toBe(true);
    expect(res.data!.portabilityExport).toEqual({ html: null });
    const wrong = await api.gql(token, `{ accessReport(subjectId: "${subject}") { html(language: "de") } }`);
    expect(wrong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('renders concurrent downloads of 40 subjects, each page its own subject', async () => {
    const pages = await Promise.all(
      others.map(async (s, i) => {
        const res = await fetch(`${await link(s)}?format=html&language=${(['en', 'nb', 'da'] as const)[i % 3]}`);
        return { s, i, html: await res.text(), status: res.status };
      }),
    );
    for (const { s, i, html, status } of pages) {
      expect(status).toBe(200);
      expect(html).toContain(`<code>${s}</code>`);
      expect(html).toContain(`<td>Other Person ${i}</td>`);
      expect(carriedJson(html).verifies).toBe(true);
    }
  });
});
