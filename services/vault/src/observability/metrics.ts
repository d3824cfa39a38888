import type { HealthFacts } from './healthFacts.js';

/**
 * What the vault tells its metrics, as a port: the composition root (`openVault`), the API and the
 * CLI talk to this interface; only `metricsPrometheus.ts` knows prom-client. Nothing passed here
 * is personal data: labels are store and operation names, error codes, request kinds and shred
 * reasons, never a subject id, a value or free text.
 */

/** The stores whose calls are timed, as their label. */
export type StoreName = 'eventLog' | 'keyStore' | 'viewStore' | 'accessLog';

/** Records one finished call of a store: its duration, and its error code when it failed. */
export type StoreCallRecorder = (seconds: number, failureCode?: string) => void;

/** One retention sweep's counts (a dry run is not told), or the code it failed with. */
export type SweepResult = { examined: number; shredded: number } | { failed: string };

/** Notifications by the recipient's name: how many are `pending`, `delivered`, `acknowledged`, `deadLettered`. */
export type NotificationCounts = ReadonlyMap<string, Readonly<Partial<Record<string, number>>>>;

/** A GraphQL operation as it finished. */
export interface OperationOutcome {
  /** The operation's name as the client sent it (bounded by the implementation), `anonymous`, or `invalid`. */
  name: string;
  /** `query`, `mutation`, `subscription`, or `invalid` when none was resolved. */
  type: string;
  /** `OK`, or the first error's `extensions.code`. */
  code: string;
  seconds: number;
}

export interface VaultMetrics {
  /** False for `NO_METRICS`: nothing is instrumented and nothing is served. */
  readonly enabled: boolean;
  /** The recorder of one store operation, bound once (no label lookups per call). */
  storeCall(store: StoreName, adapter: string, operation: string): StoreCallRecorder;
  keysShredded(reason: string, count: number): void;
  /** Data keys re-wrapped under a new epoch's KEK. */
  keysRewrapped(count: number): void;
  /** Blind-index entries re-computed under a new epoch's index key. */
  indexReindexed(count: number): void;
  erasure(outcome: 'completed' | 'failed'): void;
  retentionSweep(result: SweepResult, seconds: number): void;
  epochRotationStarted(): void;
  epochRotationFinished(outcome: 'completed' | 'failed', seconds: number): void;
  operation(outcome: OperationOutcome): void;
  /** An HTTP response: the route's pattern (never the URL) and its status. */
  httpResponse(route: string, status: number): void;
  /** Where the gauges of the vault's state (projection, deadlines, retention, epochs) are read from at each scrape. */
  setStateSource(read: () => Promise<HealthFacts>): void;
  /** A queue whose depth is read at each scrape, as `vault_queue_depth{queue="<name>"}`; undefined leaves it out. */
  setQueue(name: string, depth: () => number | undefined): void;
  /**
   * Where the counts of notifications to recipients are read from at each scrape (propagation's outbox keeps them as
   * notifications change state, so a scrape costs one read per recipient, whatever the outbox holds): by the
   * recipient's name in the register, how many are in each status; `paused`: whether delivery waits for the lease
   * store to answer.
   */
  setNotificationSource(read: () => NotificationCounts, paused?: () => boolean): void;
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

const nothing = () => undefined;

/** Metrics off (`VAULT_METRICS=off`, one-shot commands, tests): every call does nothing. */
export const NO_METRICS: VaultMetrics = {
  enabled: false,
  storeCall: () => nothing,
  keysShredded: nothing,
  keysRewrapped: nothing,
  indexReindexed: nothing,
  erasure: nothing,
  retentionSweep: nothing,
  epochRotationStarted: nothing,
  epochRotationFinished: nothing,
  operation: nothing,
  httpResponse: nothing,
  setStateSource: nothing,
  setQueue: nothing,
  setNotificationSource: nothing,
  scrape: () => Promise.resolve({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' }),
};
