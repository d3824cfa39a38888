import type { BlindIndex } from '../crypto/blindIndex.js';
import type { KeyRing } from '../crypto/keyRing.js';
import { type LookupField, lookupForms } from '../crypto/lookupForms.js';
import { withEndedPurposes } from '../domain/endedPurposes.js';
import { VaultError } from '../domain/errors.js';
import type { DomainEvent } from '../domain/events.js';
import { subjectOf } from '../domain/events.js';
import type { ProcessingRegister } from '../domain/register.js';
import { trackedRowsOf } from '../domain/requests.js';
import { holdsOf, retentionOf } from '../domain/retention.js';
import { evolve, initialState, type SubjectState } from '../domain/subject.js';
import type { EventLog, RecordedEvent, Subscription } from '../ports/EventLog.js';
import { emptyBatch, type SubjectView, type ViewBatch, type ViewStore } from '../ports/ViewStore.js';
import { type RecentCache, recentCache } from '../support/recentCache.js';
import { followConsentValidity } from './consentValidity.js';

export const PROJECTION = 'subjects';

export interface ProjectorDeps {
  log: EventLog;
  views: ViewStore;
  keyRing: KeyRing;
  blindIndex: BlindIndex;
  register: ProcessingRegister;
}

export interface ProjectorOptions {
  /** Events per read-model transaction. Default 1000. */
  batchSize?: number;
  /**
   * Subjects whose snapshot this projector keeps after writing it, so that the next batch need
   * not read and parse it back. Kept snapshots are used only while every batch since was this
   * projector's own (the checkpoint it computes from is the one it last applied); a batch applied
   * by another replica in between drops them all. 0 turns it off. Default 2,000.
   */
  stateCacheSize?: number;
}

/** How a catch-up's page is projected while the page before it commits (`Projector.catchUp`). */
interface Pipe {
  /** The page's subjects. */
  subjects: ReadonlySet<string>;
  /** The page before it, if it may still be committing. */
  previous: Pick<Step, 'subjects' | 'applied'> | undefined;
  /** Called once the page's changes are computed and its states kept. */
  markComputed(): void;
}

/** A catch-up's page under way: when its changes are computed, and whether they were applied. */
interface Step {
  subjects: ReadonlySet<string>;
  computed: Promise<void>;
  applied: Promise<boolean>;
  last: number;
  size: number;
}

const subjectsOf = (events: readonly RecordedEvent[]): Set<string> =>
  new Set(events.map((e) => subjectOf(e.streamId)).filter((s): s is string => s !== undefined));

const NO_DERIVED = '{"holds":[],"retention":[],"tracked":[]}';
/** How long a read-your-writes wait leaves to the live subscription before it reads the log itself. */
const LIVE_WAIT_MS = 50;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

/**
 * Folds the log into the read models: subject snapshots (sealed values only), the blind
 * index, holds, the retention schedule and shred records, each batch committed with its
 * checkpoint. It also finishes shreds: a key whose shred event it meets is destroyed (again,
 * idempotently), so a crash between an erasure's append and its key deletion heals on restart.
 */
export class Projector {
  private subscription: Subscription | undefined;
  private readonly batchSize: number;
  private failure: unknown;
  private running: Promise<void> | undefined;
  private again = false;
  /** The read models' checkpoint as this instance last saw it. */
  private seen = 0;
  /** Snapshots as this projector last wrote them, with their derived rows (JSON), valid at `keptAt`. */
  private readonly kept: RecentCache<{ state: SubjectState; derived: string }>;
  private keptAt = -1;
  /**
   * While following the log live, a failed catch-up is retried on its own (a store back after an outage), with backoff.
   */
  private retry: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_MIN_MS;
  /** Whether this instance made sure the retention rows follow the register's consent validity (consentValidity.ts). */
  private validityFollowed = false;

  constructor(
    private readonly deps: ProjectorDeps,
    options: ProjectorOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.kept = recentCache(Math.max(0, options.stateCacheSize ?? 2_000));
  }

  /** Log position the read models are known to have reached. */
  get position(): number {
    return this.seen;
  }

  /**
   * Projects everything up to the log's head; returns the number of events this call applied.
   * Each batch is applied only if the checkpoint is still the one it was computed from, so
   * several replicas can run this at once and every event (counters included) takes effect once.
   */
  async catchUp(batchSize = this.batchSize): Promise<number> {
    const { log, views } = this.deps;
    // `applied`: the checkpoint as last known applied; `after`: where the next page starts, past a batch in flight.
    let applied = await views.checkpoint(PROJECTION);
    const fresh = applied === 0;
    let after = applied;
    let count = 0;
    // One batch commits (on the view store's writer thread, where it has one) while the next one is computed.
    let previous: Step | undefined;
    let step: Step | undefined;
    try {
      for (;;) {
        this.seen = Math.max(this.seen, applied);
        const page = await log.readAll({ after, maxCount: batchSize });
        step = page.length > 0 ? this.startStep(page, after, previous) : undefined;
        if (step) await Promise.race([step.computed, step.applied]);
        if (previous) {
          const done = await previous.applied;
          if (done) [count, applied] = [count + previous.size, previous.last];
          previous = undefined;
          if (!done) {
            // Another replica moved the checkpoint: the batch computed on top of this one is refused with it, unless a
            // store that applies in order took it on top of that replica's copy of this very page.
            if (step && (await step.applied)) count += step.size;
            step = undefined;
            applied = after = await views.checkpoint(PROJECTION);
            continue;
          }
        }
        if (!step) break;
        [previous, step] = [step, undefined];
        after = previous.last;
      }
    } finally {
      // A failure: the batches still under way settle before this call does.
      await Promise.all([previous?.applied.catch(() => false), step?.applied.catch(() => false)]);
    }
    this.seen = Math.max(this.seen, applied);
    // Once per instance, after its first catch-up: subjects projected under other consent validity periods.
    if (!this.validityFollowed) {
      await followConsentValidity(this.deps, (...a) => this.rederive(...a), fresh);
      this.validityFollowed = true;
    }
    return count;
  }

  /**
   * Writes the derived rows (holds, retention, tracked) of `subjectIds` again from their snapshots, under the
   * checkpoint `projection` (not the projection's own), for a register that moves the rows of subjects already
   * projected; returns whether it applied them, and the subjects whose snapshot moved meanwhile.
   */
  private async rederive(
    subjectIds: readonly string[],
    projection: string,
    position: number,
    expected: number,
  ): Promise<{ applied: boolean; moved: string[] }> {
    const { views } = this.deps;
    const snapshots = await views.getSubjects([...subjectIds]);
    const batch: ViewBatch = emptyBatch();
    for (const [subjectId, { state }] of snapshots) {
      const derived = this.derived(state);
      batch.holds.push({ subjectId, rows: derived.holds });
      batch.retention.push({ subjectId, rows: derived.retention });
      batch.tracked.push({ subjectId, rows: derived.tracked });
    }
    if (!(await views.apply(projection, batch, position, expected))) return { applied: false, moved: [] };
    const now = await views.subjectPositions([...snapshots.keys()]);
    const moved = [...snapshots].filter(([id, snap]) => now.get(id) !== snap.position).map(([id]) => id);
    return { applied: true, moved };
  }

  /** Starts projecting a catch-up's page while `previous` (the page before it) may still be committing. */
  private startStep(events: readonly RecordedEvent[], expected: number, previous: Step | undefined): Step {
    let markComputed = (): void => {};
    const computed = new Promise<void>((resolve) => (markComputed = resolve));
    const pipe: Pipe = { subjects: subjectsOf(events), previous, markComputed };
    const applied = this.project(events, expected, pipe);
    return {
      subjects: pipe.subjects,
      computed,
      applied,
      last: events[events.length - 1]!.position,
      size: events.length,
    };
  }

  /** Drops the read models and projects the whole log again. */
  async rebuild(): Promise<number> {
    this.forgetKept();
    await this.deps.views.reset();
    this.seen = 0;
    // The reset dropped what said the rows follow the register's validity periods: this rebuild says it again.
    this.validityFollowed = false;
    const count = await this.catchUp(this.batchSize * 5);
    await this.deps.views.rebuilt?.();
    return count;
  }

  /**
   * Follows the log live: every append (of this or another process) is projected. A page that
   * starts where this projector's last batch ended is applied as delivered, without reading it
   * again; anything else (another replica moved the checkpoint, a catch-up was running) triggers a
   * catch-up from the checkpoint.
   */
  async start(): Promise<void> {
    if (this.subscription) return;
    let delivered = await this.deps.log.headPosition();
    this.subscription = this.deps.log.subscribe({
      after: delivered,
      onEvents: (events) => {
        const after = delivered;
        delivered = events[events.length - 1]?.position ?? delivered;
        return this.kick({ after, events });
      },
      onError: (e) => {
        this.failure = e;
      },
    });
    await this.kick();
  }

  /**
   * Runs a catch-up, or joins the running one; resolves after a catch-up that started after this
   * call has finished, so it has seen every event appended before the call. `page`: events just
   * delivered after position `after`; applied directly when `after` is the checkpoint this
   * projector last saw (the apply itself checks that it still is).
   */
  kick(page?: { after: number; events: readonly RecordedEvent[] }): Promise<void> {
    if (this.running) {
      if (page) {
        // The running catch-up may already take these events; if not, they go next.
        const last = page.events[page.events.length - 1]?.position ?? 0;
        return this.running.then(
          () => (this.seen >= last ? undefined : this.kick(page)),
          () => this.kick(page),
        );
      }
      this.again = true;
      return this.running;
    }
    let direct = page && page.events.length > 0 && page.after === this.seen ? page : undefined;
    this.running = (async () => {
      do {
        this.again = false;
        try {
          const applied = direct !== undefined && (await this.project(direct.events, direct.after));
          direct = undefined;
          if (!applied) await this.catchUp();
          this.failure = undefined;
          this.retryDelayMs = RETRY_MIN_MS;
        } catch (e) {
          this.failure = e;
          this.scheduleRetry();
          throw e;
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Waits until the read models reflect the log up to `position` (read-your-writes). */
  async waitFor(position: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.seen < position) {
      if (!this.running && (await this.deliveredLive(position, deadline))) return;
      // A batch under way (most often the page just appended, delivered live) may be all it takes.
      const joined = this.running;
      try {
        await (joined ?? this.kick());
      } catch (e) {
        throw new VaultError('STORE_UNAVAILABLE', 'The read models could not be brought up to date', { cause: e });
      }
      if (this.seen >= position) return;
      if (Date.now() > deadline)
        throw new VaultError(
          'STORE_UNAVAILABLE',
          `The read models did not reach position ${position} in ${timeoutMs} ms`,
        );
      // Behind after a catch-up of its own: the event is not readable yet (another replica's append); retry shortly.
      if (!joined) await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * Whether the live subscription brought the read models to `position` within a moment. It delivers this
   * process's appends at once and applies them without reading them back, whereas a catch-up started for a
   * write that merely finished before its page was delivered reads the checkpoint and the log again.
   */
  private async deliveredLive(position: number, deadline: number): Promise<boolean> {
    if (!this.subscription || this.failure !== undefined) return false;
    try {
      await this.subscription.waitFor(position, Math.max(0, Math.min(LIVE_WAIT_MS, deadline - Date.now())));
    } catch {
      // Not delivered in time (another process's append not yet announced) or stopped: a catch-up reads it.
    }
    return this.seen >= position;
  }

  get healthy(): boolean {
    return this.failure === undefined;
  }

  /**
   * After a failed catch-up while live: try again after a pause that doubles up to 10 s, so that
   * the read models (and `/readyz`) come back once the store does, without waiting for a write.
   */
  private scheduleRetry(): void {
    if (!this.subscription || this.retry) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(delay * 2, RETRY_MAX_MS);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      // A failure schedules the next attempt itself.
      this.kick().catch(() => undefined);
    }, delay);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.retry);
    this.retry = undefined;
    await this.subscription?.stop();
    this.subscription = undefined;
    await this.running?.catch(() => undefined);
  }

  /**
   * One transaction of read-model changes for a run of consecutive events. `pipe`: a catch-up's page, computed while
   * the page before it commits (`catchUp`), and applied only if that one was.
   */
  async project(events: readonly RecordedEvent[], expected?: number, pipe?: Pipe): Promise<boolean> {
    if (events.length === 0) return true;
    // Kept snapshots are what the read models hold only if nothing but this projector wrote since.
    if (expected === undefined || expected !== this.keptAt) this.forgetKept();
    try {
      const applied = await this.projectOnce(events, expected, pipe);
      if (!applied) this.forgetKept();
      return applied;
    } catch (e) {
      // A failed batch may have moved kept states on in memory without writing them.
      this.forgetKept();
      throw e;
    }
  }

  private forgetKept(): void {
    this.kept.clear();
    this.keptAt = -1;
  }

  private async projectOnce(events: readonly RecordedEvent[], expected: number | undefined, pipe?: Pipe) {
    const { views, keyRing } = this.deps;
    const subjectIds = [...(pipe?.subjects ?? subjectsOf(events))];
    const unknown = subjectIds.filter((id) => !this.kept.has(id));
    // A subject of the page still committing whose snapshot is no longer kept is read back once that page is in.
    const previous = pipe?.previous;
    if (previous && unknown.some((id) => previous.subjects.has(id))) await previous.applied.catch(() => false);
    const snapshots = unknown.length > 0 ? await views.getSubjects(unknown) : new Map<string, SubjectView>();
    const states = new Map<string, SubjectState>();
    const before = new Map<string, string>();
    const positions = new Map<string, number>();
    const dirtyLookups = new Map<string, LookupField>();
    const batch: ViewBatch = emptyBatch();

    for (const e of events) {
      const subjectId = subjectOf(e.streamId);
      if (subjectId === undefined) continue;
      let state = states.get(subjectId);
      if (!state) {
        const kept = this.kept.get(subjectId);
        const snap = snapshots.get(subjectId);
        state = kept?.state ?? snap?.state ?? initialState(subjectId);
        states.set(subjectId, state);
        before.set(subjectId, kept?.derived ?? (snap ? JSON.stringify(this.derived(state)) : NO_DERIVED));
      }
      if (e.revision <= state.revision) continue; // already folded into the snapshot
      const ev = e as unknown as DomainEvent;
      const applied = { type: ev.type, data: ev.data, id: e.id, at: e.metadata.at, actor: e.metadata.actor };
      evolve(state, applied as DomainEvent & { id: string; at: string; actor: string });
      state.revision = e.revision;
      positions.set(subjectId, e.position);
      this.collect(state, ev, e, batch, dirtyLookups);
    }

    await keyRing.shredFor(events);
    // Subjects without a snapshot have no index rows yet: nothing older to look for and scrub.
    const fresh = new Set(unknown.filter((id) => !snapshots.has(id)));
    const after = new Map<string, string>();
    await this.indexLookups(states, dirtyLookups, batch, fresh);
    for (const [subjectId, state] of states) {
      if (!positions.has(subjectId)) continue;
      batch.subjects.push({ subjectId, position: positions.get(subjectId)!, state });
      const derived = this.derived(state);
      const json = JSON.stringify(derived);
      after.set(subjectId, json);
      // Most events move no hold or retention date: skip rewriting rows that did not change.
      if (json === before.get(subjectId)) continue;
      batch.holds.push({ subjectId, rows: derived.holds });
      batch.retention.push({ subjectId, rows: derived.retention });
      batch.tracked.push({ subjectId, rows: derived.tracked });
    }
    const last = events[events.length - 1]!.position;
    // Kept at once, so that the next page can be computed on top of these states while this one commits; a batch
    // that is not applied forgets them (`project`).
    this.keep(states, after, last);
    pipe?.markComputed();
    // A store that commits applies in order takes this batch at once, so that its writer goes on to it without waiting
    // for this thread to hear of the last: if the page before was not applied, the checkpoint is not this batch's
    // `expected` and it is refused, unless another projector applied that very page, computed from the same checkpoint
    // as this one's was, and so the same read models this batch was computed on.
    if (previous && !views.appliesInOrder && !(await previous.applied.catch(() => false))) return false;
    const applied = await views.apply(PROJECTION, batch, last, expected);
    if (applied) this.seen = Math.max(this.seen, last);
    return applied;
  }

  /** Keeps the states just written (the least recently written go first when full). */
  private keep(states: Map<string, SubjectState>, derived: Map<string, string>, at: number): void {
    for (const [subjectId, state] of states) {
      const d = derived.get(subjectId);
      // Not written in this batch (every event was already folded in): the read models may hold another version.
      if (d === undefined) this.kept.delete(subjectId);
      else this.kept.set(subjectId, { state, derived: d });
    }
    this.keptAt = at;
  }

  private derived(state: SubjectState) {
    const holds = holdsOf(state, this.deps.register);
    // A hold on one entry moves the end of that entry's values alone (endedPurposes.ts), not the category's.
    const retention = withEndedPurposes(
      retentionOf(state, this.deps.register, holds),
      state,
      this.deps.register,
      holds,
    );
    return { holds, retention, tracked: trackedRowsOf(state) };
  }

  /** What one event (already folded into `state`) changes in the batch: statistics, index entries, shred records. */
  private collect(
    state: SubjectState,
    ev: DomainEvent,
    e: RecordedEvent,
    batch: ViewBatch,
    dirty: Map<string, LookupField>,
  ): void {
    const { subjectId } = state;
    countStat(batch, e.metadata.at, ev);
    switch (ev.type) {
      case 'PersonalDataRecorded':
      case 'PersonalDataRectified':
      case 'PersonalDataErased':
        this.markLookup(dirty, subjectId, ev.data.category, ev.data.field, ev.data.entry);
        break;
      case 'CategoryRekeyed':
        for (const v of ev.data.values) this.markLookup(dirty, subjectId, ev.data.category, v.field, ev.data.entry);
        break;
      case 'CategoryShredded':
        for (const entry of shreddedScopes(state, ev.data)) {
          const scope = { subjectId, category: ev.data.category, ...(entry === undefined ? {} : { entry }) };
          for (const [k, d] of dirty)
            if (d.subjectId === subjectId && d.category === scope.category && d.entry === entry) dirty.delete(k);
          batch.index.push({ op: 'delete', ...scope });
        }
        batch.shredded.push({
          subjectId,
          category: ev.data.category,
          keyIds: ev.data.keyIds,
          reason: ev.data.reason,
          at: e.metadata.at,
          eventId: e.id,
        });
        break;
      case 'ConsentGiven':
        // The consents index (consentValidity.ts): with the rest of the subject's rows.
        if (batch.consents[batch.consents.length - 1] !== subjectId) batch.consents.push(subjectId);
        break;
      default:
        break;
    }
  }

  /** Notes a lookup field (the category's own value's, or `entry`'s) whose blind-index entry the batch recomputes. */
  private markLookup(
    dirty: Map<string, LookupField>,
    subjectId: string,
    category: string,
    field: string,
    entry: string | undefined,
  ): void {
    if (!this.deps.register.categories[category]?.fields[field]?.lookup) return;
    const key = [subjectId, category, field, entry ?? ''].join('\u0000');
    dirty.set(key, { subjectId, category, field, ...(entry === undefined ? {} : { entry }) });
  }

  /** Blind-index entries for the lookup fields a batch touched, from their final values, under the newest epoch. */
  private async indexLookups(
    states: Map<string, SubjectState>,
    dirty: Map<string, LookupField>,
    batch: ViewBatch,
    fresh: ReadonlySet<string>,
  ): Promise<void> {
    if (dirty.size === 0) return;
    const forms = await lookupForms(this.deps, states, dirty.values());
    const index = await this.deps.blindIndex.writer();
    for (const { form, ...d } of forms) {
      if (form)
        batch.index.push({
          op: 'put',
          entry: { hash: index.hash(form), ...d },
          ...(fresh.has(d.subjectId) ? { fresh: true } : {}),
        });
      else batch.index.push({ op: 'delete', ...d });
    }
  }
}

/**
 * The keys' values a shred destroyed, as blind-index scopes: the entry it names; else the category's own values
 * (`undefined`) and each entry whose key went with them (one a hold of its own keeps stays, and stays findable).
 */
function shreddedScopes(state: SubjectState, shred: { category: string; keyIds: string[]; entry?: string }) {
  if (shred.entry !== undefined) return [shred.entry];
  const entries = Object.entries(state.categories[shred.category]?.entries ?? {});
  return [undefined, ...entries.filter(([, e]) => shred.keyIds.includes(e.keyId)).map(([entry]) => entry)];
}

/** Anonymous counters: what happened, per month, category and purpose; never who. */
function countStat(batch: ViewBatch, at: string, ev: DomainEvent): void {
  const add = (metric: string, category = '', purpose = '') => {
    const month = at.slice(0, 7);
    // Few distinct rows per batch, many events: the last row matched is usually the next one too.
    const last = batch.stats[batch.stats.length - 1];
    const row =
      last && last.month === month && last.metric === metric && last.category === category && last.purpose === purpose
        ? last
        : batch.stats.find(
            (s) => s.month === month && s.metric === metric && s.category === category && s.purpose === purpose,
          );
    if (row) row.count += 1;
    else batch.stats.push({ month, category, purpose, metric, count: 1 });
  };
  switch (ev.type) {
    case 'SubjectRegistered':
      return add('subjectsRegistered');
    case 'PersonalDataRecorded':
      return add('recorded', ev.data.category, ev.data.purpose);
    case 'PersonalDataRectified':
      return add('rectified', ev.data.category, ev.data.purpose);
    case 'PersonalDataErased':
      return add('fieldsErased', ev.data.category);
    case 'ConsentGiven':
      return add('consentGiven', '', ev.data.purpose);
    case 'ConsentWithdrawn':
      return add('consentWithdrawn', '', ev.data.purpose);
    case 'ObjectionRaised':
      return add('objections', '', ev.data.purpose);
    case 'ObjectionOverridden':
      return add('objectionsOverridden', '', ev.data.purpose);
    case 'ProcessingRestricted':
      return ev.data.categories.forEach((c) => add('restricted', c));
    case 'LegalHoldPlaced':
      return add('legalHolds', ev.data.category);
    case 'CategoryShredded':
      return add(`shredded:${ev.data.reason}`, ev.data.category);
    case 'SubjectErased':
      return add('subjectsErased');
    default:
      return;
  }
}
