import { describe, expect, it } from 'vitest';

import { publicKeyFor, signedCertificate } from './verifyCertificate.js';

const jws = { protected: 'h', payload: 'p', signature: 's' };

describe('the file verify-certificate reads', () => {
  it('takes { jws, certificate? } as eraseSubject answers it, bare or inside a saved GraphQL response', () => {
    expect(signedCertificate(JSON.stringify({ jws }))).toEqual({ jws });
    expect(signedCertificate(JSON.stringify({ jws, certificate: { subjectId: 'x' } }))).toEqual({
      jws,
      certificate: { subjectId: 'x' },
    });
    const response = { data: { eraseSubject: { certificate: { categoriesShredded: ['contact'] }, jws } } };
    expect(signedCertificate(JSON.stringify(response))).toEqual({
      jws,
      certificate: { categoriesShredded: ['contact'] },
    });
    const completed = {
      data: { completeRequest: { request: { status: 'COMPLETED' }, certificate: { jws }, link: null } },
    };
    expect(signedCertificate(JSON.stringify(completed))).toEqual({ jws });
  });

  it('finds nothing in what is not one: not JSON, no jws, a jws missing a part', () => {
    expect(signedCertificate('not json')).toBeUndefined();
    expect(signedCertificate(JSON.stringify({ certificate: {} }))).toBeUndefined();
    expect(signedCertificate(JSON.stringify({ jws: { protected: 'h', payload: 'p' } }))).toBeUndefined();
    expect(signedCertificate(JSON.stringify({ data: { eraseSubject: null } }))).toBeUndefined();
    expect(signedCertificate('null')).toBeUndefined();
  });

  it('refuses a file with more than one JWS, or one away from the places the vault puts it', () => {
    const other = { protected: 'h2', payload: 'p2', signature: 's2' };
    expect(
      signedCertificate(
        JSON.stringify({
          jws,
          data: { eraseSubject: { certificate: { subjectId: 'A' }, jws: { protected: 'junk' } } },
        }),
      ),
    ).toBeUndefined();
    expect(
      signedCertificate(JSON.stringify({ data: { eraseSubject: { jws }, more: { jws: other } } })),
    ).toBeUndefined();
    expect(signedCertificate(JSON.stringify({ data: { somethingElse: { jws } } }))).toBeUndefined();
  });

  it('takes the jws alone, as its JSON object or in compact form, and nothing beside it', () => {
    expect(signedCertificate(JSON.stringify(jws))).toEqual({ jws });
    expect(signedCertificate(' h.p.s\n')).toEqual({ jws });
    expect(signedCertificate(JSON.stringify({ ...jws, subjectId: 'A' }))).toBeUndefined();
    expect(signedCertificate('h.p')).toBeUndefined();
  });
});

describe('the public key verify-certificate checks with', () => {
  const header = (kid: string) => Buffer.from(JSON.stringify({ alg: 'EdDSA', kid })).toString('base64url');
  const key = (kid: string) => ({ kty: 'OKP', crv: 'Ed25519', x: `x-${kid}`, kid, alg: 'EdDSA', use: 'sig' });

  it("is the JWK in the file, or the key of a JWK Set the JWS names, or the set's only key", () => {
    expect(publicKeyFor({ ...jws, protected: header('a') }, JSON.stringify(key('a')), 'k.json')).toEqual(key('a'));
    expect(
      publicKeyFor({ ...jws, protected: header('b') }, JSON.stringify({ keys: [key('a'), key('b')] }), 'k.json'),
    ).toEqual(key('b'));
    expect(publicKeyFor({ ...jws, protected: header('z') }, JSON.stringify({ keys: [key('a')] }), 'k.json')).toEqual(
      key('a'),
    );
  });

  it('is refused clearly when the file holds no such key', () => {
    expect(() =>
      publicKeyFor({ ...jws, protected: header('z') }, JSON.stringify({ keys: [key('a'), key('b')] }), 'k.json'),
    ).toThrow(/holds no key/);
    expect(() => publicKeyFor(jws, 'not json', 'k.json')).toThrow(/neither a public JWK nor a JWK Set/);
    expect(() => publicKeyFor(jws, JSON.stringify({ keys: 'x' }), 'k.json')).toThrow(
      /neither a public JWK nor a JWK Set/,
    );
  });
});
