#!/usr/bin/env node
// Writes docs/samples/: a sample access report and portability export as the vault makes them, and
// the readable access report in English, Norwegian and Danish, for a reader who wants to see the documents
// before running the vault (the JSON-LD context they name is schema/rights-context-v1.jsonld).
//
//   npm run build -w services/vault && node scripts/rights-samples.mjs [--out <dir>]
//
// The subject is made up (a customer with contact details, web analytics observed on consent, a
// credit score from an agency, a consent given, withdrawn and given again, a consent to marketing past the
// validity the register gives it (`consentValidFor`, set here to P1Y: the shipped register sets none), readers in
// the access log, a rectified value) in a throwaway vault with the shipped register and a fixed clock. Ids,
// keys and signatures are new on every run: the documents' shape is the point, not their bytes.
// test/integration/samples.int.test.ts checks the committed samples against the schemas, so a
// change of shape that leaves them stale fails there: run this script again then.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values: opts } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(opts.out ?? join(root, 'docs', 'samples'));

const { addIsoDuration, loadRegister, openVault } = await import(join(root, 'services/vault/dist/index.js'));
const { renderAccessReportHtml } = await import(join(root, 'services/vault/dist/rights/reportHtml.js'));

const T0 = '2026-03-02T10:00:00.000Z';
const clock = { now: T0 };
const dataDir = mkdtempSync(join(tmpdir(), 'pdv-samples-'));
const register = await loadRegister();
register.purposes.marketing.consentValidFor = 'P1Y';
const vault = await openVault(
  { dataDir, masterKey: randomBytes(32).toString('base64'), synchronous: 'FULL', port: 0, logLevel: 'silent' },
  { register, now: () => clock.now, warn: () => {} },
);
try {
  const crm = { actor: 'service:crm' };
  const item = (category, field, value, purpose, legalBasis, source = 'subject') => ({
    category,
    field,
    value,
    purpose,
    legalBasis,
    source,
  });
  const consent = (s, purpose, noticeId, noticeVersion) =>
    vault.execute(s, { type: 'GiveConsent', purpose, noticeId, noticeVersion, channel: 'webForm' }, crm);
  const { subjectId: s } = await vault.commands.registerSubject(crm);
  await consent(s, 'newsletter', 'privacy-notice', '2026-01');
  await consent(s, 'analytics', 'cookie-notice', '3');
  // Offers by email, consented to once and not renewed: a year on, when the report is made, it has expired.
  await consent(s, 'marketing', 'privacy-notice', '2026-01');
  await vault.execute(
    s,
    {
      type: 'RecordPersonalData',
      items: [
        item('contact', 'name', 'Kari Nordmann', 'contract', 'contract'),
        item('contact', 'email', 'kari@example.no', 'contract', 'contract'),
        item(
          'contact',
          'address',
          { street: 'Storgata 1', postalCode: '0155', city: 'Oslo', country: 'NO' },
          'contract',
          'contract',
        ),
        item('marketing', 'interests', 'hiking, sailing', 'newsletter', 'consent'),
        item('accounting', 'invoiceReference', 'INV-2026-7', 'billing', 'legalObligation'),
        item('creditInformation', 'creditScore', 640, 'creditCheck', 'legitimateInterest', 'creditAgency'),
        item('webAnalytics', 'visitorId', 'v-4711', 'analytics', 'consent', 'observed'),
      ],
    },
    crm,
  );
  clock.now = addIsoDuration(T0, 'P3D');
  await vault.execute(
    s,
    {
      type: 'RectifyPersonalData',
      items: [item('contact', 'email', 'kari.nordmann@example.no', 'contract', 'contract')],
    },
    crm,
  );
  await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter', channel: 'email' }, crm);
  clock.now = addIsoDuration(T0, 'P10D');
  await consent(s, 'newsletter', 'privacy-notice', '2026-02');
  await vault.accessLog.append([
    {
      actor: 'service:billing',
      purpose: 'billing',
      subjectId: s,
      categories: ['accounting', 'contact'],
      at: clock.now,
    },
    {
      actor: 'service:scoring',
      purpose: 'creditCheck',
      subjectId: s,
      categories: ['creditInformation'],
      at: clock.now,
    },
  ]);
  // A transmission to another controller (Art. 20(2)) that failed once and was delivered on its second attempt,
  // recorded as the vault records one (the example register names no receiving controller to send it to).
  const transmission = { type: 'RecordTransmissionAttempt', transmissionId: randomUUID(), receiver: 'acme' };
  const attempt = (n, status) => ({
    ...transmission,
    requestedBy: `subject:${s}`,
    attempt: n,
    sha256: createHash('sha256').update(`attempt ${n}`).digest('hex'),
    bytes: 2240,
    status,
    delivered: status === 202,
    final: status === 202,
  });
  await vault.execute(s, attempt(1, 503), { actor: `subject:${s}` });
  clock.now = addIsoDuration(clock.now, 'PT2S');
  await vault.execute(s, attempt(2, 202), { actor: `subject:${s}` });
  clock.now = addIsoDuration(T0, 'P1Y1D');

  mkdirSync(out, { recursive: true });
  const access = await vault.rights.report(s, 'ACCESS');
  const portability = await vault.rights.report(s, 'PORTABILITY');
  const compact = (jws) => `${jws.protected}.${jws.payload}.${jws.signature}`;
  // Pretty-printed for reading: the signature covers the compact bytes the vault sends, not these.
  writeFileSync(join(out, 'access-report.json'), `${JSON.stringify(access.report, null, 2)}\n`);
  writeFileSync(join(out, 'portability-export.json'), `${JSON.stringify(portability.report, null, 2)}\n`);
  for (const language of ['en', 'nb', 'da']) {
    const html = renderAccessReportHtml(access.report, vault.register, language, {
      text: access.text,
      sha256: access.signature.sha256,
      jws: compact(access.jws),
      keyUrl: 'http://localhost:4000/.well-known/jwks.json',
    });
    writeFileSync(join(out, `access-report.${language}.html`), html);
  }
  console.log(`wrote ${out}`);
} finally {
  await vault.close();
  rmSync(dataDir, { recursive: true, force: true });
}
