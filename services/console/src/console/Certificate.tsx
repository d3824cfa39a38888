import { useEffect, useState } from 'react';
import { useQuery } from 'urql';

import type { CertificateFieldsFragment } from '../gql/graphql.js';
import { SigningKeyQuery } from './documents.js';

const bytesOf = (b64url: string): Uint8Array<ArrayBuffer> => {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
};

/** Checks an EdDSA flattened JWS against the vault's published Ed25519 key, in the browser (WebCrypto). */
export async function verifyJws(
  jws: { protected: string; payload: string; signature: string },
  key: { kty: string; crv: string; x: string },
): Promise<boolean> {
  const publicKey = await crypto.subtle.importKey('jwk', { kty: key.kty, crv: key.crv, x: key.x }, 'Ed25519', false, [
    'verify',
  ]);
  const input = new TextEncoder().encode(`${jws.protected}.${jws.payload}`);
  return crypto.subtle.verify('Ed25519', publicKey, bytesOf(jws.signature), input);
}

type Check = 'checking' | 'valid' | 'invalid' | 'unsupported';

/** The signed erasure certificate: what went, what stays and why, and whether its signature holds. */
export function Certificate({ signed }: { signed: CertificateFieldsFragment }) {
  const [key] = useQuery({ query: SigningKeyQuery });
  const [check, setCheck] = useState<Check>('checking');
  const k = key.data?.signingKey;
  useEffect(() => {
    if (!k) return;
    verifyJws(signed.jws, k).then(
      (ok) => setCheck(ok ? 'valid' : 'invalid'),
      () => setCheck('unsupported'),
    );
  }, [k, signed.jws]);
  const c = signed.certificate;
  return (
    <section aria-labelledby="certificate" className="card">
      <h2 id="certificate">Erasure certificate</h2>
      <p role="status" data-testid="certificate-check">
        {check === 'valid' && <span className="tag ok">Signature valid</span>}
        {check === 'invalid' && <span className="tag overdue">Signature INVALID</span>}
        {check === 'checking' && 'Checking the signature…'}
        {check === 'unsupported' && 'This browser cannot check Ed25519: verify with /.well-known/jwks.json.'} Signed
        with key {c.signingKeyId}.
      </p>
      <dl className="facts">
        <dt>Subject</dt>
        <dd>{c.subjectId}</dd>
        <dt>Erased at</dt>
        <dd>{c.erasedAt}</dd>
        <dt>Shredded</dt>
        <dd>{c.categoriesShredded.join(', ') || '—'}</dd>
        <dt>Retained</dt>
        <dd>
          {c.categoriesRetained.length === 0
            ? '—'
            : c.categoriesRetained.map((r) => `${r.category} (${r.basis}, until ${r.until})`).join('; ')}
        </dd>
        <dt>Keys destroyed</dt>
        <dd>{c.keysDestroyedAt}</dd>
        <dt>Stale copies unreadable by</dt>
        <dd>{c.staleCopiesUnreadableBy}</dd>
      </dl>
    </section>
  );
}
