import { isVaultError } from '../../../domain/errors.js';
import type { RecordedEvent } from '../../../ports/EventLog.js';
import type { CatchUpSource } from '../../catchUpSubscription.js';

const UNAVAILABLE_RETRY_FIRST_MS = 100;
const UNAVAILABLE_RETRY_MAX_MS = 5000;

/**
 * Where a PostgreSQL subscription reads: pages of the log from its checkpoint (only what is safe,
 * see schema.ts), sleeping the poll interval when there is nothing new and no append of this
 * process or notification woke it. While the store is unavailable it keeps trying, with backoff,
 * instead of stopping: a server restart must not end a replica's projection.
 */
export function postgresCatchUpSource(
  /** Events after a position that no running append can still precede. */
  read: (after: number, max: number) => Promise<RecordedEvent[]>,
  pollIntervalMs: number,
): CatchUpSource {
  let idleMs = pollIntervalMs;
  let unavailableDelayMs = UNAVAILABLE_RETRY_FIRST_MS;
  return {
    async read(after, max) {
      try {
        const page = await read(after, max);
        idleMs = pollIntervalMs;
        unavailableDelayMs = UNAVAILABLE_RETRY_FIRST_MS;
        return page;
      } catch (e) {
        if (!isVaultError(e, 'STORE_UNAVAILABLE')) throw e;
        idleMs = unavailableDelayMs;
        unavailableDelayMs = Math.min(UNAVAILABLE_RETRY_MAX_MS, unavailableDelayMs * 2);
        return [];
      }
    },
    idleMs: () => idleMs,
  };
}
