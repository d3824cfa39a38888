import { showsSigned } from '../crypto/showsSigned.js';
import { type FlattenedJws, type PublicJwk, type Signer, verifyJws } from '../crypto/signer.js';
import { VaultError } from '../domain/errors.js';
import type { PropagationReceiptData } from '../domain/propagation.js';

/**
 * The erasure certificate's companion (Art. 17(2), 19): every recipient an erasure (a subject's, or one field's) was
 * notified to acknowledged it, when, and how. Ids, names, codes and times only;
 * `schema/propagation-receipt.schema.json`.
 */
export interface PropagationReceipt extends PropagationReceiptData {
  type: 'PropagationReceipt';
  version: 1;
  signingKeyId: string;
}

export interface SignedPropagationReceipt {
  receipt: PropagationReceipt;
  jws: FlattenedJws;
}

export const RECEIPT_TYP = 'pdv-propagation-receipt+json';

/**
 * Signs a receipt as recorded (`PropagationReceiptIssued`). Ed25519 signatures are deterministic, so the same
 * recorded receipt is the same signed document however often it is asked for.
 */
export function signReceipt(signer: Signer, data: PropagationReceiptData): SignedPropagationReceipt {
  const receipt: PropagationReceipt = {
    type: 'PropagationReceipt',
    version: 1,
    subjectId: data.subjectId,
    requestId: data.requestId,
    erasureEventId: data.erasureEventId,
    // A subject erasure's receipt has neither, so it signs to the bytes it did before field receipts existed.
    ...(data.fields ? { fields: [...data.fields] } : {}),
    ...(data.entry ? { entry: data.entry } : {}),
    erasedAt: data.erasedAt,
    completedAt: data.completedAt,
    recipients: data.recipients.map((r) => ({ ...r, categories: [...r.categories] })),
    signingKeyId: signer.publicJwk.kid,
  };
  return { receipt, jws: signer.sign(receipt, RECEIPT_TYP) };
}

/**
 * Checks a signed receipt as `verifyCertificate` checks a certificate: the signature, the JWS's `typ` (no other
 * signed document passes for a receipt), the key ids, and that a receipt shown beside its JWS is what was signed
 * (or a selection of it, as a GraphQL answer is). Returns the signed receipt; SIGNATURE_INVALID otherwise.
 */
export function verifyPropagationReceipt(
  signed: { jws: FlattenedJws; receipt?: unknown },
  jwk: Pick<PublicJwk, 'x'> & { kid?: string },
): PropagationReceipt {
  const payload = verifyJws(signed.jws, jwk) as PropagationReceipt;
  const header = JSON.parse(Buffer.from(signed.jws.protected, 'base64url').toString('utf8')) as {
    typ?: unknown;
    kid?: unknown;
  };
  if (header.typ !== RECEIPT_TYP || payload.type !== 'PropagationReceipt')
    throw new VaultError('SIGNATURE_INVALID', 'The signed document is not a propagation receipt');
  if (header.kid !== payload.signingKeyId || (jwk.kid !== undefined && jwk.kid !== header.kid))
    throw new VaultError('SIGNATURE_INVALID', 'The key ids of the signature, the receipt and the public key differ');
  if (signed.receipt !== undefined && !showsSigned(payload, signed.receipt))
    throw new VaultError('SIGNATURE_INVALID', 'The receipt differs from what was signed');
  return payload;
}
