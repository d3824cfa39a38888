import { createHash } from 'node:crypto';

import { metadataPurpose } from '../domain/access.js';
import { isVaultError, VaultError } from '../domain/errors.js';
import { type DomainEvent, streamOf } from '../domain/events.js';
import {
  backoffMs,
  dutiesFor,
  evolveNotification,
  isErasure,
  isNotificationEvent,
  isOverdue,
  isSubjectErasure,
  NOTIFICATION_STREAM,
  type NotificationEvent,
  type NotificationEventPayloads,
  notificationPayload,
  type PropagationReceiptData,
  type PropagationTrigger,
  receiptOf,
  type RecipientNotification,
  type RecipientNotificationStatus,
  type ServiceRead,
  triggerOf,
} from '../domain/propagation.js';
import type { NotificationRecipient, ProcessingRegister } from '../domain/register.js';
import type { AccessLog, AccessLogEntry } from '../ports/AccessLog.js';
import { ANY, type EventLog, type NewEvent, type RecordedEvent, type Subscription } from '../ports/EventLog.js';
import { type LeaseStore, MAX_LEASE_BATCH } from '../ports/LeaseStore.js';
import type { NotificationTransport } from '../ports/NotificationTransport.js';
import { uuidv7 } from '../support/uuidv7.js';
import { deadHolders, isReplicaId, newHolderName, replicaPrefix, spacePrefix } from './leaseHolder.js';
import { readConcerns, RecentTriggers, serviceReadOf } from './recentTriggers.js';

export interface PropagationDeps {
  log: EventLog;
  accessLog: AccessLog;
  register: ProcessingRegister;
  /** How webhooks leave and signatures are checked. Absent: nothing is delivered (`vault notifications`). */
  transport?: NotificationTransport;
  /** Each webhook recipient's signing secret, by recipient name (resolved from the environment or a file at start). */
  secrets?: ReadonlyMap<string, string>;
  /**
   * Where a replica claims a notification before it sends it (the store every replica shares), so that replicas
   * over the same stores deliver each notification once. Absent: this process delivers as if it were the only one.
   */
  leases?: LeaseStore;
  now: () => string;
}

export interface PropagationOptions {
  /** Attempts before a notification is dead-lettered. Default 12. */
  maxAttempts?: number;
  /** Deliveries in flight to one recipient at a time. Default 4. */
  concurrency?: number;
  /** Longest one attempt may take, in ms. Default 10,000. */
  timeoutMs?: number;
  /**
   * How long a replica's claim on a notification lasts, in ms: a replica that dies while it delivers holds the
   * notification up this long before another takes it over. Longer than `timeoutMs`: an attempt starts only while
   * the claim still covers the attempt and half of what is left over (to record the outcome). Default
   * `timeoutMs` + 20,000.
   */
  leaseMs?: number;
  /** How soon a replica asks again for a notification another replica has claimed, in ms. Default 1,000. */
  leaseRecheckMs?: number;
  /** The pause after the first failure, doubled after each further one (with jitter), in ms. Default 1,000. */
  backoffBaseMs?: number;
  /** The longest pause between attempts, in ms. Default 300,000 (five minutes). */
  backoffMaxMs?: number;
  /**
   * Called before the access log is asked who read a subject, so reads still buffered in this process count
   * (the API's access recorder flushes). Default: nothing.
   */
  beforeLookup?: () => Promise<void>;
  /** Receives operational warnings (codes and ids, never data). */
  warn?: (message: string) => void;
  /**
   * This replica's stable id (`VAULT_REPLICA_ID`), the same after a restart wherever it runs and held by one process
   * at a time: a process that starts under it takes every claim of its predecessors under the id at once.
   */
  replicaId?: string;
  /** A number in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
  /**
   * How long the changes examined are remembered for reads written to the access log after them (`readsStored`), in
   * ms; an older read is checked against its subject's stream instead. Default 60,000 (a minute).
   */
  lateReadWindowMs?: number;
}

/** Examined positions after which a checkpoint is written although no change needed notifying. */
const CHECKPOINT_EVERY = 10_000;

/** A notification's id, the same for the same change and recipient however often the change is examined. */
export function notificationIdOf(sourceEventId: string, recipient: string): string {
  const h = createHash('sha256').update(`notification:${sourceEventId}:${recipient}`).digest('hex');
  // Shaped as a UUID (version 8, variant 10) so every event store takes it as an event id.
  const variant = ((parseInt(h[16]!, 16) & 3) | 8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** One recipient an erasure is notified to, as its certificate lists it. */
export interface NotifiedRecipient {
  recipient: string;
  categories: string[];
  /** The notification's id: `propagation`, the receipt and the recipient's `webhook-id` carry the same. */
  notificationId: string;
}

/** What internal services read of a subject up to `at` (values only, not shapes): who must hear of a change. */
export async function serviceReadsOf(accessLog: AccessLog, subjectId: string, at: string): Promise<ServiceRead[]> {
  const rows = await accessLog.recipientsOf(subjectId, at);
  const out: ServiceRead[] = [];
  for (const r of rows) {
    if (!r.actor.startsWith('service:') || r.purpose.startsWith(metadataPurpose(''))) continue;
    out.push({ service: r.actor.slice('service:'.length), category: r.category, purpose: r.purpose });
  }
  return out;
}

/**
 * The recipients a change recorded in the log is notified to, as propagation will find them (the same
 * duties, the same ids): for an erasure certificate, made before propagation has looked. Empty for an event
 * no recipient hears of.
 */
export async function recipientsOfChange(
  deps: { register: ProcessingRegister; accessLog: AccessLog },
  event: RecordedEvent,
): Promise<NotifiedRecipient[]> {
  const recipients = Object.values(deps.register.recipients ?? {});
  if (recipients.length === 0) return [];
  const t = triggerOf(event as unknown as DomainEvent, { ...event, at: event.metadata.at }, deps.register);
  if (!t || t.categories.length === 0) return [];
  const reads = recipients.some((r) => r.service !== undefined)
    ? await serviceReadsOf(deps.accessLog, t.subjectId, t.at)
    : [];
  return dutiesFor(t, recipients, reads)
    .map((d) => ({
      recipient: d.recipient,
      categories: d.categories,
      notificationId: notificationIdOf(t.sourceEventId, d.recipient),
    }))
    .sort((a, b) => a.recipient.localeCompare(b.recipient));
}

/** The id of the event that records a change's receipt: one per change, whichever process records it. */
const receiptEventIdOf = (sourceEventId: string) => notificationIdOf(sourceEventId, '\u0000receipt');

export interface NotificationFilter {
  subjectId?: string;
  recipient?: string;
  requestId?: string;
  status?: RecipientNotification['status'];
}

/**
 * Propagation to recipients (Art. 19, Art. 17(2)). Follows the event log: each change recipients must
 * hear of becomes a `NotificationDue` per recipient in the notification stream, written before anything
 * is sent, so a crash loses none. The outbox is projected from that stream and delivers each due
 * notification at least once, in order per recipient and subject, with backoff and a dead letter after
 * `maxAttempts`; every outcome is an event, so delivery state survives a restart. A recipient that fails
 * holds up only its own notifications.
 */
export class Propagation {
  private readonly states = new Map<string, RecipientNotification>();
  /** How many notifications each recipient has in each status, moved as a state changes (the metrics' gauges). */
  private readonly counts = new Map<string, Record<RecipientNotificationStatus, number>>();
  /** The notifications of each change, by its event's id. */
  private readonly bySource = new Map<string, RecipientNotification[]>();
  /** Recorded receipts of erasures (a subject's or a field's), by the erasure's event id. */
  private readonly receipts = new Map<string, PropagationReceiptData>();
  /** Receipts being recorded here now. */
  private readonly issuing = new Set<string>();
  /** Receipts waiting for the next append of receipts. */
  private readonly receiptQueue: { source: string; data: PropagationReceiptData; event: NewEvent }[] = [];
  /** Pending notifications in delivery order (the order of their `NotificationDue`). */
  private readonly pending = new Map<string, RecipientNotification>();
  private readonly inFlight = new Map<string, Set<string>>();
  /** Outcome events waiting for the next append. */
  private readonly queued: { events: NewEvent[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Sent and not yet recorded (answered or not): never sent again meanwhile. */
  private readonly settling = new Set<string>();
  /** Ids of events applied here before the subscription brings them back. */
  private readonly echo = new Set<string>();
  private readonly recipients: NotificationRecipient[];
  /** How many recipients are delivered to by webhook (the outbox pushes to those). */
  private readonly pushRecipients: number;
  private appliedRevision = -1;
  private scannedTo = 0;
  private checkpointedTo = 0;
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;
  /** Set by `start`: a vault that only looks (`vault notifications`) never sends. */
  private delivering = false;
  private readonly sends = new Set<Promise<void>>();
  private readonly idleWaiters: (() => void)[] = [];
  /**
   * This process's name as a lease holder: a fresh one per start, never reused, that says which process it is
   * (`leaseHolder.ts`), so the next process can tell it is dead.
   */
  private readonly holder: string;
  /** Notifications another replica has claimed, with the time (ms) to ask again. */
  private readonly heldElsewhere = new Map<string, number>();
  /** Claims to give up at the next turn of the event loop, in one call. */
  private readonly toRelease: string[] = [];
  private readonly releases = new Set<Promise<void>>();
  /** The changes examined lately, for reads stored after them; absent while no recipient is a service. */
  private recent: RecentTriggers | undefined;
  /** Checks of reads stored late under way (`readsStored`): a stop waits for them. */
  private readonly lateChecks = new Set<Promise<void>>();
  /** Since when (ms) claims have failed because the lease store does not answer: delivery is paused till it does. */
  private leasesFailingSince: number | undefined;
  /** The log position propagation started examining from (changes before its first start are not notified). */
  private examinedFrom = 0;
  private readonly o: Required<Omit<PropagationOptions, 'beforeLookup' | 'warn' | 'replicaId'>> &
    Pick<PropagationOptions, 'beforeLookup' | 'warn' | 'replicaId'>;

  constructor(
    private readonly deps: PropagationDeps,
    options: PropagationOptions = {},
  ) {
    this.recipients = Object.values(deps.register.recipients ?? {});
    this.pushRecipients = this.recipients.filter((r) => r.delivery.kind === 'webhook').length;
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.o = {
      maxAttempts: 12,
      concurrency: 4,
      timeoutMs,
      leaseMs: timeoutMs + 20_000,
      leaseRecheckMs: 1_000,
      backoffBaseMs: 1_000,
      backoffMaxMs: 300_000,
      random: Math.random,
      lateReadWindowMs: 60_000,
      ...options,
    };
    if (this.o.leaseMs <= this.o.timeoutMs)
      throw new VaultError('CONFIG_INVALID', 'A notification lease must last longer than one attempt may take');
    if (this.o.replicaId !== undefined && !isReplicaId(this.o.replicaId))
      throw new VaultError('CONFIG_INVALID', 'A replica id is 1 to 63 letters, digits, dots, dashes or underscores');
    this.holder = newHolderName(undefined, this.o.replicaId);
  }

  /** Reads still buffered in this process (the API's access recorder) are flushed with this before a lookup. */
  useAccessFlush(flush: () => Promise<void>): void {
    this.o.beforeLookup = flush;
  }

  /** Loads the outbox from the notification stream, then follows the log from where examination stopped. */
  async start(): Promise<void> {
    const { log } = this.deps;
    let resume = await this.load();
    if (resume < 0) {
      // First start with recipients declared: changes made before are not propagated.
      resume = this.examinedFrom = await log.headPosition();
      await this.append([{ type: 'PropagationCheckpoint', data: { position: resume } }]);
    }
    this.scannedTo = this.checkpointedTo = resume;
    if (this.recipients.some((r) => r.service !== undefined))
      this.recent = new RecentTriggers(this.o.lateReadWindowMs, this.deps.now());
    await this.reclaimFromDead();
    this.delivering = true;
    // A receipt whose last acknowledgement was recorded just before a stop.
    for (const group of this.bySource.values()) this.issueReceiptIfDue(group[0]!);
    this.follow();
    this.pump();
  }

  /**
   * Ends the claims of holders known to be dead (a predecessor under this replica's id, wherever it ran; a process of
   * this machine that is gone: this one's predecessor killed mid-delivery), so what they had in flight is sent now
   * rather than when their claims expire. A holder that may be alive is left alone. A failure only leaves those
   * claims to expire.
   */
  private async reclaimFromDead(): Promise<void> {
    const leases = this.deps.leases;
    const prefix = spacePrefix();
    if (!leases) return;
    try {
      const dead = prefix ? deadHolders(await leases.holders(prefix)) : [];
      if (this.o.replicaId !== undefined)
        dead.push(...(await leases.holders(replicaPrefix(this.o.replicaId))).filter((h) => h !== this.holder));
      for (const holder of dead) await leases.releaseAll(holder);
    } catch (e) {
      this.o.warn?.(`propagation: taking back dead holders' claims failed (${isVaultError(e) ? e.code : 'INTERNAL'})`);
    }
  }

  /**
   * Follows the log from the last position examined. A failure (the access log or the event log not answering) is
   * retried a second later from there: what was half done is done again, under the same ids.
   */
  private follow(): void {
    if (this.stopped) return;
    this.subscription = this.deps.log.subscribe({
      after: this.scannedTo,
      onEvents: (events) => this.onEvents(events),
      onError: (e) => {
        this.o.warn?.(`propagation: following the log failed (${isVaultError(e) ? e.code : 'INTERNAL'}), retrying`);
        setTimeout(() => this.follow(), 1000).unref();
      },
    });
  }

  /**
   * Reads the notification stream into the outbox, without following the log or sending anything; returns the
   * log position examined so far (-1: never).
   */
  async load(): Promise<number> {
    let resume = -1;
    for (let from = 0; ;) {
      const page = await this.deps.log.readStream(NOTIFICATION_STREAM, { fromRevision: from, maxCount: 1000 });
      for (const e of page) {
        this.apply(e);
        const n = e as unknown as NotificationEvent;
        if (e.revision === 0 && n.type === 'PropagationCheckpoint') this.examinedFrom = n.data.position;
        if (n.type === 'NotificationDue') resume = Math.max(resume, n.data.sourcePosition);
        if (n.type === 'PropagationCheckpoint') resume = Math.max(resume, n.data.position);
      }
      if (page.length < 1000) break;
      from = page[page.length - 1]!.revision + 1;
    }
    return resume;
  }

  /**
   * Checks a recipient's signed callback (Standard Webhooks, under its own secret) and records the
   * acknowledgements it carries. SIGNATURE_INVALID when it does not verify; NOT_FOUND for a notification
   * that is not the recipient's.
   */
  async acknowledgeSigned(
    recipient: string,
    body: string,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<RecipientNotification[]> {
    const secret = this.deps.secrets?.get(recipient);
    if (!secret || !this.deps.transport?.verify(secret, body, headers))
      throw new VaultError(
        'SIGNATURE_INVALID',
        `The acknowledgement is not signed with recipient ${recipient}'s secret`,
      );
    let ids: unknown;
    try {
      ids = (JSON.parse(body) as { notificationIds?: unknown }).notificationIds;
    } catch {
      ids = undefined;
    }
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 1000 || !ids.every((i) => typeof i === 'string'))
      throw new VaultError('BAD_USER_INPUT', 'Expected { "notificationIds": [ ... ] } with 1 to 1000 ids');
    const out: RecipientNotification[] = [];
    for (const id of ids) out.push(await this.acknowledge(id, recipient, 'callback'));
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.subscription?.stop();
    await Promise.allSettled([...this.lateChecks]);
    await Promise.allSettled([...this.sends]);
    this.flushReleases();
    await Promise.allSettled([...this.releases]);
  }

  /** Resolves once the log has been examined up to `position` and nothing is being sent (tests, benchmarks). */
  async waitFor(position: number, timeoutMs = 30_000): Promise<void> {
    await this.subscription?.waitFor(position, timeoutMs);
  }

  /** Resolves when no notification is pending for push delivery or in flight. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The notifications the filter matches, in the order they became due. */
  list(filter: NotificationFilter = {}): RecipientNotification[] {
    return [...this.states.values()]
      .filter(
        (s) =>
          (filter.subjectId === undefined || s.due.subjectId === filter.subjectId) &&
          (filter.recipient === undefined || s.due.recipient === filter.recipient) &&
          (filter.requestId === undefined || s.due.requestId === filter.requestId) &&
          (filter.status === undefined || s.status === filter.status),
      )
      .sort((a, b) => a.seq - b.seq);
  }

  get(notificationId: string): RecipientNotification | undefined {
    return this.states.get(notificationId);
  }

  /** Whether delivery is paused because the lease store does not answer (it resumes by itself once it does). */
  get deliveryPaused(): boolean {
    return this.leasesFailingSince !== undefined;
  }

  /** How many notifications each recipient has in each status: kept as states change, so reading it costs nothing. */
  statusCounts(): ReadonlyMap<string, Readonly<Record<RecipientNotificationStatus, number>>> {
    return this.counts;
  }

  /** Another round of attempts for a notification (the DPO's manual retry): NOT_FOUND when there is none. */
  async retry(notificationId: string): Promise<RecipientNotification> {
    const s = this.mustGet(notificationId);
    await this.append([{ type: 'NotificationRetried', data: { notificationId } }]);
    this.pump();
    return s;
  }

  /** Records that `recipient` acted on a notification (idempotent); NOT_FOUND when it is not theirs. */
  async acknowledge(
    notificationId: string,
    recipient: string,
    via: 'callback' | 'pull',
  ): Promise<RecipientNotification> {
    const s = this.mustGet(notificationId);
    if (s.due.recipient !== recipient) throw notFound(notificationId);
    if (s.status !== 'acknowledged')
      await this.append([{ type: 'NotificationAcknowledged', data: { notificationId, via } }]);
    return s;
  }

  /**
   * The recorded receipt of a subject's erasure (by subject, or by the erasure request), or undefined while a
   * recipient has not acknowledged it (or none was notified).
   */
  receipt(filter: { subjectId?: string; requestId?: string }): PropagationReceiptData | undefined {
    const erasure = this.list(filter).find((s) => isSubjectErasure(s.due));
    return erasure ? this.receipts.get(erasure.due.sourceEventId) : undefined;
  }

  /**
   * The recorded receipts of every erasure the filter matches, a subject's and single fields', in the order the
   * erasures were notified. A field's erasure carries no request, so by request only a subject's erasure is found.
   */
  receiptsOf(filter: { subjectId?: string; requestId?: string }): PropagationReceiptData[] {
    const out: PropagationReceiptData[] = [];
    const seen = new Set<string>();
    for (const s of this.list(filter)) {
      const source = s.due.sourceEventId;
      if (!isErasure(s.due) || seen.has(source)) continue;
      seen.add(source);
      const receipt = this.receipts.get(source);
      if (receipt) out.push(receipt);
    }
    return out;
  }

  /** The notifications the filter matches whose acknowledgement is overdue now (`isOverdue`). */
  overdue(filter: NotificationFilter = {}): RecipientNotification[] {
    const now = this.deps.now();
    return this.list(filter).filter((s) => isOverdue(s, this.recipient(s.due.recipient), now));
  }

  /** A recipient by its name in the register. */
  recipient(name: string): NotificationRecipient | undefined {
    return this.deps.register.recipients?.[name];
  }

  /** The recipient that is the internal service whose tokens carry this name. */
  recipientOfService(service: string): NotificationRecipient | undefined {
    return this.recipients.find((r) => r.service === service);
  }

  private mustGet(notificationId: string): RecipientNotification {
    const s = this.states.get(notificationId);
    if (!s) throw notFound(notificationId);
    return s;
  }

  private async onEvents(events: RecordedEvent[]): Promise<void> {
    const triggers: PropagationTrigger[] = [];
    for (const e of events) {
      if (e.streamId === NOTIFICATION_STREAM) this.apply(e);
      else {
        const t = triggerOf(e as unknown as DomainEvent, { ...e, at: e.metadata.at }, this.deps.register);
        if (t && t.categories.length > 0) triggers.push(t);
      }
    }
    const last = events[events.length - 1]?.position ?? this.scannedTo;
    // Remembered before the access log is asked: a read stored after that finds the change (`readsStored`).
    this.recent?.add(triggers);
    const dues = await this.duesOf(triggers);
    if (dues.length > 0) await this.appendDues(dues);
    else if (last - this.checkpointedTo >= CHECKPOINT_EVERY)
      await this.append([{ type: 'PropagationCheckpoint', data: { position: last } }]);
    this.scannedTo = last;
    this.pump();
  }

  private async duesOf(triggers: readonly PropagationTrigger[], flush = true): Promise<NewEvent[]> {
    if (triggers.length === 0) return [];
    if (flush && this.recipients.some((r) => r.service !== undefined)) await this.o.beforeLookup?.();
    const out: NewEvent[] = [];
    for (const t of triggers) {
      const reads = await this.readsOf(t);
      const duties = dutiesFor(t, this.recipients, reads);
      for (const d of duties) {
        const notificationId = notificationIdOf(t.sourceEventId, d.recipient);
        if (this.states.has(notificationId)) continue;
        const data: NotificationEventPayloads['NotificationDue'] = {
          notificationId,
          recipient: d.recipient,
          subjectId: t.subjectId,
          action: t.action,
          categories: d.categories,
          fields: t.fields,
          ...(t.entry ? { entry: t.entry } : {}),
          ...(t.requestId ? { requestId: t.requestId } : {}),
          occurredAt: t.at,
          sourceEventId: t.sourceEventId,
          sourcePosition: t.sourcePosition,
          recipientCount: duties.length,
        };
        out.push(this.newEvent({ type: 'NotificationDue', data }, notificationId));
      }
    }
    return out;
  }

  /**
   * Reads this process has just written to the access log. A read made before a change but written after the
   * change was examined (still held in memory by the process that served it, or its write failed and was retried)
   * was missed when the change's recipients were looked up: the duties it adds are recorded now, under the ids the
   * change's others have. Returns at once (the writer of reads never waits for this); what it starts, `stop` waits
   * for, and what fails is warned of and tried again a second later.
   */
  readsStored(entries: readonly AccessLogEntry[]): void {
    const recent = this.recent;
    if (!recent || this.stopped) return;
    recent.forget();
    const late = new Map<string, PropagationTrigger>();
    const old = new Map<string, AccessLogEntry[]>();
    for (const e of entries) {
      const read = serviceReadOf(e);
      if (!read || !this.recipientOfService(read.service)) continue;
      for (const t of recent.concerning(e)) late.set(t.sourceEventId, t);
      if (!recent.covers(e.at)) old.set(e.subjectId, [...(old.get(e.subjectId) ?? []), e]);
    }
    if (late.size === 0 && old.size === 0) return;
    const p = this.recordLate(late, old, entries).finally(() => this.lateChecks.delete(p));
    this.lateChecks.add(p);
  }

  /** Records the duties reads stored late add: to `late`'s changes, and to those of `old`'s subjects' streams. */
  private async recordLate(
    late: Map<string, PropagationTrigger>,
    old: Map<string, AccessLogEntry[]>,
    entries: readonly AccessLogEntry[],
  ): Promise<void> {
    try {
      for (const [subjectId, reads] of old)
        for (const t of await this.examinedChangesOf(subjectId))
          if (reads.some((r) => readConcerns(t, r))) late.set(t.sourceEventId, t);
      const dues = await this.duesOf([...late.values()], false);
      if (dues.length === 0) return;
      await this.appendDues(dues);
      this.o.warn?.(`propagation: ${dues.length} recipient(s) found by reads stored after their change`);
      this.pump();
    } catch (e) {
      this.o.warn?.(`propagation: checking reads stored late failed (${isVaultError(e) ? e.code : 'INTERNAL'})`);
      setTimeout(() => this.readsStored(entries), this.o.leaseRecheckMs).unref();
    }
  }

  /** The changes of a subject recipients hear of that propagation has examined, from its stream. */
  private async examinedChangesOf(subjectId: string): Promise<PropagationTrigger[]> {
    const out: PropagationTrigger[] = [];
    for (let from = 0; ;) {
      const page = await this.deps.log.readStream(streamOf(subjectId), { fromRevision: from, maxCount: 1000 });
      for (const e of page) {
        if (e.position <= this.examinedFrom || e.position > this.scannedTo) continue;
        const t = triggerOf(e as unknown as DomainEvent, { ...e, at: e.metadata.at }, this.deps.register);
        if (t && t.categories.length > 0) out.push(t);
      }
      if (page.length < 1000) return out;
      from = page[page.length - 1]!.revision + 1;
    }
  }

  /** What internal services read of the trigger's subject up to the change (values only, not shapes). */
  private async readsOf(t: PropagationTrigger): Promise<ServiceRead[]> {
    if (!this.recipients.some((r) => r.service !== undefined)) return [];
    return serviceReadsOf(this.deps.accessLog, t.subjectId, t.at);
  }

  /** Appends dues in one append; one that another process stored meanwhile is skipped, one by one. */
  private async appendDues(dues: NewEvent[]): Promise<void> {
    try {
      await this.deps.log.append(NOTIFICATION_STREAM, dues, ANY);
    } catch (e) {
      if (!isVaultError(e) || e.code !== 'DUPLICATE_EVENT') throw e;
      for (const d of dues) {
        try {
          await this.deps.log.append(NOTIFICATION_STREAM, [d], ANY);
        } catch (again) {
          if (!isVaultError(again) || again.code !== 'DUPLICATE_EVENT') throw again;
        }
      }
    }
  }

  private newEvent(event: NotificationEvent, id = uuidv7()): NewEvent {
    return { id, type: event.type, data: event.data, metadata: { actor: 'system:propagation', at: this.deps.now() } };
  }

  /**
   * Appends outcome events and applies them here at once (the subscription's copy is then skipped). The outcomes
   * of one turn of the event loop go in one append: under load, one write for many deliveries.
   */
  private append(events: NotificationEvent[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ events: events.map((e) => this.newEvent(e)), resolve, reject });
      if (this.queued.length === 1) setImmediate(() => void this.flushQueued());
    });
  }

  private async flushQueued(): Promise<void> {
    const batch = this.queued.splice(0);
    const stored = batch.flatMap((b) => b.events);
    // Registered before the append: the subscription may bring an event back before the append returns.
    for (const e of stored) this.echo.add(e.id);
    try {
      await this.deps.log.append(NOTIFICATION_STREAM, stored, ANY);
    } catch (e) {
      for (const x of stored) this.echo.delete(x.id);
      for (const b of batch) b.reject(e);
      return;
    }
    for (const e of stored) this.applyEvent(e as unknown as NotificationEvent, e.metadata.at, -1);
    for (const b of batch) b.resolve();
  }

  private apply(e: RecordedEvent): void {
    if (e.revision <= this.appliedRevision) return;
    this.appliedRevision = e.revision;
    if (this.echo.delete(e.id)) return;
    if (isNotificationEvent(e)) this.applyEvent(e, e.metadata.at, e.revision);
  }

  private applyEvent(event: NotificationEvent, at: string, seq: number): void {
    if (event.type === 'PropagationReceiptIssued') {
      this.receipts.set(event.data.erasureEventId, event.data);
      return;
    }
    const known = event.type === 'NotificationDue' && this.states.has(event.data.notificationId);
    const before = 'notificationId' in event.data ? this.states.get(event.data.notificationId)?.status : undefined;
    const s = evolveNotification(this.states, event, at, seq);
    if (!s) return;
    if (s.status !== before) this.countMove(s.due.recipient, before, s.status);
    if (event.type === 'NotificationDue' && !known) {
      const group = this.bySource.get(s.due.sourceEventId);
      if (group) group.push(s);
      else this.bySource.set(s.due.sourceEventId, [s]);
    }
    if (s.status === 'acknowledged') this.issueReceiptIfDue(s);
    const recipient = this.recipient(s.due.recipient);
    const push = recipient?.delivery.kind === 'webhook';
    if (s.status === 'pending' && push) {
      if (!this.pending.has(s.due.notificationId)) this.pending.set(s.due.notificationId, s);
    } else {
      this.pending.delete(s.due.notificationId);
      this.heldElsewhere.delete(s.due.notificationId);
    }
  }

  private countMove(recipient: string, from: RecipientNotificationStatus | undefined, to: RecipientNotificationStatus) {
    let c = this.counts.get(recipient);
    if (!c) this.counts.set(recipient, (c = { pending: 0, delivered: 0, acknowledged: 0, deadLettered: 0 }));
    if (from !== undefined) c[from] -= 1;
    c[to] += 1;
  }

  /**
   * Records the receipt of the erasure `s` belongs to once its last acknowledgement is in (by the
   * delivering process; another that races it stores the same event id, and one of the two is refused).
   */
  private issueReceiptIfDue(s: RecipientNotification): void {
    const source = s.due.sourceEventId;
    if (!this.delivering || !isErasure(s.due) || this.receipts.has(source) || this.issuing.has(source)) return;
    const data = receiptOf(this.bySource.get(source) ?? []);
    if (!data) return;
    this.issuing.add(source);
    const event = this.newEvent({ type: 'PropagationReceiptIssued', data }, receiptEventIdOf(source));
    this.receiptQueue.push({ source, data, event });
    if (this.receiptQueue.length === 1) setImmediate(() => void this.flushReceipts());
  }

  /**
   * Records the receipts of one turn of the event loop in one append (under load, one write for many, not one
   * each). One that another process recorded first refuses the whole append: then each is recorded on its own.
   */
  private async flushReceipts(): Promise<void> {
    const batch = this.receiptQueue.splice(0);
    const record = async (items: typeof batch) => {
      await this.deps.log.append(
        NOTIFICATION_STREAM,
        items.map((i) => i.event),
        ANY,
      );
      for (const i of items) this.receipts.set(i.source, i.data);
    };
    const failed = (source: string, e: unknown) => {
      if (isVaultError(e) && e.code === 'DUPLICATE_EVENT') return;
      this.o.warn?.(`propagation: receipt of ${source} not recorded (${isVaultError(e) ? e.code : 'INTERNAL'})`);
    };
    try {
      await record(batch);
    } catch (e) {
      if (batch.length === 1 || !isVaultError(e) || e.code !== 'DUPLICATE_EVENT') {
        for (const i of batch) failed(i.source, e);
      } else {
        for (const i of batch) await record([i]).catch((again: unknown) => failed(i.source, again));
      }
    } finally {
      for (const i of batch) this.issuing.delete(i.source);
    }
  }

  private isIdle(): boolean {
    return this.pending.size === 0 && this.sends.size === 0;
  }

  /** Starts every attempt that is due, within each recipient's limit, and sets the timer for the next. */
  private pump(): void {
    if (this.stopped || !this.delivering) return;
    const now = Date.now();
    const blocked = new Set<string>();
    // Recipients at their limit: nothing more of theirs starts now, and a freed slot pumps again. Once every one is,
    // the rest of the backlog is not looked at (a scan of it per answer made delivery quadratic in the backlog).
    const full = new Set<string>();
    const claims: RecipientNotification[] = [];
    let next = Infinity;
    for (const s of this.pending.values()) {
      const recipient = s.due.recipient;
      if (full.has(recipient)) {
        if (full.size >= this.pushRecipients) break;
        continue;
      }
      const key = `${recipient}\u0000${s.due.subjectId}`;
      if (blocked.has(key)) continue;
      blocked.add(key); // later notifications of the same recipient and subject wait for this one
      const id = s.due.notificationId;
      const flying = this.flying(recipient);
      if (flying.has(id) || this.settling.has(id)) continue;
      if (flying.size >= this.o.concurrency) {
        full.add(recipient);
        continue;
      }
      const at = Math.max(s.nextAttemptAt ? Date.parse(s.nextAttemptAt) : 0, this.heldElsewhere.get(id) ?? 0);
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      // Counted against the recipient's limit from now on, while the claim is asked for.
      flying.add(id);
      this.settling.add(id);
      claims.push(s);
    }
    for (let i = 0; i < claims.length; i += MAX_LEASE_BATCH)
      this.track(this.claim(claims.slice(i, i + MAX_LEASE_BATCH)));
    this.arm(next);
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  private flying(recipient: string): Set<string> {
    let f = this.inFlight.get(recipient);
    if (!f) this.inFlight.set(recipient, (f = new Set()));
    return f;
  }

  private arm(at: number): void {
    if (at === Infinity || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  /**
   * Claims the notifications for this process, reads what other replicas recorded of them meanwhile, and sends
   * those still due; the rest wait (claimed elsewhere: asked for again after `leaseRecheckMs`) or are given back.
   */
  private async claim(batch: RecipientNotification[]): Promise<void> {
    const leases = this.deps.leases;
    if (!leases) {
      for (const s of batch) this.startSend(s);
      return;
    }
    const claimedAt = Date.now();
    let taken = new Set<string>();
    try {
      const acquired = await leases.acquire(
        batch.map((s) => s.due.notificationId),
        this.holder,
        this.o.leaseMs,
      );
      taken = new Set(acquired.map((l) => l.key));
      if (this.leasesFailingSince !== undefined) {
        const seconds = Math.round((Date.now() - this.leasesFailingSince) / 1000);
        this.leasesFailingSince = undefined;
        this.o.warn?.(`propagation: the lease store answers again, delivery resumed after ${seconds} s`);
      }
      // What a process that held one of them before recorded under it is in the stream by now (a claim nobody
      // ever held has nothing to catch up with: the common case, one read fewer per delivery).
      if (acquired.some((l) => !l.first)) await this.catchUp();
    } catch (e) {
      // Once, not per claim: every notification is asked for again `leaseRecheckMs` later, until the store answers.
      if (this.leasesFailingSince === undefined) {
        this.leasesFailingSince = Date.now();
        const code = isVaultError(e) ? e.code : 'INTERNAL';
        this.o.warn?.(
          `propagation: claiming notifications failed (${code}), delivery paused until the lease store answers`,
        );
      }
      for (const s of batch) this.unclaim(s, Date.now() + this.o.leaseRecheckMs);
      for (const id of taken) this.releaseLater(id);
      this.pump();
      return;
    }
    // The attempt and half of the slack must fit in the claim; the other half is for recording the outcome.
    const sendBy = claimedAt + this.o.leaseMs - this.o.timeoutMs - (this.o.leaseMs - this.o.timeoutMs) / 2;
    const now = Date.now();
    for (const s of batch) {
      const id = s.due.notificationId;
      if (!taken.has(id)) this.unclaim(s, now + this.o.leaseRecheckMs);
      else if (this.stopped || s.status !== 'pending' || Date.parse(s.nextAttemptAt ?? '') > now || now > sendBy) {
        this.unclaim(s);
        this.releaseLater(id);
      } else {
        this.heldElsewhere.delete(id);
        this.startSend(s);
      }
    }
    this.pump();
  }

  /** A notification this process does not send now after all; `retryAt`: claimed elsewhere, ask again then. */
  private unclaim(s: RecipientNotification, retryAt?: number): void {
    const id = s.due.notificationId;
    this.flying(s.due.recipient).delete(id);
    this.settling.delete(id);
    if (retryAt !== undefined) this.heldElsewhere.set(id, retryAt);
  }

  /** Applies what the notification stream holds beyond what this process has applied. */
  private async catchUp(): Promise<void> {
    for (;;) {
      const page = await this.deps.log.readStream(NOTIFICATION_STREAM, {
        fromRevision: this.appliedRevision + 1,
        maxCount: 1000,
      });
      for (const e of page) this.apply(e);
      if (page.length < 1000) return;
    }
  }

  /** Counts a claim as work under way (`idle`, `stop`); what it did not expect is a warning, never a rejection. */
  private track(p: Promise<void>): void {
    const tracked = p
      .catch((e: unknown) => this.o.warn?.(`propagation: claim failed (${isVaultError(e) ? e.code : 'INTERNAL'})`))
      .finally(() => this.sends.delete(tracked));
    this.sends.add(tracked);
  }

  /** Gives the claim up once the outcome is recorded (or was not: another replica may try sooner then). */
  private releaseLater(id: string): void {
    if (!this.deps.leases) return;
    this.toRelease.push(id);
    if (this.toRelease.length === 1) setImmediate(() => this.flushReleases());
  }

  private flushReleases(): void {
    const leases = this.deps.leases;
    while (leases && this.toRelease.length > 0) {
      const ids = this.toRelease.splice(0, MAX_LEASE_BATCH);
      const p = leases
        .release(ids, this.holder)
        .catch((e: unknown) => {
          // It expires on its own: another replica waits for that, no longer.
          this.o.warn?.(`propagation: releasing claims failed (${isVaultError(e) ? e.code : 'INTERNAL'})`);
        })
        .finally(() => this.releases.delete(p));
      this.releases.add(p);
    }
  }

  private startSend(s: RecipientNotification): void {
    const id = s.due.notificationId;
    const flying = this.flying(s.due.recipient);
    // The recipient's slot is free once it has answered; recording the outcome (an fsync) does not hold it.
    const answered = () => {
      flying.delete(id);
      this.pump();
    };
    const p = this.send(s, answered)
      .catch((e: unknown) => {
        // The outcome could not be recorded (the log refused): the attempt is repeated later, at least once.
        s.nextAttemptAt = new Date(Date.now() + this.o.backoffBaseMs).toISOString();
        this.o.warn?.(`notification ${id}: outcome not recorded (${isVaultError(e) ? e.code : 'INTERNAL'})`);
      })
      .finally(() => {
        flying.delete(id);
        this.settling.delete(id);
        this.releaseLater(id);
        this.sends.delete(p);
        this.pump();
      });
    this.sends.add(p);
  }

  private async send(s: RecipientNotification, answered: () => void): Promise<void> {
    const recipient = this.recipient(s.due.recipient);
    if (recipient?.delivery.kind !== 'webhook') return;
    const secret = this.deps.secrets?.get(recipient.name);
    const transport = this.deps.transport;
    if (secret === undefined || !transport)
      throw new VaultError('CONFIG_INVALID', `No signing secret for recipient ${recipient.name}`);
    const outcome = await transport.deliver({ url: recipient.delivery.url, secret }, notificationPayload(s.due), {
      timeoutMs: this.o.timeoutMs,
    });
    answered();
    if (this.stopped) return;
    const notificationId = s.due.notificationId;
    const attempt = s.attempts + 1;
    if (outcome.ok) {
      const acknowledged = recipient.acknowledgement === 'response';
      await this.append([
        { type: 'NotificationDelivered', data: { notificationId, attempt, status: outcome.status, acknowledged } },
      ]);
    } else if (attempt >= this.o.maxAttempts && s.status === 'pending') {
      // (Acknowledged while the attempt was in flight: the failure is recorded below and changes nothing.)
      await this.append([
        { type: 'NotificationDeadLettered', data: { notificationId, attempts: attempt, reason: outcome.reason } },
      ]);
    } else {
      const wait = backoffMs(attempt, this.o.backoffBaseMs, this.o.backoffMaxMs, this.o.random());
      const nextAttemptAt = new Date(Date.now() + wait).toISOString();
      await this.append([
        { type: 'NotificationAttemptFailed', data: { notificationId, attempt, reason: outcome.reason, nextAttemptAt } },
      ]);
    }
  }
}

const notFound = (notificationId: string) =>
  new VaultError('NOT_FOUND', `No notification ${notificationId} for this recipient`, { details: { notificationId } });
