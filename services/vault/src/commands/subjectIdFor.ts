import { createHmac } from 'node:crypto';

/** The key-store secret subject ids are derived from: they tell nothing of the external ids without it. */
export const IMPORT_ID_SECRET = 'import-subject-ids';

/**
 * The subject id an external id maps to: a UUID (version 8, RFC 9562) made of HMAC-SHA-256 of the
 * external id under a vault secret. The same on every run against the same vault, so a re-run
 * finds the subject; not reversible nor guessable without the secret.
 */
export function subjectIdFor(secret: Uint8Array, externalId: string): string {
  const h = createHmac('sha256', secret).update('pdv/import/v1\0').update(externalId, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
