import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { importSubjects } from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';

import { tempVault } from '../support/tempVault.js';
import {
  allEvents,
  expectEverySubjectOnce,
  field,
  importKilledAndResumed,
  KILL_AND_RESUME_MS,
  runImport,
  summaryOf,
  validLine,
  writeValidLines,
} from './importRuns.js';

/** `vault import` run as the CLI it is, against a fresh embedded vault per test. */

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function freshVaultEnv(): { dir: string; env: NodeJS.ProcessEnv; masterKey: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pdv-import-'));
  dirs.push(dir);
  const masterKey = Buffer.from(nacl.randomBytes(32)).toString('base64');
  const env = {
    ...process.env,
    VAULT_DATA_DIR: join(dir, 'data'),
    VAULT_MASTER_KEY: masterKey,
    VAULT_LOG_LEVEL: 'silent',
  };
  return { dir, env, masterKey };
}

/** Line i of the mixed file, and what the rejects file must say of it (undefined: imported). */
function mixedLine(i: number): { text: string; reject?: { code: string; path: string } } {
  const valid = validLine(i) as { externalId: string; fields: object[] };
  switch (i % 20) {
    case 1:
      return {
        text: JSON.stringify({ ...valid, fields: [field('contacts', 'name', `Person ${i}`, 'contract', 'contract')] }),
        reject: { code: 'BAD_USER_INPUT', path: 'fields[0].category' },
      };
    case 2: {
      const fields = [valid.fields[0], field('contact', 'email', `p${i} at example.com`, 'contract', 'contract')];
      return {
        text: JSON.stringify({ ...valid, fields }),
        reject: { code: 'BAD_USER_INPUT', path: 'fields[1].value' },
      };
    }
    case 3: {
      const fields = [field('newsletterSubscription', 'email', `n${i}@example.com`, 'newsletter', 'consent')];
      return {
        text: JSON.stringify({ externalId: `crm-${i}`, fields }),
        reject: { code: 'CONSENT_REQUIRED', path: 'fields[0].legalBasis' },
      };
    }
    case 4:
      return {
        text: `{"externalId":"crm-${i}","fields":[{"category":"contact"`,
        reject: { code: 'MALFORMED_LINE', path: '' },
      };
    case 5:
      return { text: JSON.stringify({ fields: valid.fields }), reject: { code: 'BAD_USER_INPUT', path: 'externalId' } };
    default:
      return { text: JSON.stringify(valid) };
  }
}

async function openAfter(env: NodeJS.ProcessEnv, masterKey: string) {
  return tempVault({ dataDir: env.VAULT_DATA_DIR!, masterKey });
}

describe('vault import', () => {
  it('imports the valid of 1,000 lines, reports the rest by line, code and path; a re-run adds nothing', async () => {
    const { dir, env, masterKey } = freshVaultEnv();
    const lines = Array.from({ length: 1_000 }, (_, i) => mixedLine(i + 1));
    const file = join(dir, 'subjects.ndjson');
    writeFileSync(file, lines.map((l) => l.text).join('\n') + '\n');
    const rejectsFile = join(dir, 'rejects.ndjson');

    const first = await runImport([file, '--rejects', rejectsFile, '--json'], env);
    expect(first.code, first.stderr).toBe(2);
    const expectedFields = lines.reduce((n, l, i) => n + (l.reject ? 0 : (i + 1) % 3 === 0 ? 3 : 2), 0);
    expect(summaryOf(first)).toMatchObject({
      lines: 1_000,
      imported: 750,
      existing: 0,
      rejected: 250,
      fields: expectedFields,
    });

    const rejectsText = readFileSync(rejectsFile, 'utf8');
    const rejects = rejectsText
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; code: string; path: string });
    const expected = lines.flatMap((l, i) => (l.reject ? [{ line: i + 1, ...l.reject }] : []));
    expect(rejects.sort((a, b) => a.line - b.line)).toEqual(expected);
    expect(rejectsText).not.toMatch(/example\.com|crm-|Person/);
    expect(first.stderr).not.toMatch(/example\.com|crm-|Person/);

    const again = await runImport([file, '--json'], env);
    expect(again.code).toBe(2);
    expect(summaryOf(again)).toMatchObject({ imported: 0, existing: 750, rejected: 250 });

    const { vault, cleanup } = await openAfter(env, masterKey);
    try {
      const events = await allEvents(vault);
      const registered = events.filter((e) => e.type === 'SubjectRegistered');
      expect(registered).toHaveLength(750);
      // No external id reaches the log in plaintext, and the subject ids are UUIDs.
      expect(JSON.stringify(events)).not.toMatch(/crm-|example\.com/);
      const ids = registered.map((e) => (e.data as { subjectId: string }).subjectId);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // The values were sealed as the API seals them: the read side opens them, for a purpose.
      const read = (await vault.reader.read(ids.slice(0, 20), { purpose: 'contract', callerPurposes: 'all' })).values();
      for (const r of read) {
        const email = r.items.find((i) => i.category === 'contact' && i.field === 'email');
        expect(email).toMatchObject({
          status: 'VALUE',
          value: expect.stringMatching(/^p\d+@example\.com$/) as unknown,
        });
      }
      // Each event carries the time the line gave, not the time of the import.
      expect(new Set(events.filter((e) => e.type === 'PersonalDataRecorded').map((e) => e.metadata.at))).toEqual(
        new Set(['2021-03-01T00:00:00.000Z']),
      );
    } finally {
      await cleanup();
    }
  });

  it(
    'resumed after a SIGKILL mid-run, ends with every subject once and none half written',
    async () => {
      const { dir, env, masterKey } = freshVaultEnv();
      const count = 3_000;
      const file = join(dir, 'subjects.ndjson');
      writeValidLines(file, count);

      await importKilledAndResumed(file, count, env);

      const { vault, cleanup } = await openAfter(env, masterKey);
      try {
        expectEverySubjectOnce(await allEvents(vault), count);
      } finally {
        await cleanup();
      }
    },
    KILL_AND_RESUME_MS,
  );

  it('counts retention from collectedAt: a call recording collected 40 days ago is due at once', async () => {
    const { env, masterKey } = freshVaultEnv();
    const recording = { mediaType: 'audio/ogg', contentBase64: 'T2dnUw==' };
    const line = (id: string, days: number) =>
      JSON.stringify({
        externalId: id,
        fields: [
          field('callRecordings', 'recording', recording, 'customerService', 'legitimateInterest', daysAgo(days)),
        ],
      });
    const run = await runImport(['-', '--json'], env, `${line('old', 40)}\n${line('recent', 10)}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run)).toMatchObject({ imported: 2, rejected: 0 });

    const { vault, cleanup } = await openAfter(env, masterKey);
    try {
      const report = await vault.sweepRetention({ dryRun: true });
      expect(report.items.filter((i) => i.category === 'callRecordings')).toHaveLength(1);
    } finally {
      await cleanup();
    }
  });

  it('imports a debtor’s cases each under its own key and clock, refusing a case as the API does', async () => {
    const { dir, env, masterKey } = freshVaultEnv();
    const rejectsFile = join(dir, 'rejects.ndjson');
    const debtor = (name: string, days: number, entry: unknown) => ({
      ...field(
        'debtor',
        name,
        name === 'email' ? 'debtor@example.com' : 'Dee Debtor',
        'debtCollection',
        'x',
        daysAgo(days),
      ),
      legalBasis: 'legitimateInterest',
      source: 'thirdParty',
      entry,
    });
    const lines = [
      // Case A opened 5 years ago and closed 4 years ago (its 3 years are over); case B still open.
      {
        externalId: 'debtor-1',
        fields: [debtor('name', 1_830, 'A-1'), debtor('email', 1_830, 'A-1'), debtor('name', 700, 'B-2')],
        lifecycle: [{ event: 'caseClosed', at: daysAgo(1_460), entry: 'A-1' }],
      },
      { externalId: 'debtor-2', fields: [debtor('name', 700, 'a@b.example')] },
      {
        externalId: 'debtor-3',
        fields: [debtor('name', 700, 'A-1')],
        lifecycle: [{ event: 'caseClosed', at: daysAgo(600), entry: 'Z-9' }],
      },
    ];
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    const run = await runImport(['-', '--rejects', rejectsFile, '--json'], env, text);
    expect(run.code, run.stderr).toBe(2);
    expect(summaryOf(run)).toMatchObject({ imported: 1, rejected: 2 });
    const rejects = readFileSync(rejectsFile, 'utf8');
    expect(
      rejects
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { line: number; code: string; path: string })
        .map(({ line, code, path }) => ({ line, code, path }))
        .sort((a, b) => a.line - b.line),
    ).toEqual([
      { line: 2, code: 'BAD_USER_INPUT', path: 'fields[0].entry' },
      { line: 3, code: 'UNKNOWN_ENTRY', path: 'lifecycle[0].entry' },
    ]);
    expect(run.stderr + rejects).not.toMatch(/a@b\.example|Z-9/);

    const { vault, cleanup } = await openAfter(env, masterKey);
    try {
      const [registered] = (await allEvents(vault)).filter((e) => e.type === 'SubjectRegistered');
      const id = (registered!.data as { subjectId: string }).subjectId;
      const entries = (await vault.commands.load(id)).categories['debtor']!.entries!;
      expect(Object.keys(entries).sort()).toEqual(['A-1', 'B-2']);
      expect(entries['A-1']!.keyId).toBe(`${id}/debtor~A-1/1`);
      expect(Object.keys(entries['A-1']!.lifecycle)).toEqual(['caseClosed']);
      expect(entries['B-2']!.lifecycle).toEqual({});
      const read = (await vault.reader.read([id], { purpose: 'debtCollection', callerPurposes: 'all' })).get(id)!;
      expect(read.items.map((i) => `${(i as { entry?: string }).entry} ${i.field}`).sort()).toEqual([
        'A-1 email',
        'A-1 name',
        'B-2 name',
      ]);
      // Case A alone is due: its case closed over 3 years ago.
      const report = await vault.sweepRetention({ dryRun: true });
      expect(report.items.filter((i) => i.category === 'debtor')).toMatchObject([{ subjectId: id, entries: ['A-1'] }]);
    } finally {
      await cleanup();
    }
  });

  it('reads standard input and refuses times in the future or before 1970 with TIME_OUT_OF_RANGE', async () => {
    const { dir, env } = freshVaultEnv();
    const at = (t: string) => ({
      externalId: `t-${t}`,
      fields: [field('contact', 'name', 'Someone', 'contract', 'contract', t)],
    });
    const input = [at(daysAgo(1)), at(daysAgo(-1)), at('1969-12-31T23:59:59Z'), at('2021-02-30T00:00:00Z')]
      .map((l) => JSON.stringify(l))
      .join('\n');
    const rejectsFile = join(dir, 'rejects.ndjson');
    const run = await runImport(['-', '--json', '--rejects', rejectsFile], env, input);
    expect(run.code).toBe(2);
    expect(summaryOf(run)).toMatchObject({ lines: 4, imported: 1, rejected: 3 });
    const rejects = readFileSync(rejectsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as object);
    expect(rejects).toEqual(
      expect.arrayContaining([
        { line: 2, code: 'TIME_OUT_OF_RANGE', path: 'fields[0].collectedAt' },
        { line: 3, code: 'TIME_OUT_OF_RANGE', path: 'fields[0].collectedAt' },
        { line: 4, code: 'BAD_USER_INPUT', path: 'fields[0].collectedAt' },
      ]),
    );
  });

  it('refuses a line over --max-line-bytes by number, LINE_TOO_LONG, and imports the lines around it', async () => {
    const { dir, env } = freshVaultEnv();
    const file = join(dir, 'huge.ndjson');
    // A 24 MiB value, three times the default limit (8 MiB), on lines 2 and 201.
    const huge = JSON.stringify({
      externalId: 'huge',
      fields: [field('contact', 'name', 'x'.repeat(24 << 20), 'contract', 'contract')],
    });
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify(validLine(i + 1)));
    lines.splice(1, 0, huge);
    lines.splice(200, 0, huge);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const rejectsFile = join(dir, 'rejects.ndjson');
    const run = await runImport([file, '--json', '--rejects', rejectsFile], env);
    expect(run.code, run.stderr).toBe(2);
    expect(summaryOf(run)).toMatchObject({ lines: 302, imported: 300, rejected: 2 });
    const rejects = readFileSync(rejectsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as object);
    expect(rejects).toEqual([
      { line: 2, code: 'LINE_TOO_LONG', path: '' },
      { line: 201, code: 'LINE_TOO_LONG', path: '' },
    ]);
  });

  it('loses no line of a file that starts flowing while the store is slow to answer (PostgreSQL)', async () => {
    const { dir } = freshVaultEnv();
    const count = 3_000;
    const file = join(dir, 'subjects.ndjson');
    writeValidLines(file, count);
    const { vault, cleanup } = await tempVault({ dataDir: join(dir, 'data') });
    try {
      const keyRing = vault.keyRing;
      // A key store across the network: the secret arrives after the file's first chunks were read.
      const slow = Object.create(keyRing) as typeof keyRing;
      slow.secret = async (name: string, length: number) => {
        await new Promise((r) => setTimeout(r, 300));
        return keyRing.secret(name, length);
      };
      const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
      const counts = await importSubjects(
        { log: vault.stores.log, keyRing: slow, register: vault.register, now: () => vault.now() },
        lines,
      );
      expect(counts).toMatchObject({ lines: count, imported: count });
    } finally {
      await cleanup();
    }
  });
});
