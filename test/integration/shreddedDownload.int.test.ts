import { createHash, createPublicKey, verify } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Download, Vault } from '@pdv/vault';
import { describe, expect, it } from 'vitest';

import { useTempVaults } from '../support/tempVault.js';
import { RECORDING_CATEGORIES, recordingsRegister, subjectWithRecordings } from './recordings.js';

const vaults = useTempVaults();
const open = async () => (await vaults.open({ register: recordingsRegister() })).vault;
const erase = (vault: Vault, subjectId: string) =>
  vault.erase(subjectId, { actor: 'dpo:anna', reason: 'subjectRequest' });

/** True when the JWS signs a digest of exactly these bytes (checked with node:crypto, not the vault's signer). */
function verifies(vault: Vault, download: Download, text: string): boolean {
  const [header, payload, signature] = download.jws.split('.') as [string, string, string];
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: vault.signer.publicJwk.x }, format: 'jwk' });
  if (!verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) return false;
  const digest = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sha256: string; bytes: number };
  return digest.bytes === Buffer.byteLength(text) && digest.sha256 === createHash('sha256').update(text).digest('hex');
}

/** Pulls chunks until `until` says stop; what came, and how many bytes. */
async function readWhile(body: AsyncIterator<string>, until: (bytes: number, chunk: string) => boolean) {
  let text = '';
  for (;;) {
    const next = await body.next();
    if (next.done) return { text, done: true };
    text += next.value;
    if (until(Buffer.byteLength(text), next.value)) return { text, done: false };
  }
}

describe('a download streamed while a category is shredded', () => {
  it('fails with KEY_SHREDDED on the first chunk asked for after a pause longer than the check interval', async () => {
    const vault = await open();
    const s = await subjectWithRecordings(vault, 40);
    const download = await vault.rights.download(s, 'PORTABILITY');
    const body = download.body[Symbol.asyncIterator]();
    const first = await readWhile(body, (bytes) => bytes > 1_000_000);
    expect(first.done).toBe(false);

    await erase(vault, s);
    // A slow client: longer than the 500 ms after which a look at the key store is due whatever the bytes.
    await sleep(700);
    await expect(body.next()).rejects.toMatchObject({ code: 'KEY_SHREDDED' });
    expect(Buffer.byteLength(first.text)).toBeLessThan(download.signature.bytes);
  });

  it('fails however fast it is read, within a few megabytes, and never passes on a whole report', async () => {
    const vault = await open();
    const s = await subjectWithRecordings(vault, 80);
    const download = await vault.rights.download(s, 'ACCESS');
    const body = download.body[Symbol.asyncIterator]();
    const first = await readWhile(body, (bytes) => bytes > 1_000_000);

    await erase(vault, s);
    let after = 0;
    let failure: unknown;
    try {
      await readWhile(body, (_, chunk) => ((after += Buffer.byteLength(chunk)), false));
    } catch (e) {
      failure = e;
    }
    expect(failure).toMatchObject({ code: 'KEY_SHREDDED' });
    // Bounded by the 4 MiB between looks plus the chunk in hand, far short of the 32 MB report.
    expect(download.signature.bytes).toBeGreaterThan(30_000_000);
    expect(Buffer.byteLength(first.text) + after).toBeLessThan(8_000_000);
    // The message names no subject, category or key.
    expect((failure as Error).message).not.toContain(s);
    for (const category of RECORDING_CATEGORIES) expect((failure as Error).message).not.toContain(category);
  });

  it('withholds the last chunk when the shred comes after everything else was read', async () => {
    const vault = await open();
    const s = await subjectWithRecordings(vault, 2, 1000);
    const download = await vault.rights.download(s, 'ACCESS');
    const body = download.body[Symbol.asyncIterator]();
    // The report ends with its one-byte closing brace: read up to it, quickly (no look falls due).
    const read = await readWhile(body, (bytes) => bytes === download.signature.bytes - 1);
    expect(read.done).toBe(false);

    await erase(vault, s);
    await expect(body.next()).rejects.toMatchObject({ code: 'KEY_SHREDDED' });
    expect(verifies(vault, download, `${read.text}}`)).toBe(true); // the byte withheld was the one that completed it
  });

  it('makes a new report showing the category erased when the shred comes while the report is hashed', async () => {
    const vault = await open();
    const s = await subjectWithRecordings(vault, 4, 1000);
    const store = vault.keyRing.store;
    const getByIds = store.getByIds.bind(store);
    let calls = 0;
    // The first read loads the keys of the hashing pass: the erasure comes with the next, while that pass runs.
    store.getByIds = async (ids) => {
      if (++calls === 2) await erase(vault, s);
      return getByIds(ids);
    };
    const download = await vault.rights.download(s, 'ACCESS');
    let text = '';
    for await (const chunk of download.body) text += chunk;

    expect(calls).toBeGreaterThan(2);
    expect(verifies(vault, download, text)).toBe(true);
    type Item = { category: string; value?: unknown; status: { state: string } };
    const { items } = JSON.parse(text) as { items: Item[] };
    const recordings = items.filter((i) => (RECORDING_CATEGORIES as readonly string[]).includes(i.category));
    expect(recordings.length).toBeGreaterThan(0);
    expect(recordings.every((i) => i.status.state === 'ERASED' && i.value === undefined)).toBe(true);
  });
});

describe('a download nothing disturbs', () => {
  it('streams every byte its signature covers, and verifies', async () => {
    const vault = await open();
    const s = await subjectWithRecordings(vault, 40);
    const download = await vault.rights.download(s, 'PORTABILITY');
    let text = '';
    for await (const chunk of download.body) text += chunk;
    expect(Buffer.byteLength(text)).toBe(download.signature.bytes);
    expect(verifies(vault, download, text)).toBe(true);
    expect((JSON.parse(text) as { items: unknown[] }).items).toHaveLength(40);
  });
});
