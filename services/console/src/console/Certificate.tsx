// The vault's own check of what a GraphQL answer shows against what was signed, run here in the browser.
import { showsSigned } from '@pdv/vault/shows-signed';
import { useEffect, useState } from 'react';
import { useQuery } from 'urql';

import type { CertificateFieldsFragment, PropagationReceiptsQuery } from '../gql/graphql.js';
import { PropagationQuery, PropagationReceiptsQuery as ReceiptsQuery, SigningKeyQuery } from './documents.js';
import { code, m } from './messages.js';

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

type Check = 'checking' | 'valid' | 'invalid' | 'mismatch' | 'unsupported';
type Jws = CertificateFieldsFragment['jws'];

/** Whether a flattened JWS holds under the vault's published key and covers what is shown, checked in this browser. */
function useCheck(jws: Jws, shown: object): Check {
  const [key] = useQuery({ query: SigningKeyQuery });
  const [check, setCheck] = useState<Check>('checking');
  const k = key.data?.signingKey;
  useEffect(() => {
    if (!k) return;
    const covers = () => showsSigned(JSON.parse(new TextDecoder().decode(bytesOf(jws.payload))), shown);
    verifyJws(jws, k).then(
      (ok) => setCheck(!ok ? 'invalid' : covers() ? 'valid' : 'mismatch'),
      () => setCheck('unsupported'),
    );
  }, [k, jws, shown]);
  return check;
}

/** The verification state of a signed document, as the certificate and the receipt show it. */
function SignatureCheck(props: { jws: Jws; shown: object; keyId: string; testId: string }) {
  const { jws, shown, keyId, testId } = props;
  const check = useCheck(jws, shown);
  return (
    <p role="status" data-testid={testId}>
      {check === 'valid' && <span className="tag ok">{m.signatureValid}</span>}
      {check === 'invalid' && <span className="tag overdue">{m.signatureInvalid}</span>}
      {check === 'mismatch' && <span className="tag overdue">{m.signatureMismatch}</span>}
      {check === 'checking' && m.checking}
      {check === 'unsupported' && m.noEd25519} {m.signedWith(keyId)}
    </p>
  );
}

/** The signed erasure certificate: what went, what stays and why, who is told, and whether its signature holds. */
export function Certificate({ signed }: { signed: CertificateFieldsFragment }) {
  const c = signed.certificate;
  return (
    <section aria-labelledby="certificate" className="card">
      <h2 id="certificate">{m.certificate}</h2>
      <SignatureCheck jws={signed.jws} shown={c} keyId={c.signingKeyId} testId="certificate-check" />
      <dl className="facts">
        <dt>{m.subject}</dt>
        <dd>{c.subjectId}</dd>
        <dt>{m.erasedAt}</dt>
        <dd>{c.erasedAt}</dd>
        <dt>{m.shredded}</dt>
        <dd>{c.categoriesShredded.join(', ') || '—'}</dd>
        <dt>{m.retained}</dt>
        <dd data-testid="certificate-retained">
          {c.categoriesRetained.length === 0 ? '—' : <Retained retained={c.categoriesRetained} />}
        </dd>
        <dt>{m.keysDestroyed}</dt>
        <dd>{c.keysDestroyedAt}</dd>
        <dt>{m.staleUnreadable}</dt>
        <dd>{c.staleCopiesUnreadableBy}</dd>
        <dt>{m.notifiedTo}</dt>
        <dd data-testid="certificate-recipients">
          {c.recipients.length === 0
            ? m.nobodyNotified
            : c.recipients.map((r) => `${r.recipient} (${r.categories.join(', ')})`).join('; ')}
        </dd>
      </dl>
    </section>
  );
}

/**
 * What the erasure kept, a category a line, and under it, where the period runs per value or per case or record,
 * each value with its own end (a date, or open while the period that keeps it has not started) and the hold keeping
 * it where that is not the category's.
 */
function Retained({ retained }: { retained: CertificateFieldsFragment['certificate']['categoriesRetained'] }) {
  return (
    <ul>
      {retained.map((r) => (
        <li key={r.category}>
          {m.retainedAs(r.category, r.basis, r.until)}
          {r.entries && r.entries.length > 0 && (
            <ul>
              {r.entries.map((e) => (
                <li key={`${e.entry ?? ''}/${e.field}`}>{m.retainedValue(e.field, e.until, e.entry, e.basis)}</li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * The signed propagation receipts of a subject's erasure, or of one erasure request: each recipient's
 * acknowledgement, and whether the receipt's signature holds. Until the last recipient acknowledges there is none.
 */
export function Receipts(props: { subjectId: string } | { requestId: string }) {
  const [found] = useQuery({ query: ReceiptsQuery, variables: props, requestPolicy: 'network-only' });
  const receipts = found.data?.propagationReceipts;
  return (
    <section aria-labelledby="receipt" className="card">
      <h2 id="receipt">{m.receipt}</h2>
      {found.error && <p role="alert">{found.error.message}</p>}
      {receipts?.length === 0 && <p role="status">{m.noReceipt}</p>}
      {receipts?.map((signed) => (
        <Receipt key={signed.receipt.erasureEventId} signed={signed} />
      ))}
      <Awaiting {...props} />
    </section>
  );
}

/**
 * The erasure notifications no recipient has acknowledged yet (what a receipt waits for), each flagged when it is
 * past the register's `acknowledgeWithin`: the notification's `overdue`, which makes its request's
 * `propagationOverdue`.
 */
function Awaiting(props: { subjectId: string } | { requestId: string }) {
  const [found] = useQuery({ query: PropagationQuery, variables: props, requestPolicy: 'network-only' });
  const waiting = (found.data?.propagation ?? []).filter((n) => n.action === 'erasure' && !n.acknowledgedAt);
  if (found.error) return <p role="alert">{found.error.message}</p>;
  if (waiting.length === 0) return null;
  return (
    <table data-testid="awaiting">
      <caption>{m.awaiting}</caption>
      <thead>
        <tr>
          <th scope="col">{m.recipient}</th>
          <th scope="col">{m.categories}</th>
          <th scope="col">{m.erasedFields}</th>
          <th scope="col">{m.status}</th>
          <th scope="col">{m.delivered}</th>
        </tr>
      </thead>
      <tbody>
        {waiting.map((n) => (
          <tr key={n.id}>
            <td>{n.recipient}</td>
            <td>{n.categories.join(', ')}</td>
            <td>{n.fields.length === 0 ? '—' : m.fieldOf(n.fields.join(', '), n.entry)}</td>
            <td>
              {code(n.status)}
              {n.overdue && (
                <>
                  {' '}
                  <span className="tag overdue">{m.propagationLate}</span>
                </>
              )}
            </td>
            <td>{n.deliveredAt ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Receipt({ signed }: { signed: PropagationReceiptsQuery['propagationReceipts'][number] }) {
  const r = signed.receipt;
  return (
    <div data-receipt={r.erasureEventId}>
      <p>{m.receiptIntro}</p>
      <SignatureCheck jws={signed.jws} shown={r} keyId={r.signingKeyId} testId="receipt-check" />
      <dl className="facts">
        <dt>{m.subject}</dt>
        <dd>{r.subjectId}</dd>
        {r.fields && (
          <>
            <dt>{m.erasedFields}</dt>
            <dd data-testid="receipt-fields">{r.fields.join(', ')}</dd>
          </>
        )}
        {r.entry && (
          <>
            <dt>{m.entry}</dt>
            <dd data-testid="receipt-entry">{r.entry}</dd>
          </>
        )}
        <dt>{m.erasedAt}</dt>
        <dd>{r.erasedAt}</dd>
        <dt>{m.completedAt}</dt>
        <dd>{r.completedAt}</dd>
      </dl>
      <table>
        <thead>
          <tr>
            <th scope="col">{m.recipient}</th>
            <th scope="col">{m.categories}</th>
            <th scope="col">{m.delivered}</th>
            <th scope="col">{m.acknowledged}</th>
            <th scope="col">{m.via}</th>
            <th scope="col">{m.notification}</th>
          </tr>
        </thead>
        <tbody>
          {r.recipients.map((x) => (
            <tr key={x.notificationId}>
              <td>{x.recipient}</td>
              <td>{x.categories.join(', ')}</td>
              <td>{x.deliveredAt ?? '—'}</td>
              <td>{x.acknowledgedAt}</td>
              <td>{code(x.acknowledgedVia)}</td>
              <td>
                <code>{x.notificationId}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
