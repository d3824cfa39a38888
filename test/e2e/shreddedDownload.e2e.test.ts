import { createHash, createPublicKey, verify } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { recordingsRegister, subjectWithRecordings } from '../integration/recordings.js';
import { type Api, DPO, startApi } from './apiHarness.js';

let api: Api;
let dpo: string;

beforeAll(async () => {
  api = await startApi({ vault: { register: recordingsRegister() } });
  dpo = await api.token(DPO);
});
afterAll(async () => api?.stop());

async function createLink(subjectId: string): Promise<string> {
  const mutation = 'mutation($id: ID!) { createExportLink(subjectId: $id, kind: PORTABILITY) { url } }';
  const res = await api.gql(dpo, mutation, { id: subjectId });
  expect(res.errors).toBeUndefined();
  return (res.data!.createExportLink as { url: string }).url;
}

/** True when the response's signature header signs a digest of exactly these bytes. */
function verifies(res: Response, body: Buffer): boolean {
  const [header, payload, signature] = res.headers.get('vault-signature')!.split('.') as [string, string, string];
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: api.vault.signer.publicJwk.x }, format: 'jwk' });
  if (!verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) return false;
  const digest = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sha256: string; bytes: number };
  return digest.bytes === body.length && digest.sha256 === createHash('sha256').update(body).digest('hex');
}

/** Reads the body to its end or its failure: what arrived, and the failure if any. */
async function readOn(reader: ReadableStreamDefaultReader<Uint8Array>, parts: Uint8Array[], pauseMs = 0) {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return undefined;
      parts.push(value);
      if (pauseMs > 0) await sleep(pauseMs);
    }
  } catch (e) {
    return e;
  }
}

describe('a download over HTTP while the subject is erased', () => {
  it('ends short of its content-length, and what arrived is not a report that verifies', async () => {
    const s = await subjectWithRecordings(api.vault, 80);
    const res = await fetch(await createLink(s));
    expect(res.status).toBe(200);
    const length = Number(res.headers.get('content-length'));
    expect(length).toBeGreaterThan(30_000_000);

    // A slow client: a first part, a read at a time, then the erasure while the transfer is open.
    const reader = res.body!.getReader();
    const parts: Uint8Array[] = [];
    for (let received = 0; received < 2_000_000;) {
      const { done, value } = await reader.read();
      expect(done).toBe(false);
      parts.push(value);
      received += value!.length;
      await sleep(20);
    }
    await api.vault.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' });
    await sleep(700);
    const failure = await readOn(reader, parts);

    const body = Buffer.concat(parts);
    expect(failure).toBeDefined();
    expect(body.length).toBeLessThan(length);
    expect(verifies(res, body)).toBe(false);
    // The server said why, in a line that names nothing of the subject's.
    const line = api.logLines.find((l) => l.includes('KEY_SHREDDED'));
    expect(line).toBeDefined();
    expect(line).not.toContain(s);
    expect(api.logLines.join('\n')).not.toContain('call-0.ogg');

    // The link was spent when the transfer began; a new one serves what is left: nothing, signed.
    expect((await fetch(res.url)).status).toBe(410);
    const after = await fetch(await createLink(s));
    const text = Buffer.from(await after.arrayBuffer());
    expect(verifies(after, text)).toBe(true);
    expect((JSON.parse(text.toString('utf8')) as { items: unknown[] }).items).toEqual([]);
  });
});

describe('a download over HTTP nothing disturbs', () => {
  it('sends every byte of its content-length, read slowly or not, and verifies', async () => {
    const s = await subjectWithRecordings(api.vault, 40);
    const res = await fetch(await createLink(s));
    expect(res.status).toBe(200);
    const parts: Uint8Array[] = [];
    // Slow enough that many looks at the key store fall due along the way.
    expect(await readOn(res.body!.getReader(), parts, 5)).toBeUndefined();
    const body = Buffer.concat(parts);
    expect(body.length).toBe(Number(res.headers.get('content-length')));
    expect(verifies(res, body)).toBe(true);
    expect((JSON.parse(body.toString('utf8')) as { items: unknown[] }).items).toHaveLength(40);
  });
});
