import { describe, expect, it } from 'vitest';
import { signedCertificate } from './verifyCertificate.js';

const jws = { protected: 'h', payload: 'p', signature: 's' };

describe('the file verify-certificate reads', () => {
  it('takes { jws, certificate? } as eraseSubject answers it, bare or inside a saved GraphQL response', () => {
    expect(signedCertificate(JSON.stringify({ jws }))).toEqual({ jws });
    expect(signedCertificate(JSON.stringify({ jws, certificate: { subjectId: 'x' } }))).toEqual({ jws, certificate: { subjectId: 'x' } });
    const response = { data: { eraseSubject: { certificate: { categoriesShredded: ['contact'] }, jws } } };
    expect(signedCertificate(JSON.stringify(response))).toEqual({ jws, certificate: { categoriesShredded: ['contact'] } });
    const completed = { data: { completeRequest: { request: { status: 'COMPLETED' }, certificate: { jws }, link: null } } };
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
    expect(signedCertificate(JSON.stringify({ jws, data: { eraseSubject: { certificate: { subjectId: 'A' }, jws: { protected: 'junk' } } } }))).toBeUndefined();
    expect(signedCertificate(JSON.stringify({ data: { eraseSubject: { jws }, more: { jws: other } } }))).toBeUndefined();
    expect(signedCertificate(JSON.stringify({ data: { somethingElse: { jws } } }))).toBeUndefined();
  });
});
