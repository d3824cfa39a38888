import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { HealthFacts } from './healthFacts.js';
import type {
  NotificationCounts,
  OperationOutcome,
  StoreCallRecorder,
  StoreName,
  SweepResult,
  VaultMetrics,
} from './metrics.js';

export interface PrometheusMetricsOptions {
  /** `VAULT_RETENTION_INTERVAL_MINUTES` in seconds, exported for the alert on a sweep that did not run; 0: off. */
  retentionIntervalSeconds?: number;
  /** Node's process metrics (`process_*`, `nodejs_*`). Default true. */
  processMetrics?: boolean;
  /** How long facts read for one scrape serve the next, in ms. Default 1000. */
  stateTtlMs?: number;
}

const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const OPERATION_BUCKETS = [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Distinct operation names kept as labels; later ones count as `other`, so a client cannot grow the series. */
const MAX_OPERATION_NAMES = 200;
const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
const CODE = /^[A-Z][A-Z0-9_]{0,47}$/;

type Gauges = ReturnType<typeof stateGauges>;

/** The gauges read from the stores at scrape time (one read of `HealthFacts` per scrape serves them all). */
function stateGauges(registry: Registry, collect: () => Promise<void>) {
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect });
  return {
    lagEvents: gauge('vault_projection_lag_events', 'Events in the log that the read models do not show yet'),
    lagSeconds: gauge(
      'vault_projection_lag_seconds',
      'Age of the oldest event the read models do not show yet (0 when caught up)',
    ),
    open: gauge('vault_requests_open', 'Open data-subject requests (kind INFORM: pending Art. 14 notices)', ['kind']),
    overdue: gauge('vault_requests_overdue', 'Open requests past their due date', ['kind']),
    dueSoon: gauge('vault_requests_due_within_7d', 'Open requests due within the next 7 days', ['kind']),
    retentionDue: gauge('vault_retention_due', 'Retention entries due now and not yet shredded'),
    lastSweep: gauge(
      'vault_retention_last_sweep_timestamp_seconds',
      'When the last retention sweep of any process on these stores finished (0: never)',
    ),
    epoch: gauge('vault_key_epoch', 'The current key epoch'),
    epochAge: gauge('vault_key_epoch_age_seconds', 'How long the current key epoch has run'),
    epochEnd: gauge('vault_key_epoch_end_timestamp_seconds', "When the current key epoch's KEK is due to be destroyed"),
    epochsAlive: gauge('vault_key_epochs_alive', 'Epochs whose KEK exists: more than 1 while a rotation is unfinished'),
  };
}

function setState(g: Gauges, f: HealthFacts): void {
  g.lagEvents.set(f.projection.lagEvents);
  g.lagSeconds.set(f.projection.lagSeconds);
  for (const [kind, d] of Object.entries(f.deadlines)) {
    g.open.set({ kind }, d.open);
    g.overdue.set({ kind }, d.overdue);
    g.dueSoon.set({ kind }, d.dueWithin7d);
  }
  g.retentionDue.set(f.retentionDue);
  g.lastSweep.set(f.lastSweep ? Date.parse(f.lastSweep.at) / 1000 : 0);
  if (f.epoch) {
    g.epoch.set(f.epoch.epoch);
    g.epochAge.set(f.epoch.ageSeconds);
    g.epochEnd.set(Date.parse(f.epoch.endsAt) / 1000);
  }
  g.epochsAlive.set(f.epochsAlive);
}

const NOTIFICATION_STATUSES = ['pending', 'delivered', 'acknowledged', 'deadLettered'];
type NotificationSource = () => NotificationCounts;

/**
 * Propagation's counts at scrape time: notifications by recipient and status, the dead letters alone, and whether
 * delivery is paused.
 */
function notificationGauges(
  registry: Registry,
  source: () => NotificationSource | undefined,
  paused: () => (() => boolean) | undefined,
): void {
  let counts: NotificationCounts | undefined;
  new Gauge({
    name: 'vault_notifications',
    help: 'Notifications to recipients (Art. 19) in the outbox, by recipient and status',
    labelNames: ['recipient', 'status'],
    registers: [registry],
    collect() {
      counts = source()?.();
      this.reset();
      for (const [recipient, n] of counts ?? [])
        for (const status of NOTIFICATION_STATUSES) this.set({ recipient, status }, n[status] ?? 0);
    },
  });
  new Gauge({
    name: 'vault_notifications_dead_lettered',
    help: 'Notifications given up on after their retries, by recipient (until retried)',
    labelNames: ['recipient'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [recipient, n] of counts ?? []) this.set({ recipient }, n.deadLettered ?? 0);
    },
  });
  new Gauge({
    name: 'vault_notifications_delivery_paused',
    help: 'Whether delivery to recipients waits for the lease store to answer (1), resuming by itself when it does',
    registers: [registry],
    collect() {
      this.set(paused()?.() ? 1 : 0);
    },
  });
}

/** The counters and histograms moved by what the vault does. */
const eventMetrics = (registry: Registry) => ({ ...callMetrics(registry), ...lifecycleMetrics(registry) });

/** Store calls, GraphQL operations and HTTP responses. */
function callMetrics(registry: Registry) {
  const registers = [registry];
  return {
    storeSeconds: new Histogram({
      name: 'vault_store_call_duration_seconds',
      help: 'Store calls by store, adapter and operation',
      labelNames: ['store', 'adapter', 'operation'],
      buckets: STORE_BUCKETS,
      registers,
    }),
    storeFailures: new Counter({
      name: 'vault_store_call_failures_total',
      help: 'Store calls that failed, by error code',
      labelNames: ['store', 'adapter', 'operation', 'code'],
      registers,
    }),
    operations: new Histogram({
      name: 'vault_graphql_operation_duration_seconds',
      help: 'GraphQL operations by name, type and outcome code (OK or the first error code)',
      labelNames: ['operation', 'type', 'code'],
      buckets: OPERATION_BUCKETS,
      registers,
    }),
    http: new Counter({
      name: 'vault_http_responses_total',
      help: 'HTTP responses by route pattern and status',
      labelNames: ['route', 'status'],
      registers,
    }),
  };
}

/** Shreds, erasures, sweeps and epoch rotations. */
function lifecycleMetrics(registry: Registry) {
  const registers = [registry];
  return {
    shredded: new Counter({
      name: 'vault_keys_shredded_total',
      help: 'Data keys destroyed, by reason',
      labelNames: ['reason'],
      registers,
    }),
    erasures: new Counter({
      name: 'vault_erasures_total',
      help: 'Erasures of a subject (Art. 17), by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    sweeps: new Counter({
      name: 'vault_retention_sweeps_total',
      help: 'Retention sweeps run by this process, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    sweepShredded: new Counter({
      name: 'vault_retention_shredded_total',
      help: 'Retention entries shredded by the sweeps of this process',
      registers,
    }),
    sweepSeconds: new Gauge({
      name: 'vault_retention_last_sweep_duration_seconds',
      help: "How long this process's last retention sweep took",
      registers,
    }),
    interval: new Gauge({
      name: 'vault_retention_sweep_interval_seconds',
      help: 'Time between the retention sweeps of vault serve (0: the schedule is off)',
      registers,
    }),
    rewrapped: new Counter({
      name: 'vault_key_epoch_rewrapped_keys_total',
      help: "Data keys re-wrapped under a new epoch's KEK",
      registers,
    }),
    reindexed: new Counter({
      name: 'vault_blind_index_reindexed_total',
      help: "Blind-index entries re-computed under a new epoch's index key",
      registers,
    }),
    rotationRunning: new Gauge({
      name: 'vault_key_epoch_rotation_running',
      help: '1 while this process rotates the key epoch',
      registers,
    }),
    rotationProgress: new Gauge({
      name: 'vault_key_epoch_rotation_rewrapped_keys',
      help: "Data keys re-wrapped so far by this process's running (or last) rotation",
      registers,
    }),
    rotations: new Counter({
      name: 'vault_key_epoch_rotations_total',
      help: 'Key epoch rotations run by this process, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    stateFailures: new Counter({
      name: 'vault_state_read_failures_total',
      help: 'Scrapes whose read of the state gauges failed (they keep their previous values)',
      registers,
    }),
  };
}

/**
 * The vault's metrics in a registry of their own (several vaults in one process, tests, keep
 * theirs apart). Counters move as things happen; the gauges of the vault's state are read when
 * scraped, at most once a `stateTtlMs`, so the request path pays for counters only.
 */
export class PrometheusMetrics implements VaultMetrics {
  readonly enabled = true;
  readonly registry = new Registry();
  private readonly m: ReturnType<typeof eventMetrics>;
  private readonly state: Gauges;
  private readonly queueSources = new Map<string, () => number | undefined>();
  private readState: (() => Promise<HealthFacts>) | undefined;
  private notificationSource: NotificationSource | undefined;
  private deliveryPaused: (() => boolean) | undefined;
  private stateRead: { at: number; done: Promise<void> } | undefined;
  private readonly stateTtlMs: number;
  private readonly operationNames = new Set<string>();

  constructor(options: PrometheusMetricsOptions = {}) {
    this.stateTtlMs = options.stateTtlMs ?? 1000;
    // First: reading the state (at the first of them) may count a failure in the counters that follow.
    this.state = stateGauges(this.registry, () => this.refreshState());
    this.m = eventMetrics(this.registry);
    this.m.interval.set(options.retentionIntervalSeconds ?? 0);
    this.m.rotationRunning.set(0);
    for (const outcome of ['completed', 'failed']) {
      this.m.sweeps.inc({ outcome }, 0);
      this.m.rotations.inc({ outcome }, 0);
      this.m.erasures.inc({ outcome }, 0);
    }
    const sources = this.queueSources;
    // Registered with the registry, which keeps it; nothing here reads it back.
    new Gauge({
      name: 'vault_queue_depth',
      help: "Entries waiting in this process's queues (access-log buffer, writer threads)",
      labelNames: ['queue'],
      registers: [this.registry],
      collect() {
        for (const [queue, depth] of sources) {
          const n = depth();
          if (n !== undefined) this.set({ queue }, n);
        }
      },
    });
    notificationGauges(
      this.registry,
      () => this.notificationSource,
      () => this.deliveryPaused,
    );
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters (promtool check metrics refuses them); nodejs_active_* without _total say the same.
      for (const name of [
        'nodejs_active_handles_total',
        'nodejs_active_requests_total',
        'nodejs_active_resources_total',
      ])
        this.registry.removeSingleMetric(name);
    }
  }

  storeCall(store: StoreName, adapter: string, operation: string): StoreCallRecorder {
    const timing = this.m.storeSeconds.labels(store, adapter, operation);
    return (seconds, failureCode) => {
      timing.observe(seconds);
      if (failureCode !== undefined)
        this.m.storeFailures.inc({ store, adapter, operation, code: bounded(failureCode) });
    };
  }

  keysShredded(reason: string, count: number): void {
    if (count > 0) this.m.shredded.inc({ reason: NAME.test(reason) ? reason : 'other' }, count);
  }

  keysRewrapped(count: number): void {
    this.m.rewrapped.inc(count);
    this.m.rotationProgress.inc(count);
  }

  indexReindexed(count: number): void {
    this.m.reindexed.inc(count);
  }

  erasure(outcome: 'completed' | 'failed'): void {
    this.m.erasures.inc({ outcome });
  }

  retentionSweep(result: SweepResult, seconds: number): void {
    if ('failed' in result) {
      this.m.sweeps.inc({ outcome: 'failed' });
      return;
    }
    this.m.sweeps.inc({ outcome: 'completed' });
    this.m.sweepShredded.inc(result.shredded);
    this.m.sweepSeconds.set(seconds);
  }

  epochRotationStarted(): void {
    this.m.rotationRunning.set(1);
    this.m.rotationProgress.set(0);
  }

  epochRotationFinished(outcome: 'completed' | 'failed'): void {
    this.m.rotationRunning.set(0);
    this.m.rotations.inc({ outcome });
  }

  operation(o: OperationOutcome): void {
    this.m.operations.observe(
      { operation: this.operationName(o.name), type: o.type, code: bounded(o.code) },
      o.seconds,
    );
  }

  httpResponse(route: string, status: number): void {
    this.m.http.inc({ route, status: String(status) });
  }

  setStateSource(read: () => Promise<HealthFacts>): void {
    this.readState = read;
  }

  setQueue(name: string, depth: () => number | undefined): void {
    this.queueSources.set(name, depth);
  }

  setNotificationSource(read: NotificationSource, paused?: () => boolean): void {
    this.notificationSource = read;
    this.deliveryPaused = paused;
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private operationName(name: string): string {
    if (this.operationNames.has(name)) return name;
    if (!NAME.test(name) || this.operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.operationNames.add(name);
    return name;
  }

  /** One read of the state for all its gauges; a failed read leaves them as they were and is counted. */
  private refreshState(): Promise<void> {
    const read = this.readState;
    if (!read) return Promise.resolve();
    const now = Date.now();
    if (this.stateRead && now - this.stateRead.at < this.stateTtlMs) return this.stateRead.done;
    const done = read().then(
      (facts) => setState(this.state, facts),
      () => this.m.stateFailures.inc(),
    );
    this.stateRead = { at: now, done };
    return done;
  }
}

/** An error code as a label: the vault's codes are upper snake case; anything else is `OTHER`. */
const bounded = (code: string): string => (CODE.test(code) ? code : 'OTHER');

export const createPrometheusMetrics = (options?: PrometheusMetricsOptions): PrometheusMetrics =>
  new PrometheusMetrics(options);
