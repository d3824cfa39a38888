import { createHash, createPublicKey, verify } from 'node:crypto';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

import { addIsoDuration, sealDecision, streamOf, type Vault } from '@pdv/vault';
import { describe, expect, it } from 'vitest';

import { schemaErrors as validate } from '../support/rightsSchemas.js';
import { dataItem, useTempVaults } from '../support/tempVault.js';

const T0 = '2026-03-02T10:00:00.000Z';
const vaults = useTempVaults();
const clocked = () => vaults.clocked(T0);
const item = dataItem;

/** Verifies a compact JWS (EdDSA) with node:crypto: an implementation other than tweetnacl. */
function verifyWithNodeCrypto(jws: string, vault: Vault): Record<string, unknown> {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: vault.signer.publicJwk.x }, format: 'jwk' });
  expect(verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function partlyErased(vault: Vault, clock: { now: string }) {
  const actor = { actor: 'service:crm' };
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
    {
      type: 'RecordPersonalData',
      items: [
        item('contact', 'name', 'Rita Report', 'contract', 'contract'),
        item('contact', 'email', 'rita@example.com', 'contract', 'contract'),
        item('marketing', 'interests', 'cycling', 'newsletter', 'consent'),
        item('accounting', 'invoiceReference', 'INV-9', 'billing', 'legalObligation'),
        item('creditInformation', 'creditScore', 712, 'creditCheck', 'legitimateInterest', 'creditAgency'),
      ],
    },
    actor,
  );
  clock.now = addIsoDuration(T0, 'P1D');
  await vault.execute(
    s,
    { type: 'RectifyPersonalData', items: [item('contact', 'email', 'rita.new@example.com', 'contract', 'contract')] },
    actor,
  );
  await vault.accessLog.append([
    { actor: 'service:billing', purpose: 'billing', subjectId: s, categories: ['accounting'], at: clock.now },
  ]);
  return s;
}

describe('access report (Art. 15)', () => {
  it('lists every item with its value, source, purposes, basis, recipients, retention and status', async () => {
    const { vault, clock } = await clocked();
    const s = await partlyErased(vault, clock);
    const { text, report, signature, jws } = await vault.rights.report(s, 'ACCESS');
    expect(validate('access-report.schema.json', report)).toEqual([]);
    const items = report.items as Record<string, any>[];
    const email = items.find((i) => i.field === 'email')!;
    expect(email).toMatchObject({
      category: 'contact',
      value: 'rita.new@example.com',
      source: 'subject',
      legalBasis: 'contract',
      dpvLegalBasis: 'eu-gdpr:A6-1-b',
      status: { state: 'ACTIVE' },
    });
    expect(email.purposes.map((p: { purpose: string }) => p.purpose)).toContain('contract');
    expect(email.retention.endsAt).toBeNull(); // 8 years after the relationship ends: not started
    expect(email.transfers).toEqual([expect.objectContaining({ country: 'US', safeguard: expect.any(String) })]);
    const credit = items.find((i) => i.category === 'creditInformation')!;
    expect(credit).toMatchObject({ source: 'creditAgency', value: 712, automatedDecisionMaking: expect.any(String) });
    expect(credit.retention.endsAt).toBe(addIsoDuration(T0, 'P1Y'));
    const accounting = items.find((i) => i.category === 'accounting')!;
    expect(accounting.recipients.actual).toEqual([
      { actor: 'service:billing', purpose: 'billing', at: clock.now, firstAt: clock.now, reads: 1 },
    ]);
    expect(accounting.status).toEqual({
      state: 'RETAINED',
      basis: expect.stringContaining('bookkeeping'),
      until: addIsoDuration(T0, 'P10Y'),
    });
    expect(report.history).toEqual([expect.objectContaining({ field: 'email', value: 'rita@example.com' })]);
    expect(report).toMatchObject({
      controller: vault.register.controller,
      dpo: vault.register.dpo,
      supervisoryAuthority: vault.register.supervisoryAuthority,
    });
    expect((report.rights as unknown[]).length).toBeGreaterThanOrEqual(7);

    const signed = verifyWithNodeCrypto(`${jws.protected}.${jws.payload}.${jws.signature}`, vault);
    expect(signed).toEqual(signature as unknown as Record<string, unknown>);
    expect(signed.sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('shows a subject erased in part: marketing shredded on withdrawal, accounting held through erasure', async () => {
    const { vault, clock } = await clocked();
    const s = await partlyErased(vault, clock);
    await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter' }, { actor: 'service:crm' });
    await vault.erase(s, { actor: 'dpo:anna', reason: 'subjectRequest' });
    const { report } = await vault.rights.report(s, 'ACCESS');
    expect(validate('access-report.schema.json', report)).toEqual([]);
    const byCategory = new Map((report.items as Record<string, any>[]).map((i) => [i.category, i]));
    expect(byCategory.get('marketing')).toEqual({
      category: 'marketing',
      dpvCategory: expect.any(String),
      field: null,
      status: { state: 'ERASED', at: expect.any(String), reason: 'withdrawal' },
      recipients: { external: [], actual: [] },
    });
    expect(byCategory.get('contact')!.status).toEqual({ state: 'ERASED', at: expect.any(String), reason: 'erasure' });
    expect(byCategory.get('accounting')).toMatchObject({
      value: 'INV-9',
      status: { state: 'RETAINED', until: addIsoDuration(T0, 'P10Y') },
    });
    expect(report.history).toEqual([]); // the old email went with the contact key
  });

  it('names every recipient however many reads there were, and who read a category before it was erased', async () => {
    const { vault, clock } = await clocked();
    const s = await partlyErased(vault, clock);
    const start = Date.parse(clock.now);
    const at = (minutes: number) => new Date(start + minutes * 60_000).toISOString();
    await vault.accessLog.append([
      { actor: 'service:crm', purpose: 'contract', subjectId: s, categories: ['contact'], at: at(1) },
    ]);
    // A reader that reads 12,000 times does not push the one before out of the report.
    await vault.accessLog.append(
      Array.from({ length: 12_000 }, (_, i) => ({
        actor: 'service:billing',
        purpose: 'billing',
        subjectId: s,
        categories: ['contact', 'accounting'],
        at: at(2 + i / 1000),
      })),
    );
    clock.now = at(60);
    await vault.erase(s, { actor: 'dpo:anna', reason: 'subjectRequest' });
    const { report } = await vault.rights.report(s, 'ACCESS');
    expect(validate('access-report.schema.json', report)).toEqual([]);
    const contact = (report.items as Record<string, any>[]).find((i) => i.category === 'contact')!;
    expect(contact.status.state).toBe('ERASED');
    expect(contact.recipients.actual).toEqual([
      { actor: 'service:crm', purpose: 'contract', at: at(1), firstAt: at(1), reads: 1 },
      { actor: 'service:billing', purpose: 'billing', at: at(2 + 11_999 / 1000), firstAt: at(2), reads: 12_000 },
    ]);
  });
});

describe('portability export (Art. 20)', () => {
  it('holds only data provided on consent or contract, matches the schema, and its signature verifies', async () => {
    const { vault, clock } = await clocked();
    const s = await partlyErased(vault, clock);
    const download = await vault.rights.download(s, 'PORTABILITY');
    let text = '';
    for await (const chunk of download.body) text += chunk;
    const doc = JSON.parse(text) as Record<string, any>;
    expect(validate('portability-export.schema.json', doc)).toEqual([]);
    expect(doc.items.map((i: { category: string; field: string }) => `${i.category}.${i.field}`).sort()).toEqual([
      'contact.email',
      'contact.name',
      'marketing.interests',
    ]);
    // The consent the newsletter data rests on, with its proof: the notice shown, the channel, who collected it.
    expect(doc.consents).toEqual([
      {
        purpose: 'newsletter',
        dpvPurpose: expect.stringMatching(/^dpv:/),
        given: true,
        at: T0,
        dpvStatus: 'dpv:ConsentGiven',
        dataCategories: expect.arrayContaining([{ category: 'marketing', dpvCategory: expect.any(String) }]),
        proofs: [
          {
            type: 'dpv:ConsentRecord',
            dpvStatus: 'dpv:ConsentGiven',
            provenance: 'recorded',
            givenAt: T0,
            expiresAt: null,
            notice: { id: 'privacy-notice', version: '2026-01' },
            channel: 'webForm',
            collectedBy: 'service:crm',
            withdrawnAt: null,
            withdrawal: null,
            eventId: expect.any(String),
          },
        ],
      },
    ]);
    const signed = verifyWithNodeCrypto(download.jws, vault);
    expect(signed).toMatchObject({
      kind: 'PORTABILITY',
      subjectId: s,
      sha256: createHash('sha256').update(text).digest('hex'),
      bytes: Buffer.byteLength(text),
    });
  });

  it('streams a subject with 100,000 events with memory growth under 50 MB', async () => {
    const { vault } = await clocked();
    const { subjectId: s } = await vault.commands.registerSubject({ actor: 'bench' });
    let revision = 0;
    for (let done = 0; done < 100_000; done += 1000) {
      const decision = Array.from({ length: 1000 }, (_, i) => ({
        type: 'PersonalDataRectified' as const,
        data: {
          category: 'contact',
          field: 'name',
          keyId: `${s}/contact/1`,
          value: { plain: `Name number ${done + i} with some padding to be realistic` },
          purpose: 'contract',
          legalBasis: 'contract' as const,
          source: 'subject' as const,
        },
      }));
      const events = await sealDecision(s, decision, vault.keyRing, { actor: 'bench', at: T0 });
      revision = (await vault.stores.log.append(streamOf(s), events, revision === 0 && done === 0 ? 0 : revision))
        .nextRevision;
    }
    await vault.projector.catchUp();
    // Retained memory, not garbage not yet collected: collect before each sample.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const download = await vault.rights.download(s, 'ACCESS');
    let bytes = 0;
    let chunks = 0;
    for await (const chunk of download.body) {
      bytes += chunk.length;
      if (++chunks % 10_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    expect(bytes).toBeGreaterThan(100_000 * 50);
    expect((peak - before) / 1024 / 1024).toBeLessThan(50);
  }, 180_000);
});

describe('download links', () => {
  it('work once, then answer gone; an unknown token is not found; an expired link is gone', async () => {
    const { vault, clock } = await clocked();
    const s = await partlyErased(vault, clock);
    const link = await vault.rights.createExportLink(s, 'ACCESS', { actor: 'dpo:anna' });
    expect(link.expiresAt).toBe(addIsoDuration(clock.now, 'P7D'));
    const first = await vault.rights.redeem(link.token);
    for await (const _ of first.body) void _;
    await expect(vault.rights.redeem(link.token)).rejects.toMatchObject({ code: 'LINK_GONE' });
    await expect(vault.rights.redeem('x'.repeat(43))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const later = await vault.rights.createExportLink(s, 'PORTABILITY', { actor: 'dpo:anna' });
    clock.now = addIsoDuration(clock.now, 'P8D');
    await expect(vault.rights.redeem(later.token)).rejects.toMatchObject({ code: 'LINK_GONE' });
  });

  it('cannot be used twice by two racing downloads', async () => {
    const { vault, clock } = await clocked();
    const s = await partlyErased(vault, clock);
    const link = await vault.rights.createExportLink(s, 'PORTABILITY', { actor: 'dpo:anna' });
    const results = await Promise.allSettled([
      vault.rights.redeem(link.token),
      vault.rights.redeem(link.token),
      vault.rights.redeem(link.token),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => r.reason.code)).toEqual([
      'LINK_GONE',
      'LINK_GONE',
    ]);
  });
});

describe('request workflow (Art. 12)', () => {
  it('opens with a one-month deadline, extends with a reason, lists the overdue, completes an erasure', async () => {
    const { vault, clock } = await clocked();
    const s = await partlyErased(vault, clock);
    const dpo = { actor: 'dpo:anna' };
    const erasureId = await vault.rights.openRequest(
      s,
      { requestType: 'ERASURE', receivedAt: '2026-01-31T09:00:00.000Z', channel: 'email' },
      dpo,
    );
    const accessId = await vault.rights.openRequest(
      s,
      { requestType: 'ACCESS', receivedAt: clock.now, channel: 'webForm' },
      dpo,
    );
    expect((await vault.rights.request(erasureId)).dueAt).toBe('2026-02-28T09:00:00.000Z');
    expect((await vault.rights.requests({ overdue: true })).map((r) => r.id)).toEqual([erasureId]);
    await vault.rights.step(erasureId, { type: 'VerifyIdentity', requestId: erasureId, method: 'videoCall' }, dpo);
    // Art. 12(3): its first month ended Feb 28, too late to extend it now; it stays overdue, nothing is recorded.
    const before = (await vault.commands.load(s)).revision;
    const late = { type: 'ExtendRequest', requestId: erasureId, months: 2, reason: 'too late' } as const;
    await expect(vault.rights.step(erasureId, late, dpo)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await vault.commands.load(s)).revision).toBe(before);
    expect((await vault.rights.requests({ overdue: true })).map((r) => r.id)).toEqual([erasureId]);
    // The access request received today is within its first month: extended, by at most two months.
    const extended = await vault.rights.step(
      accessId,
      { type: 'ExtendRequest', requestId: accessId, months: 2, reason: 'many systems involved' },
      dpo,
    );
    expect(extended.dueAt).toBe(addIsoDuration(clock.now, 'P3M'));
    await expect(
      vault.rights.step(accessId, { type: 'ExtendRequest', requestId: accessId, months: 1, reason: 'more' }, dpo),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });

    const done = await vault.rights.completeRequest(erasureId, dpo);
    expect(done.request.status).toBe('COMPLETED');
    // Answered, it leaves the overdue list, and stays marked as having missed its deadline.
    expect(await vault.rights.requests({ overdue: true })).toEqual([]);
    expect(done.request.data.missedDeadlineAt).toBe('2026-02-28T09:00:00.000Z');
    expect(done.certificate!.certificate.requestId).toBe(erasureId);
    expect(validate('erasure-certificate.schema.json', done.certificate!.certificate)).toEqual([]);
    // Not verified: refused, and nothing is handed over (no link, the request stays open).
    const revision = (await vault.commands.load(s)).revision;
    await expect(vault.rights.completeRequest(accessId, dpo)).rejects.toMatchObject({
      code: 'IDENTITY_NOT_VERIFIED',
    });
    expect((await vault.commands.load(s)).revision).toBe(revision);
    expect((await vault.rights.request(accessId)).status).toBe('OPEN');
    await vault.rights.step(accessId, { type: 'VerifyIdentity', requestId: accessId, method: 'accountLogin' }, dpo);
    const access = await vault.rights.completeRequest(accessId, dpo);
    expect(access.link!.path).toMatch(/^\/exports\/[A-Za-z0-9_-]{43}$/);
    expect((await vault.rights.requests({ status: 'COMPLETED' })).map((r) => r.id).sort()).toEqual(
      [erasureId, accessId].sort(),
    );

    const refusedId = await vault.rights.openRequest(
      s,
      { requestType: 'RECTIFICATION', receivedAt: clock.now, channel: 'post' },
      dpo,
    );
    await vault.rights.step(
      refusedId,
      { type: 'RefuseRequest', requestId: refusedId, reason: 'manifestly excessive' },
      dpo,
    );

    // Free text is sealed: the reasons are nowhere in the log in plaintext.
    const log = JSON.stringify(await vault.stores.log.readAll({ maxCount: 10_000 }));
    expect(log).not.toContain('many systems involved');
    expect(log).not.toContain('manifestly excessive');
    // They outlive the subject's erasure (the requests key is not a data key), for the DPO and in the subject's
    // access
    // report.
    const texts = await vault.rights.requestTexts([s, 'no-such-subject']);
    expect([...texts.keys()]).toEqual([s]);
    expect(texts.get(s)!.requests.get(accessId)).toEqual({
      extensions: [{ months: 2, at: expect.any(String), reason: 'many systems involved' }],
      refusalReason: null,
    });
    expect(texts.get(s)!.requests.get(refusedId)).toEqual({ extensions: [], refusalReason: 'manifestly excessive' });
    const { report } = await vault.rights.report(s, 'ACCESS');
    expect(validate('access-report.schema.json', report)).toEqual([]);
    expect(report.requests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          requestId: erasureId,
          status: 'COMPLETED',
          missedDeadlineAt: '2026-02-28T09:00:00.000Z',
          extensions: [],
        }),
        expect.objectContaining({
          requestId: accessId,
          status: 'COMPLETED',
          missedDeadlineAt: null,
          extensions: [expect.objectContaining({ months: 2, reason: 'many systems involved' })],
        }),
        expect.objectContaining({
          requestId: refusedId,
          status: 'REFUSED',
          extensions: [],
          refusalReason: 'manifestly excessive',
        }),
      ]),
    );
  });

  it('lists pending Art. 14 notifications for data from elsewhere, closed once the subject is informed', async () => {
    const { vault, clock } = await clocked();
    const s = await partlyErased(vault, clock); // credit information came from a credit agency at T0
    const pending = await vault.rights.pendingNotifications(addIsoDuration(T0, 'P2M'));
    expect(pending).toEqual([
      expect.objectContaining({
        subjectId: s,
        dueAt: addIsoDuration(T0, 'P1M'),
        data: expect.objectContaining({ categories: ['creditInformation'] }),
      }),
    ]);
    expect(await vault.rights.pendingNotifications('2026-03-15T00:00:00.000Z')).toEqual([]);
    await vault.execute(s, { type: 'MarkInformed', at: clock.now, channel: 'post' }, { actor: 'dpo:anna' });
    expect(await vault.rights.pendingNotifications()).toEqual([]);
  });
});
