import { fixtureRegister, type ProcessingRegister } from '../../services/vault/src/index.js';

/** One external recipient of contact data whose 2xx acknowledges: the last acknowledgement is a delivery. */
export function receiptRegister(url: string): ProcessingRegister {
  return {
    ...fixtureRegister(),
    recipients: {
      collections: {
        name: 'collections',
        categories: ['contact'],
        purposes: ['contract'],
        delivery: { kind: 'webhook', url, secret: { env: 'UNUSED' } },
        acknowledgement: 'response',
        acknowledgeWithin: 'P3D',
      },
    },
  };
}

/** The recipients' signing secrets, derived from their names. */
export const receiptSecrets = (register: ProcessingRegister): Map<string, string> =>
  new Map(
    Object.keys(register.recipients ?? {}).map((n) => [
      n,
      `whsec_${Buffer.from(`receipt-kill-test-secret-of-${n}`.padEnd(32, '.')).toString('base64')}`,
    ]),
  );
