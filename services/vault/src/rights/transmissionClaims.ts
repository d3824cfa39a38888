import { randomUUID } from 'node:crypto';

import type { LeaseStore } from '../ports/LeaseStore.js';
import type { TransmissionClaims } from './transmitExport.js';

/** The lease a transmission is claimed under, apart from the notifications' (whose keys are bare ids). */
export const transmissionLeaseKey = (transmissionId: string): string => `transmission:${transmissionId}`;

/**
 * Claims on transmissions as leases in the store the replicas share (`LeaseStore`), held under a name of this
 * process's own. `leases` opens the store at the first claim, so a vault that never transmits opens none.
 */
export function leaseClaims(
  leases: () => Promise<LeaseStore>,
  holder = `transmissions-${randomUUID()}`,
): TransmissionClaims {
  return {
    take: async (transmissionId, ttlMs) => {
      const [lease] = await (await leases()).acquire([transmissionLeaseKey(transmissionId)], holder, ttlMs);
      return lease ? { first: lease.first } : undefined;
    },
    release: async (transmissionId) => (await leases()).release([transmissionLeaseKey(transmissionId)], holder),
  };
}
