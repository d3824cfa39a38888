import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

import { VaultError } from '../../domain/errors.js';
import type { Download } from '../../rights/SubjectRights.js';
import type { Vault } from '../../vault.js';
import type { AccessRecorder } from '../accessRecorder.js';
import { downloadRoutes, JWKS_PATH } from './downloads.js';

const JWK = { kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' };

async function app(redeem: (token: string, onRedeem: (d: Download) => void) => Promise<Download>) {
  const recorded: unknown[] = [];
  const vault = { rights: { redeem }, signer: { publicJwk: JWK }, now: () => new Date(0) } as unknown as Vault;
  const a = Fastify();
  await a.register(downloadRoutes, {
    vault,
    access: { record: (e: unknown) => recorded.push(e) } as unknown as AccessRecorder,
    publicUrl: () => 'https://vault.example',
  });
  return { a, recorded };
}

async function* chunks(...parts: string[]) {
  yield* parts;
}

describe('downloads', () => {
  it('streams the report with its signature headers, and logs the disclosure before the link is spent', async () => {
    const body = '{"report":true}';
    const download: Download = {
      kind: 'ACCESS',
      subjectId: 's1',
      signature: { bytes: body.length } as Download['signature'],
      jws: 'h.p.s',
      categories: ['contact'],
      body: chunks('{"report":', 'true}'),
    };
    const { a, recorded } = await app(async (_t, onRedeem) => {
      onRedeem(download);
      return download;
    });
    const res = await a.inject({ method: 'GET', url: '/exports/tok' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(body);
    expect(res.headers).toMatchObject({
      'content-disposition': 'attachment; filename="access-report.json"',
      'cache-control': 'no-store',
      'vault-signature': 'h.p.s',
      'vault-signing-key': `https://vault.example${JWKS_PATH}`,
    });
    expect(recorded).toEqual([
      expect.objectContaining({ subjectId: 's1', categories: ['contact'], purpose: 'dataSubjectRights' }),
    ]);
  });

  it('answers 404, 410 and 503 in fixed words, saying nothing about the subject', async () => {
    for (const [error, status, code] of [
      [new VaultError('NOT_FOUND', 'x'), 404, 'NOT_FOUND'],
      [new VaultError('LINK_GONE', 'The link was used'), 410, 'LINK_GONE'],
      [new VaultError('STORE_UNAVAILABLE', 'x'), 503, 'SERVICE_UNAVAILABLE'],
    ] as const) {
      const { a } = await app(() => Promise.reject(error));
      const res = await a.inject({ method: 'GET', url: '/exports/tok' });
      expect([res.statusCode, res.json().code]).toEqual([status, code]);
    }
  });

  it('has no HEAD route, which would spend the link', async () => {
    const { a } = await app(() => Promise.reject(new Error('must not be called')));
    expect((await a.inject({ method: 'HEAD', url: '/exports/tok' })).statusCode).toBe(404);
  });

  it('publishes the public signing key as a JWK Set', async () => {
    const { a } = await app(() => Promise.reject(new Error('unused')));
    const res = await a.inject({ method: 'GET', url: JWKS_PATH });
    expect(res.json()).toEqual({ keys: [JWK] });
  });
});
