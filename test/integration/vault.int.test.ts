import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  addIsoDuration,
  isVaultError,
  Projector,
  secretbox,
  SubjectCommands,
  SubjectReader,
  type Vault,
  VaultError,
  verifyCertificate,
} from '@pdv/vault';
import nacl from 'tweetnacl';
import { describe, expect, it, vi } from 'vitest';

import { runCli, startServeProcess } from '../support/cliProcess.js';
import { dataItem, useTempVaults } from '../support/tempVault.js';

const actor = { actor: 'test' };
const contact = (field: string, value: unknown) => dataItem('contact', field, value, 'contract', 'contract');

const vaults = useTempVaults();
const fresh = vaults.open;

async function subjectWith(vault: Vault, items: ReturnType<typeof dataItem>[]) {
  const { subjectId } = await vault.commands.registerSubject(actor);
  await vault.execute(subjectId, { type: 'RecordPersonalData', items }, actor);
  return subjectId;
}

describe('master key', () => {
  it('fails at start with a clear error when the master key is not the one that wrapped the keys', async () => {
    // The master key's own custody, whichever custody the suite runs the other vaults in.
    const { vault, config } = await fresh({ localKek: true });
    await subjectWith(vault, [contact('name', 'Ada')]);
    await vault.close();
    const wrong = Buffer.from(nacl.randomBytes(32)).toString('base64');
    const error = await fresh({ dataDir: config.dataDir, masterKey: wrong, localKek: true }).catch((e: unknown) => e);
    expect(isVaultError(error, 'MASTER_KEY_MISMATCH')).toBe(true);
    expect(String((error as Error).message)).toContain('VAULT_MASTER_KEY');
  });
});

describe('key binding', () => {
  it('rejects a wrapped key transplanted to another subject', async () => {
    const { vault } = await fresh();
    const a = await subjectWith(vault, [contact('name', 'Ada')]);
    const b = await subjectWith(vault, [contact('name', 'Bob')]);
    const aKey = `${a}/contact/1`;
    const stolen = (await vault.stores.keys.getByIds([aKey])).get(aKey)!;
    const victim = `${b}/identity/1`;
    await vault.stores.keys.createIfAbsent([{ ...stolen, keyId: victim, subjectId: b, category: 'identity' }]);
    const error = await vault.keyRing.get([victim]).catch((e: unknown) => e);
    // The KEK custody binds a wrapping to its context; like an HSM's AES-GCM, it cannot tell a moved key from a
    // tampered one.
    expect(isVaultError(error, 'CIPHERTEXT_INVALID')).toBe(true);
  });
});

describe('erasure', () => {
  it('returns a certificate that verifies with the published key and fails when altered', async () => {
    const { vault } = await fresh();
    const s = await subjectWith(vault, [contact('name', 'Ada')]);
    await vault.execute(
      s,
      {
        type: 'RecordPersonalData',
        items: [
          {
            category: 'accounting',
            field: 'invoiceReference',
            value: 'INV-1',
            purpose: 'billing',
            legalBasis: 'legalObligation',
            source: 'subject',
          },
        ],
      },
      actor,
    );
    const requestId = await vault.rights.openRequest(
      s,
      { requestType: 'ERASURE', receivedAt: new Date().toISOString(), channel: 'email' },
      { actor: 'dpo:test' },
    );
    const signed = await vault.erase(s, { actor: 'dpo:test', reason: 'subjectRequest', requestId });
    expect(signed.certificate.requestId).toBe(requestId);
    await expect(
      vault.erase(s, { actor: 'dpo:test', reason: 'subjectRequest', requestId: 'Ann asked on the phone' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(verifyCertificate(signed, vault.signer.publicJwk).subjectId).toBe(s);
    expect(signed.certificate.categoriesShredded).toEqual(['contact']);
    expect(signed.certificate.categoriesRetained).toEqual([
      {
        category: 'accounting',
        basis: expect.stringContaining('bookkeeping'),
        until: expect.stringMatching(/^20\d\d-/),
        // Kept per entry (10 years from each invoice's own recording): the one value's own end.
        entries: [{ field: 'invoiceReference', until: signed.certificate.categoriesRetained[0]!.until }],
      },
    ]);
    const read = (await vault.reader.read([s], { purpose: 'billing', callerPurposes: 'all' })).get(s)!;
    expect(read.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 'VALUE', category: 'accounting', value: 'INV-1' }),
        expect.objectContaining({ status: 'ERASED', category: 'contact' }),
      ]),
    );
    const forged = { ...signed, certificate: { ...signed.certificate, categoriesShredded: [] } };
    expect(() => verifyCertificate(forged, vault.signer.publicJwk)).toThrow(/differs/);
    const again = await vault.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' });
    expect(again.certificate).toEqual(signed.certificate);
  });

  it('verifies a certificate from its JWS alone or with queried fields, and nothing signed as another', async () => {
    const { vault } = await fresh();
    // Anti-money-laundering records are kept after erasure (5 years after the relationship), not per entry.
    const aml = dataItem('antiMoneyLaundering', 'verificationMethod', 'passport', 'amlCompliance', 'legalObligation');
    const s = await subjectWith(vault, [contact('name', 'Ada'), aml]);
    const { certificate, jws } = await vault.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' });
    const key = vault.signer.publicJwk;
    expect(verifyCertificate({ jws }, key)).toEqual(certificate);
    // What `eraseSubject { certificate { categoriesShredded categoriesRetained { category until } } jws { … } }`
    // answers.
    const selected = {
      categoriesShredded: certificate.categoriesShredded,
      categoriesRetained: certificate.categoriesRetained.map(({ category, until }) => ({ category, until })),
    };
    expect(verifyCertificate({ jws, certificate: selected }, key).subjectId).toBe(s);
    expect(
      verifyCertificate({ jws, certificate: { __typename: 'ErasureCertificate', ...selected } }, key).subjectId,
    ).toBe(s);
    // GraphQL answers null for a field the certificate lacks (`entries` of a category not kept per entry); a value is
    // still checked.
    const withEntries = (entries: unknown) => ({
      categoriesRetained: certificate.categoriesRetained.map(({ category }) => ({ category, entries })),
    });
    expect(certificate.categoriesRetained).toEqual([expect.objectContaining({ category: 'antiMoneyLaundering' })]);
    expect(certificate.categoriesRetained[0]!.entries).toBeUndefined();
    expect(verifyCertificate({ jws, certificate: withEntries(null) }, key).subjectId).toBe(s);
    expect(() => verifyCertificate({ jws, certificate: withEntries([]) }, key)).toThrow(/differs/);
    expect(() => verifyCertificate({ jws }, { ...key, kid: 'another-key' })).toThrow(/key ids/);
    expect(() => verifyCertificate({ jws, certificate: { ...selected, categoriesShredded: [] } }, key)).toThrow(
      /differs/,
    );
    expect(() => verifyCertificate({ jws, certificate: { ...selected, subjectId: 'someone-else' } }, key)).toThrow(
      /differs/,
    );
    const other = vault.signer.sign({ ...certificate }, 'pdv-report-digest+json');
    expect(() => verifyCertificate({ jws: other }, key)).toThrow(/not an erasure certificate/);
  });

  it('vault verify-certificate checks a saved eraseSubject answer, and exits 1 on a forged one', async () => {
    const { vault } = await fresh();
    const s = await subjectWith(vault, [contact('name', 'Ada')]);
    const { certificate, jws } = await vault.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' });
    const dir = mkdtempSync(join(tmpdir(), 'pdv-cert-'));
    try {
      writeFileSync(join(dir, 'key.json'), JSON.stringify(vault.signer.publicJwk));
      const cli = (doc: unknown) => {
        writeFileSync(join(dir, 'answer.json'), JSON.stringify(doc));
        return runCli(['verify-certificate', join(dir, 'answer.json'), '--public-key', join(dir, 'key.json')]);
      };
      const ok = cli({
        data: { eraseSubject: { certificate: { categoriesShredded: certificate.categoriesShredded }, jws } },
      });
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`valid: erasure of subject ${s}`);
      expect(ok.stdout).toContain('shredded: contact');
      const forged = cli({ data: { eraseSubject: { certificate: { categoriesShredded: [] }, jws } } });
      expect(forged.status).toBe(1);
      expect(forged.stderr).toContain('SIGNATURE_INVALID');
      // The JWS alone, checked with the JWK Set as /.well-known/jwks.json serves it.
      writeFileSync(join(dir, 'key.json'), JSON.stringify({ keys: [vault.signer.publicJwk] }));
      const alone = cli(jws);
      expect(alone.status, alone.stderr).toBe(0);
      expect(alone.stdout).toContain(`valid: erasure of subject ${s}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('vault rebuild refuses while vault serve runs on the same data directory, and runs after it stops', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-serve-'));
    const env = {
      ...process.env,
      VAULT_DATA_DIR: dataDir,
      PORT: '0',
      VAULT_RETENTION_INTERVAL_MINUTES: '0',
      VAULT_LOG_LEVEL: 'warn',
    };
    const { child: server } = await startServeProcess(env);
    try {
      const refused = runCli(['rebuild'], env);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`CONFLICT: vault serve (pid ${server.pid}) is running on`);
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
      const rebuilt = runCli(['rebuild'], env);
      expect(rebuilt.status, rebuilt.stderr).toBe(0);
      expect(rebuilt.stdout).toContain('rebuilt read models from');
    } finally {
      server.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('vault retention refuses an --as-of that is not a date with BAD_USER_INPUT naming the option', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-cli-'));
    try {
      const run = runCli(['retention', '--as-of', 'garbage', '--dry-run'], { ...process.env, VAULT_DATA_DIR: dataDir });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('BAD_USER_INPUT: --as-of must be a date');
      // verify-certificate without a key and without a vault here: refused, and no vault is created.
      writeFileSync(join(dataDir, 'jws.txt'), 'h.p.s');
      const verify = runCli(['verify-certificate', join(dataDir, 'jws.txt')], {
        ...process.env,
        VAULT_DATA_DIR: dataDir,
      });
      expect(verify.status).toBe(1);
      expect(verify.stderr).toContain('BAD_USER_INPUT: No vault in');
      expect(readdirSync(dataDir)).toEqual(['jws.txt']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('is finished by the next start when the process died between the event and the key deletion', async () => {
    const { vault, config } = await fresh();
    const s = await subjectWith(vault, [contact('name', 'Ada'), contact('email', 'ada@example.com')]);
    const keyId = `${s}/contact/1`;
    vault.keyRing.shred = async () => {
      throw new Error('simulated crash');
    };
    await expect(vault.commands.execute(s, { type: 'EraseSubject', reason: 'subjectRequest' }, actor)).rejects.toThrow(
      'simulated crash',
    );
    expect((await vault.stores.keys.getByIds([keyId])).size, 'the key survived the crash').toBe(1);
    await vault.close();

    const restarted = await fresh({ dataDir: config.dataDir, masterKey: config.masterKey });
    expect((await restarted.vault.stores.keys.getByIds([keyId])).size).toBe(0);
    expect(await restarted.vault.stores.keys.listTombstones({ subjectId: s })).toEqual([
      expect.objectContaining({ keyId, reason: 'erasure' }),
    ]);
    rmSync(config.dataDir, { recursive: true, force: true });
  });

  it('makes all past values of an erased field unreadable by re-keying the category', async () => {
    const { vault } = await fresh();
    const s = await subjectWith(vault, [contact('name', 'Ada'), contact('email', 'old@example.com')]);
    await vault.execute(s, { type: 'RectifyPersonalData', items: [contact('email', 'new@example.com')] }, actor);
    await vault.execute(
      s,
      { type: 'ErasePersonalData', category: 'contact', field: 'email', reason: 'subjectRequest', remaining: {} },
      actor,
    );
    expect((await vault.keyRing.get([`${s}/contact/1`])).size, 'the old key is gone').toBe(0);
    const read = (await vault.reader.read([s], { purpose: 'contract', callerPurposes: 'all' })).get(s)!;
    expect(read.items).toEqual([
      expect.objectContaining({ status: 'VALUE', field: 'name', value: 'Ada' }),
      { status: 'ERASED', category: 'contact', field: 'email', erasedAt: expect.any(String), reason: 'subjectRequest' },
    ]);
    const hash = await vault.blindIndex.hash('email:new@example.com');
    expect(await vault.stores.views.findByBlindIndex([hash])).toEqual([]);
  });
});

describe('vault retention on the values of a case, from the command line (issue 23)', () => {
  it('lists a closed case at its end in a dry run; sweeps a held case’s value once its hold is released', async () => {
    const { vault, config } = await fresh();
    const inCase = (entry: string, ...args: Parameters<typeof dataItem>) => ({ ...dataItem(...args), entry });
    const { subjectId: s } = await vault.commands.registerSubject(actor);
    const newsletter = {
      purpose: 'newsletter',
      noticeId: 'privacy-notice',
      noticeVersion: '2026-03',
      channel: 'webForm',
    };
    const items = [
      inCase('A-1', 'debtor', 'name', 'Debtor A', 'debtCollection', 'legitimateInterest', 'thirdParty'),
      inCase('B-2', 'debtor', 'name', 'Debtor B', 'debtCollection', 'legitimateInterest', 'thirdParty'),
      contact('name', 'Ann'),
      // The newsletter address given with contract K-1, on that consent alone.
      inCase('K-1', 'contact', 'email', 'ann.k1@example.com', 'newsletter', 'consent'),
    ];
    await vault.execute(s, { type: 'RecordPersonalData', items, consents: [newsletter] }, actor);
    await vault.execute(s, { type: 'RecordLifecycleEvent', event: 'caseClosed', entry: 'A-1' }, actor);
    const until = addIsoDuration(new Date().toISOString(), 'P1Y');
    const hold = { type: 'PlaceLegalHold' as const, category: 'contact', basis: 'litigation', until, entry: 'K-1' };
    await vault.execute(s, hold, actor);
    await vault.execute(s, { type: 'WithdrawConsent', purpose: 'newsletter' }, actor);
    await vault.close();
    const env = { ...process.env, VAULT_DATA_DIR: config.dataDir, VAULT_MASTER_KEY: config.masterKey };

    const asOf = addIsoDuration(new Date().toISOString(), 'P3Y1D');
    const dry = runCli(['retention', '--as-of', asOf, '--dry-run', '--json'], env);
    expect(dry.status, dry.stderr).toBe(0);
    const report = JSON.parse(dry.stdout) as { items: Record<string, unknown>[] };
    const shown = report.items.map(({ category, rule, outcome, entries }) => ({ category, rule, outcome, entries }));
    expect(shown).toEqual([
      { category: 'contact', rule: 'consent for newsletter withdrawn', outcome: 'wouldShred', entries: undefined },
      { category: 'debtor', rule: 'P3Y after caseClosed (entry A-1)', outcome: 'wouldShred', entries: ['A-1'] },
    ]);
    // Nothing is due now: the hold keeps the newsletter address past the withdrawal.
    expect(runCli(['retention'], env).stdout).toContain(': 0 due, shredded 0');

    const again = await fresh({ dataDir: config.dataDir, masterKey: config.masterKey });
    await again.vault.execute(s, { type: 'ReleaseLegalHold', category: 'contact', entry: 'K-1' }, actor);
    await again.vault.close();
    const swept = runCli(['retention'], env);
    expect(swept.status, swept.stderr).toBe(0);
    expect(swept.stdout).toMatch(
      new RegExp(`^shredded\\t${s}\\tcontact\\tdue \\S+\\tconsent for newsletter withdrawn$`, 'm'),
    );
    expect(swept.stdout).toContain(': 1 due, shredded 1');
    const after = await fresh({ dataDir: config.dataDir, masterKey: config.masterKey });
    const c = (await after.vault.commands.load(s)).categories['contact']!;
    expect(c.entries!['K-1']!.shredded).toMatchObject({ reason: 'withdrawal' });
    expect(Object.keys(c.fields)).toEqual(['name']);
  }, 120_000);
});

describe('projections', () => {
  it('are equal after a rebuild from the log', async () => {
    const { vault } = await fresh();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(await subjectWith(vault, [contact('name', `Person ${i}`), contact('email', `p${i}@example.com`)]));
    await vault.execute(
      ids[0]!,
      { type: 'PlaceLegalHold', category: 'contact', basis: 'litigation', until: '2099-01-01' },
      actor,
    );
    await vault.execute(ids[1]!, { type: 'RecordLifecycleEvent', event: 'relationshipEnded' }, actor);
    await vault.erase(ids[2]!, { actor: 'dpo:test', reason: 'subjectRequest' });
    const snapshot = async () => ({
      subjects: [...(await vault.stores.views.getSubjects(ids)).values()].map((v) => v.state),
      index: await vault.stores.views.findByBlindIndex(
        await Promise.all(ids.map((_, i) => vault.blindIndex.hash(`email:p${i}@example.com`))),
      ),
      holds: await vault.stores.views.listHolds(),
      due: await vault.stores.views.listDueRetention('2200-01-01T00:00:00.000Z', { limit: 1000 }),
      shredded: await vault.stores.views.listShredded(),
    });
    const before = await snapshot();
    expect(before.index).toHaveLength(19);
    expect(before.holds.length).toBeGreaterThan(0);
    await vault.projector.rebuild();
    expect(await snapshot()).toEqual(before);
  });

  it('are equal after a catch-up whose pages are computed while the page before commits', async () => {
    const { vault } = await fresh();
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push((await vault.commands.registerSubject(actor)).subjectId);
    // Three rounds over each group of five subjects: a page of seven events holds subjects that the page before it
    // wrote first, whose states a cache of three has dropped since.
    const rounds = [
      ['name', 'Person'],
      ['email', 'p'],
      ['name', 'Renamed'],
    ] as const;
    for (let g = 0; g < ids.length; g += 5)
      for (const [field, value] of rounds)
        for (let i = g; i < g + 5; i++)
          await vault.execute(
            ids[i]!,
            { type: 'RecordPersonalData', items: [contact(field, `${value}${i}@example.com`)] },
            actor,
          );
    await vault.projector.waitFor(await vault.stores.log.headPosition());
    const snapshot = async () => ({
      subjects: [...(await vault.stores.views.getSubjects(ids)).entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
      index: await vault.stores.views.findByBlindIndex(
        await Promise.all(ids.map((_, i) => vault.blindIndex.hash(`email:p${i}@example.com`))),
      ),
    });
    const before = await snapshot();
    expect(before.subjects).toHaveLength(200);
    expect(before.index).toHaveLength(200);
    // A projector keeping 3 states, in pages of 7 events: almost every subject is read back from the read models,
    // some of them while the page that wrote them last is still committing.
    const small = new Projector(
      { ...vault.stores, keyRing: vault.keyRing, blindIndex: vault.blindIndex, register: vault.register },
      { batchSize: 7, stateCacheSize: 3 },
    );
    await vault.projector.stop();
    await vault.stores.views.reset();
    expect(await small.catchUp()).toBe(await vault.stores.log.headPosition());
    expect(await snapshot()).toEqual(before);
  });

  it('count each event once when two projectors catch up at once, each page sent while the last commits', async () => {
    const { vault } = await fresh();
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(await subjectWith(vault, [contact('email', `p${i}@example.com`)]));
    const head = await vault.stores.log.headPosition();
    await vault.projector.waitFor(head);
    const snapshot = async () => ({
      subjects: [...(await vault.stores.views.getSubjects(ids)).entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
      index: await vault.stores.views.findByBlindIndex(
        await Promise.all(ids.map((_, i) => vault.blindIndex.hash(`email:p${i}@example.com`))),
      ),
      stats: await vault.stores.views.listStats(),
    });
    const before = await snapshot();
    expect(before.index).toHaveLength(300);
    expect(vault.stores.views.appliesInOrder).toBe(true);
    await vault.projector.stop();
    await vault.stores.views.reset();
    // Pages of 130 and of 150 events hold 65 and 75 subjects: they commit on the views' writer thread, one after
    // another, each sent while the one before is still on its way. Once one projector's page is in, the other's pages
    // computed from the checkpoint before it, or on top of such a page, are refused.
    const deps = { ...vault.stores, keyRing: vault.keyRing, blindIndex: vault.blindIndex, register: vault.register };
    const [a, b] = [new Projector(deps, { batchSize: 130 }), new Projector(deps, { batchSize: 150 })];
    const counts = await Promise.all([a.catchUp(), b.catchUp()]);
    expect(counts[0] + counts[1]).toBe(head);
    expect(await snapshot()).toEqual(before);
  });
});

describe('states the command side keeps between commands', () => {
  it('are re-checked against the log when another writer moved the subject on: no lost update', async () => {
    const { vault } = await fresh();
    // A second command side over the same stores: another replica, as far as the first can tell.
    const other = new SubjectCommands({
      log: vault.stores.log,
      views: vault.stores.views,
      keyRing: vault.keyRing,
      register: vault.register,
      now: () => vault.now(),
    });
    const { subjectId } = await vault.commands.registerSubject(actor);
    await vault.commands.execute(
      subjectId,
      { type: 'RecordPersonalData', items: [contact('email', 'ada@example.com')] },
      actor,
    );

    // The first side keeps a state without `name`; the other records it.
    await other.execute(subjectId, { type: 'RecordPersonalData', items: [contact('name', 'Ada')] }, actor);
    // Decided on the kept state alone, this erasure would be refused (nothing recorded in contact.name).
    const erased = await vault.commands.execute(
      subjectId,
      { type: 'ErasePersonalData', category: 'contact', field: 'name', reason: 'subjectRequest', remaining: {} },
      actor,
    );
    expect(erased.events.map((e) => e.type)).toContain('PersonalDataErased');

    // Appended on the kept state alone, this write would be refused for its stale revision, or overwrite.
    await other.execute(subjectId, { type: 'RecordPersonalData', items: [contact('phone', '+49301234567')] }, actor);
    const written = await vault.commands.execute(
      subjectId,
      { type: 'RecordPersonalData', items: [contact('name', 'Ada King')] },
      actor,
    );
    const stream = await vault.stores.log.readStream(`subject-${subjectId}`);
    expect(written.revision).toBe(stream[stream.length - 1]!.revision);
    const state = await vault.commands.load(subjectId);
    expect(Object.keys(state.categories.contact!.fields).sort()).toEqual(['email', 'name', 'phone']);

    // With the caches off, command side and reader give the same answers.
    const uncachedCommands = new SubjectCommands(
      {
        log: vault.stores.log,
        views: vault.stores.views,
        keyRing: vault.keyRing,
        register: vault.register,
        now: () => vault.now(),
      },
      { stateCacheSize: 0 },
    );
    await uncachedCommands.execute(
      subjectId,
      { type: 'RectifyPersonalData', items: [contact('name', 'Ada Byron')] },
      actor,
    );
    await vault.projector.catchUp();
    const uncachedReader = new SubjectReader(
      { views: vault.stores.views, keyRing: vault.keyRing, register: vault.register },
      { snapshotCacheSize: 0 },
    );
    const request = { purpose: 'contract', callerPurposes: 'all' } as const;
    const [cached, uncached] = await Promise.all([
      vault.reader.read([subjectId], request),
      uncachedReader.read([subjectId], request),
    ]);
    expect(uncached).toEqual(cached);
    expect(uncached.get(subjectId)!.items.find((i) => i.field === 'name')).toMatchObject({
      status: 'VALUE',
      value: 'Ada Byron',
    });
  });
});

describe('kept snapshots', () => {
  const request = { purpose: 'billing', callerPurposes: 'all' } as const;
  /** The subject's read with every value used, and how many boxes were opened for it. */
  async function readCounting(reader: SubjectReader, subjectId: string) {
    const open = vi.spyOn(secretbox, 'open');
    try {
      const read = (await reader.read([subjectId], request)).get(subjectId)!;
      const values = read.items.map((i) =>
        i.status === 'VALUE' ? [i.category, i.field, i.value] : [i.category, i.field, i.status],
      );
      return { values, opens: open.mock.calls.length };
    } finally {
      open.mockRestore();
    }
  }

  it('open one box per category after a repeat read, and never serve a box past a write or a shred', async () => {
    const { vault } = await fresh();
    const s = await subjectWith(vault, [
      contact('name', 'Ada'),
      contact('email', 'ada@example.com'),
      contact('address', { street: 'Main 1', city: 'Berlin' }),
    ]);
    await vault.execute(
      s,
      {
        type: 'RecordPersonalData',
        items: [dataItem('accounting', 'invoiceReference', 'INV-1', 'billing', 'legalObligation')],
      },
      actor,
    );
    const expected = [
      ['contact', 'name', 'Ada'],
      ['contact', 'email', 'ada@example.com'],
      ['contact', 'address', { street: 'Main 1', city: 'Berlin' }],
      ['accounting', 'invoiceReference', 'INV-1'],
    ];

    const first = await readCounting(vault.reader, s);
    expect(first.values).toEqual(expect.arrayContaining(expected));
    expect(first.values).toHaveLength(4);
    expect(first.opens).toBe(4); // one per field
    // Read again: still one per field, and the values boxed for the reads after.
    const second = await readCounting(vault.reader, s);
    expect(second.values).toEqual(first.values);
    expect(second.opens).toBe(4);
    const third = await readCounting(vault.reader, s);
    expect(third.values).toEqual(first.values);
    expect(third.opens).toBe(2); // one per category

    // A write moves the snapshot on: the new value is read, not the box's.
    await vault.execute(s, { type: 'RectifyPersonalData', items: [contact('name', 'Ada King')] }, actor);
    const rectified = await readCounting(vault.reader, s);
    expect(rectified.values).toContainEqual(['contact', 'name', 'Ada King']);
    expect(rectified.opens).toBe(4);

    // A key shredded under a kept snapshot (another replica's shred, before this one projects it):
    // its box goes with it.
    await readCounting(vault.reader, s);
    expect((await readCounting(vault.reader, s)).opens).toBe(2);
    await vault.keyRing.shred([`${s}/contact/1`], 'erasure', new Date().toISOString());
    const shredded = await readCounting(vault.reader, s);
    expect(shredded.values).toEqual(
      expect.arrayContaining([
        ['contact', 'name', 'ERASED'],
        ['accounting', 'invoiceReference', 'INV-1'],
      ]),
    );
    expect(shredded.values.filter(([, , v]) => v !== 'ERASED')).toEqual([['accounting', 'invoiceReference', 'INV-1']]);
  });

  it('are not boxed when the reader keeps none', async () => {
    const { vault } = await fresh();
    const s = await subjectWith(vault, [contact('name', 'Ada'), contact('email', 'ada@example.com')]);
    const uncached = new SubjectReader(
      { views: vault.stores.views, keyRing: vault.keyRing, register: vault.register },
      { snapshotCacheSize: 0 },
    );
    const seal = vi.spyOn(secretbox, 'sealInto');
    try {
      for (let i = 0; i < 3; i++) expect((await readCounting(uncached, s)).opens).toBe(2);
      expect(seal).not.toHaveBeenCalled();
    } finally {
      seal.mockRestore();
    }
  });
});

describe('concurrent commands on one subject', () => {
  it('run one at a time in arrival order within an instance: none conflicts, a refusal holds none up', async () => {
    const { vault } = await fresh();
    const { subjectId } = await vault.commands.registerSubject(actor);
    const names = Array.from({ length: 12 }, (_, i) => `Name ${i}`);
    const writes = names.map((name, i) =>
      i === 5
        ? vault.commands.execute(
            subjectId,
            { type: 'RecordPersonalData', items: [contact('email', 'not an email')] },
            actor,
          )
        : vault.commands.execute(
            subjectId,
            { type: 'RecordPersonalData', items: [contact('name', name)] },
            { ...actor, maxAttempts: 1 },
          ),
    );
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).toEqual(names.map((_, i) => (i === 5 ? 'rejected' : 'fulfilled')));
    const revisions = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.revision] : []));
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(names.length - 1);
    const state = await vault.commands.load(subjectId);
    expect(state.revision).toBe(revisions[revisions.length - 1]);
  });
});

describe('snapshots the projector keeps after writing them', () => {
  it('are dropped once another projector has applied a batch, so no event it applied is lost', async () => {
    const { vault } = await fresh();
    const { stores, keyRing, blindIndex, register } = vault;
    // Another replica's projector over the same log and read models.
    const other = new Projector({ log: stores.log, views: stores.views, keyRing, blindIndex, register });
    const { subjectId } = await vault.commands.registerSubject(actor);
    await vault.commands.execute(subjectId, { type: 'RecordPersonalData', items: [contact('name', 'Ada')] }, actor);
    await vault.projector.catchUp(); // keeps the subject's snapshot

    await vault.commands.execute(
      subjectId,
      { type: 'RecordPersonalData', items: [contact('email', 'ada@example.com')] },
      actor,
    );
    expect(await other.catchUp()).toBeGreaterThan(0); // the other replica applies this one
    await vault.commands.execute(
      subjectId,
      { type: 'RecordPersonalData', items: [contact('phone', '+49301234567')] },
      actor,
    );
    await vault.projector.catchUp();

    const snapshot = (await stores.views.getSubjects([subjectId])).get(subjectId)!;
    expect(Object.keys(snapshot.state.categories.contact!.fields).sort()).toEqual(['email', 'name', 'phone']);
    expect(snapshot.position).toBe(await stores.log.headPosition());
  });
});

describe('live projection', () => {
  it('refuses read models built from another event log (an emptied data directory): CONFIG_INVALID', async () => {
    const { vault, config } = await fresh();
    await subjectWith(vault, [contact('name', 'Ada')]);
    await vault.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(config.dataDir, `events.db${suffix}`), { force: true });
    await expect(fresh({ dataDir: config.dataDir, masterKey: config.masterKey, live: true })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('built from another event log'),
    });
  });

  it('comes back on its own after the read models failed (a store outage), without waiting for a write', async () => {
    const { vault } = await fresh({ live: true });
    const s = await subjectWith(vault, [contact('name', 'Ada')]);
    const views = vault.stores.views;
    const apply = views.apply.bind(views);
    let down = true;
    views.apply = async (...args) => {
      if (down) throw new VaultError('STORE_UNAVAILABLE', 'the read models are down');
      return apply(...args);
    };
    // The append commits; only its projection fails.
    await expect(
      vault.execute(s, { type: 'RecordPersonalData', items: [contact('email', 'ada@example.com')] }, actor),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(vault.projector.healthy).toBe(false);
    down = false;
    for (let waited = 0; !vault.projector.healthy && waited < 10_000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    expect(vault.projector.healthy).toBe(true);
    expect(await views.checkpoint('subjects')).toBe(await vault.stores.log.headPosition());
    const read = (await vault.reader.read([s], { purpose: 'contract', callerPurposes: 'all' })).get(s)!;
    expect(read.items.find((i) => i.field === 'email')).toMatchObject({ status: 'VALUE', value: 'ada@example.com' });
  });

  it('projects the pages its subscription delivers without reading them from the log again', async () => {
    const { vault } = await fresh({ live: true });
    const id = await subjectWith(vault, [contact('name', 'Ada')]);
    const log = vault.stores.log;
    const readAll = log.readAll.bind(log);
    let reads = 0;
    log.readAll = (options) => {
      reads += 1;
      return readAll(options);
    };
    // Sequential writes, each waiting for its projection (read-your-writes), as the API does.
    for (const name of ['Ada King', 'Ada Lovelace', 'Augusta Ada'])
      await vault.execute(id, { type: 'RectifyPersonalData', items: [contact('name', name)] }, actor);
    const read = (await vault.reader.read([id], { purpose: 'contract', callerPurposes: 'all' })).get(id)!;
    expect(read.items.find((i) => i.field === 'name')).toMatchObject({ status: 'VALUE', value: 'Augusta Ada' });
    // Each write's page came with the subscription. Before, every write cost a catch-up: a page
    // read back from the log and an empty read to end it (9 reads here).
    expect(reads).toBeLessThan(3);
    expect(await vault.stores.views.checkpoint('subjects')).toBe(await log.headPosition());
  });
});
