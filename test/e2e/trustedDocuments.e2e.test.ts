import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { isVaultError } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../support/cliProcess.js';
import { type Api, DPO, SERVICE, startApi, subjectPrincipal } from './apiHarness.js';

/** A service's operations as it keeps them: two files, a fragment shared between them. */
const FILES = {
  'reads.graphql': `
    query ReadContact($id: ID!) { subject(id: $id, purpose: "contract") { id items { ...Item } } }
    fragment Item on PersonalDataItem { status category field ... on PersonalDataValue { value } }
  `,
  'writes.graphql': `
    mutation Register { registerSubject { subjectId } }
    mutation RecordName($id: ID!, $name: JSON!) {
      recordPersonalData(
        subjectId: $id
        items: [
          {
            category: "contact", field: "name", value: $name
            purpose: "contract", legalBasis: "contract", source: "subject"
          }
        ]
      ) { revision }
    }
  `,
};

interface Manifest {
  format: string;
  version: number;
  operations: { id: string; name: string; type: string; body: string }[];
}

let dir: string;
let manifestFile: string;
let manifest: Manifest;
let api: Api;
let service: string;
const idOf = (name: string) => manifest.operations.find((o) => o.name === name)!.id;

async function post(token: string, body: Record<string, unknown>) {
  const res = await fetch(`${api.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { data?: Record<string, any>; errors?: { extensions?: { code?: string } }[] };
  return { status: res.status, data: json.data, codes: (json.errors ?? []).map((e) => e.extensions?.code) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vault-trusted-'));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
  manifestFile = join(dir, 'manifest.json');
  const run = runCli([
    'trusted-documents',
    join(dir, 'reads.graphql'),
    join(dir, 'writes.graphql'),
    '--out',
    manifestFile,
  ]);
  expect([run.status, run.stderr]).toEqual([0, '3 operations written to ' + manifestFile + '\n']);
  manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  api = await startApi({ server: { trustedDocumentsFile: manifestFile } });
  service = await api.token(SERVICE);
});

afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('vault trusted-documents', () => {
  it("writes Apollo's manifest: an entry per named operation with its fragments, its id its text's SHA-256", () => {
    expect(manifest.format).toBe('apollo-persisted-query-manifest');
    expect(manifest.version).toBe(1);
    expect(manifest.operations.map((o) => [o.name, o.type])).toEqual([
      ['ReadContact', 'query'],
      ['RecordName', 'mutation'],
      ['Register', 'mutation'],
    ]);
    for (const o of manifest.operations) expect(o.id).toBe(createHash('sha256').update(o.body).digest('hex'));
    expect(manifest.operations[0]!.body).toContain('fragment Item on PersonalDataItem');
    expect(manifest.operations[2]!.body).not.toContain('fragment');
  });

  it('refuses an operation that does not validate, or has no name, and writes nothing', () => {
    const bad = join(dir, 'bad.graphql');
    const out = join(dir, 'bad.json');
    writeFileSync(bad, 'query Bad { subject(id: "x", purpose: "contract") { nosuchfield } }');
    const r = runCli(['trusted-documents', bad, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^vault: BAD_USER_INPUT: operation Bad does not validate against the schema/);
    writeFileSync(bad, '{ me { role } }');
    expect(runCli(['trusted-documents', bad, '--out', out]).stderr).toMatch(/every operation needs a name/);
    expect(() => readFileSync(out)).toThrow();
  });
});

describe('a vault with trusted documents', () => {
  it("runs a service's operations by id, either spelling, and answers its text PERSISTED_QUERY_REQUIRED", async () => {
    const registered = await post(service, { documentId: idOf('Register') });
    expect(registered.status).toBe(200);
    const id = registered.data!.registerSubject.subjectId as string;
    expect(
      (await post(service, { documentId: `sha256:${idOf('RecordName')}`, variables: { id, name: 'Ann' } })).status,
    ).toBe(200);
    // Apollo's spelling: extensions.persistedQuery with the hash and no text.
    const read = await post(service, {
      extensions: { persistedQuery: { version: 1, sha256Hash: idOf('ReadContact') } },
      variables: { id },
    });
    expect(read.data!.subject.items).toEqual([{ status: 'VALUE', category: 'contact', field: 'name', value: 'Ann' }]);

    const before = (await api.vault.commands.load(id)).revision;
    const adHoc = await post(service, {
      query: FILES['writes.graphql'],
      operationName: 'RecordName',
      variables: { id, name: 'Bob' },
    });
    expect([adHoc.status, adHoc.codes]).toEqual([403, ['PERSISTED_QUERY_REQUIRED']]);
    // The text of a listed operation, sent as text, is still ad hoc; so is registering one the APQ way.
    const listedText = manifest.operations.find((o) => o.name === 'Register')!.body;
    expect((await post(service, { query: listedText })).codes).toEqual(['PERSISTED_QUERY_REQUIRED']);
    expect(
      (
        await post(service, {
          query: listedText,
          extensions: {
            persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(listedText).digest('hex') },
          },
        })
      ).status,
    ).toBe(200);
    const apq = await post(service, {
      query: '{ me { role } }',
      extensions: {
        persistedQuery: { version: 1, sha256Hash: createHash('sha256').update('{ me { role } }').digest('hex') },
      },
    });
    expect([apq.status, apq.codes]).toEqual([403, ['PERSISTED_QUERY_REQUIRED']]);
    expect((await api.vault.commands.load(id)).revision).toBe(before);
  });

  it('answers an unknown id with 400 PERSISTED_QUERY_NOT_FOUND, whoever asks', async () => {
    for (const token of [service, await api.token(DPO)]) {
      const r = await post(token, { documentId: 'f'.repeat(64) });
      expect([r.status, r.codes]).toEqual([400, ['PERSISTED_QUERY_NOT_FOUND']]);
    }
  });

  it('leaves the DPO and data subjects their ad-hoc queries, within the limits', async () => {
    const dpo = await api.token(DPO);
    const id = (await post(dpo, { query: 'mutation { registerSubject { subjectId } }' })).data!.registerSubject
      .subjectId as string;
    expect((await post(await api.token(subjectPrincipal(id)), { query: '{ me { role name } }' })).data).toEqual({
      me: { role: 'SUBJECT', name: id },
    });
    // And the trusted ones, by id.
    expect((await post(dpo, { documentId: idOf('ReadContact'), variables: { id } })).status).toBe(200);
  });
});

describe('loading a manifest', () => {
  it("takes The Guild's format (id to document) as well", async () => {
    const guild = join(dir, 'guild.json');
    const body = 'query Me { me { role } }';
    writeFileSync(guild, JSON.stringify({ [createHash('sha256').update(body).digest('hex')]: body }));
    const other = await startApi({ server: { trustedDocumentsFile: guild } });
    try {
      const res = await fetch(`${other.server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await other.token(SERVICE)}` },
        body: JSON.stringify({ documentId: createHash('sha256').update(body).digest('hex') }),
      });
      expect(await res.json()).toEqual({ data: { me: { role: 'SERVICE' } } });
    } finally {
      await other.stop();
    }
  });

  it('refuses to start on a manifest that is not one, or holds a refused operation: CONFIG_INVALID', async () => {
    const cases = [
      'not json',
      JSON.stringify([1, 2]),
      JSON.stringify({ abc: '{ subject { nosuchfield } }' }),
      JSON.stringify({ abc: `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: me { role }`).join(' ')} }` }),
      JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 2, operations: [] }),
    ];
    for (const [i, text] of cases.entries()) {
      const file = join(dir, `broken-${i}.json`);
      writeFileSync(file, text);
      const error = await startApi({ server: { trustedDocumentsFile: file } }).then(
        async (a) => {
          await a.stop();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect([i, isVaultError(error, 'CONFIG_INVALID')]).toEqual([i, true]);
    }
  });

  it('without a manifest, a document id is 400 PERSISTED_QUERY_NOT_FOUND and text is served', async () => {
    const plain = await startApi();
    try {
      const token = await plain.token(SERVICE);
      const send = async (body: unknown) => {
        const res = await fetch(`${plain.server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
        return [
          res.status,
          ((await res.json()) as { errors?: { extensions: { code: string } }[] }).errors?.[0]?.extensions.code,
        ];
      };
      expect(await send({ documentId: 'abc' })).toEqual([400, 'PERSISTED_QUERY_NOT_FOUND']);
      expect(await send({ query: '{ me { role } }' })).toEqual([200, undefined]);
    } finally {
      await plain.stop();
    }
  });
});
