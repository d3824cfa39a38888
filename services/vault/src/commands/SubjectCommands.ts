import { randomUUID } from 'node:crypto';

import type { KeyRing } from '../crypto/keyRing.js';
import { openField, openProposal } from '../crypto/sealedFields.js';
import {
  consentReleases,
  endedPurposeReleases,
  objectionReleases,
  type Release,
  releasedFields,
  remainingName,
} from '../domain/decide/consentReleases.js';
import { valueName } from '../domain/decide/entries.js';
import { contestedBy, proposalName } from '../domain/decide/rectificationRequest.js';
import { foreignHolder } from '../domain/decide/valueOwnership.js';
import { isConflictError, VaultError } from '../domain/errors.js';
import { streamOf } from '../domain/events.js';
import type { ProcessingRegister } from '../domain/register.js';
import { expiringEntries } from '../domain/retention.js';
import { liveEntryOf } from '../domain/state.js';
import {
  type Command,
  type DataItemInput,
  decide,
  type FieldState,
  fold,
  initialState,
  type SubjectState,
  type Writer,
} from '../domain/subject.js';
import type { CommandOptions, CommandResult, Commands } from '../ports/Commands.js';
import { type AppendResult, type EventLog, type NewEvent, NO_STREAM, type RecordedEvent } from '../ports/EventLog.js';
import type { ViewStore } from '../ports/ViewStore.js';
import { type RecentCache, recentCache } from '../support/recentCache.js';
import { sealDecision } from './sealDecision.js';

export interface CommandDeps {
  log: EventLog;
  views: ViewStore;
  keyRing: KeyRing;
  register: ProcessingRegister;
  /** ISO time; injectable so retention and deadlines can be tested on a controlled clock. */
  now: () => string;
}

export interface SubjectCommandsOptions {
  /**
   * Subjects whose state after this instance's last command on them is kept for the next one,
   * so that a write does not re-read the snapshot and the stream's tail. A kept state is trusted
   * only as far as the append's expected revision confirms it: a write made meanwhile by another
   * replica fails that check and the command reruns on a fresh load. Decisions that append
   * nothing (a no-op, a refusal) are always re-checked on a fresh load. 0 turns it off.
   * Default 2,000.
   */
  stateCacheSize?: number;
}

export type { CommandOptions, CommandResult } from '../ports/Commands.js';

/**
 * The write side: load a subject's state (snapshot from the read models, then the stream's
 * tail), decide, seal, append with the expected revision, retry on conflict, then destroy the
 * keys the events shredded. Keys are destroyed only after their event is durable; a crash in
 * between is finished by the projector, which shreds again (idempotently) when it meets the event.
 */
export class SubjectCommands implements Commands {
  /** Kept states; a command takes its subject's out while it runs, so no two commands share one. */
  private readonly states: RecentCache<SubjectState>;
  /**
   * The last command queued for each subject with one running: this instance runs one command
   * per subject at a time, in arrival order, so its own concurrent writes to a subject never
   * conflict with each other. Only another replica's write can still meet a stale revision.
   */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly deps: CommandDeps,
    options: SubjectCommandsOptions = {},
  ) {
    this.states = recentCache(Math.max(0, options.stateCacheSize ?? 2_000));
  }

  async registerSubject(options: CommandOptions, subjectId: string = randomUUID()): Promise<CommandResult> {
    return this.execute(subjectId, { type: 'RegisterSubject' }, options);
  }

  execute(subjectId: string, command: Command, options: CommandOptions): Promise<CommandResult> {
    const previous = this.queues.get(subjectId);
    const result = previous
      ? previous.then(() => this.attempt(subjectId, command, options))
      : this.attempt(subjectId, command, options);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(subjectId, settled);
    void settled.then(() => {
      if (this.queues.get(subjectId) === settled) this.queues.delete(subjectId);
    });
    return result;
  }

  /** The command, retried on optimistic-concurrency conflicts (another replica's write) after a short random pause. */
  private async attempt(subjectId: string, command: Command, options: CommandOptions): Promise<CommandResult> {
    const attempts = options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        const kept = this.states.get(subjectId);
        if (kept) {
          this.states.delete(subjectId);
          const result = await this.once(subjectId, command, options, kept);
          if (result) return result;
        }
        return (await this.once(subjectId, command, options))!;
      } catch (e) {
        if (!isConflictError(e) || attempt >= attempts) throw e;
        // Replicas that met on one subject would otherwise meet again at once.
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }

  /** Current state: the projected snapshot plus any events the projection has not reached yet. */
  async load(subjectId: string): Promise<SubjectState> {
    const snap = (await this.deps.views.getSubjects([subjectId])).get(subjectId);
    const state = snap?.state ?? initialState(subjectId);
    const tail = await this.deps.log.readStream(streamOf(subjectId), { fromRevision: state.revision + 1 });
    return fold(state, tail);
  }

  /**
   * Decides on `kept` (a state this instance kept) or on a fresh load. On a kept state only an
   * append the log accepts confirms the decision: anything else (nothing to append, a refusal, a
   * conflict, a key that is gone) gives undefined, and the caller reruns on a fresh load.
   */
  private async once(
    subjectId: string,
    command: Command,
    options: CommandOptions,
    kept?: SubjectState,
  ): Promise<CommandResult | undefined> {
    const state = kept ?? (await this.load(subjectId));
    let events: NewEvent[] | undefined;
    try {
      events = await this.decideAndSeal(state, command, options);
    } catch (e) {
      if (kept) return undefined;
      throw e;
    }
    if (!events) {
      if (kept) return undefined;
      this.keep(state);
      return { subjectId, events: [], position: 0, revision: state.revision, state, shreddedKeyIds: [] };
    }
    let result: AppendResult;
    try {
      result = await this.deps.log.append(streamOf(subjectId), events, state.revision < 0 ? NO_STREAM : state.revision);
    } catch (e) {
      // Only a conflict says the kept state was stale; any other failure may have stored the events.
      if (kept && isConflictError(e)) return undefined;
      throw e;
    }

    const recorded: RecordedEvent[] = events.map((e, i) => ({
      ...e,
      streamId: streamOf(subjectId),
      revision: result.nextRevision - events.length + 1 + i,
      position: result.position - events.length + 1 + i,
    }));
    fold(state, recorded);
    this.keep(state);
    const shreddedKeyIds = await this.deps.keyRing.shredFor(recorded);
    return {
      subjectId,
      events: recorded,
      position: result.position,
      revision: result.nextRevision,
      state,
      shreddedKeyIds,
    };
  }

  /** The command's events, sealed; undefined when it changes nothing. */
  private async decideAndSeal(
    state: SubjectState,
    command: Command,
    options: CommandOptions,
  ): Promise<NewEvent[] | undefined> {
    const { keyRing, register } = this.deps;
    const now = this.deps.now();
    const facts = await this.withStoreFacts(state, command, options.writer, now);
    const writer = options.writer ? { writer: options.writer } : {};
    const decision = decide(state, facts, { register, now, actor: options.actor, ...writer });
    if (decision.length === 0) return undefined;
    const metadata = {
      actor: options.actor,
      at: now,
      ...(options.correlationId ? { correlationId: options.correlationId } : {}),
    };
    return sealDecision(state.subjectId, decision, keyRing, metadata);
  }

  private keep(state: SubjectState): void {
    this.states.set(state.subjectId, state);
  }

  /** The command with what its decision needs from the key store, which the pure domain cannot ask. */
  private async withStoreFacts(
    state: SubjectState,
    command: Command,
    writer: Writer | undefined,
    now: string,
  ): Promise<Command> {
    if (command.type === 'ErasePersonalData') return this.withRemainingValues(state, command);
    if (command.type === 'EraseSubject' && !state.erasedAt) return this.withStrayKeys(state, command);
    if (command.type === 'RecordPersonalData' || command.type === 'RectifyPersonalData')
      return { ...command, current: await this.heldValues(state, command.items, writer) };
    if (command.type === 'CompleteRequest') return { ...command, proposals: await this.proposals(state, command) };
    if (command.type === 'ApplyRetention') return this.withCarriedValues(state, command, now);
    if (
      command.type === 'WithdrawConsent' ||
      command.type === 'ObjectToProcessing' ||
      command.type === 'ReleaseEndedPurposes'
    )
      return this.withReleasedValues(state, command, now);
    return command;
  }

  /**
   * A withdrawal (or an objection to direct marketing) that erases values kept only for its purpose
   * re-keys their categories (or entries): the values that stay are opened to be re-sealed. Nothing is opened when
   * it erases nothing.
   */
  private async withReleasedValues(
    state: SubjectState,
    command: Extract<Command, { type: 'WithdrawConsent' | 'ObjectToProcessing' | 'ReleaseEndedPurposes' }>,
    now: string,
  ): Promise<Command> {
    const { remaining: _ignored, ...rest } = command;
    const values = this.releases(state, command, now)
      .filter((r) => r.erase.length > 0)
      .flatMap((r) => {
        const fields = releasedFields(state, r);
        const c = state.categories[r.category]!;
        const keyId = r.entry === undefined ? c.keyId : c.entries![r.entry]!.keyId;
        return r.keep.map((field) => ({
          name: remainingName(r.category, field, r.entry),
          category: r.category,
          field,
          f: fields[field]!,
          keyId,
        }));
      });
    return values.length > 0 ? { ...rest, remaining: await this.opened(state.subjectId, values, openField) } : rest;
  }

  /** What the command releases: nothing for a purpose or category the register does not know (the decider says so). */
  private releases(
    state: SubjectState,
    command: Extract<Command, { type: 'WithdrawConsent' | 'ObjectToProcessing' | 'ReleaseEndedPurposes' }>,
    now: string,
  ): Release[] {
    const { register } = this.deps;
    if (command.type === 'ReleaseEndedPurposes')
      return Object.hasOwn(register.categories, command.category)
        ? endedPurposeReleases(state, register, command.category, now)
        : [];
    if (!Object.hasOwn(register.purposes, command.purpose)) return [];
    const releases = command.type === 'WithdrawConsent' ? consentReleases : objectionReleases;
    return releases(state, register, command.purpose, now);
  }

  /**
   * Retention that ends for some entries of a category and not others re-keys it: the values that
   * stay are opened to be re-sealed. Nothing is opened when the whole category (or nothing) is due.
   */
  private async withCarriedValues(
    state: SubjectState,
    command: Extract<Command, { type: 'ApplyRetention' }>,
    now: string,
  ): Promise<Command> {
    const { remaining: _ignored, ...rest } = command;
    if (!this.deps.register.categories[command.category]) return rest;
    const expiring = expiringEntries(state, this.deps.register, command.category, now);
    const c = state.categories[command.category];
    if (!expiring || !c) return rest;
    const values = expiring.keep.map((field) => ({
      name: field,
      category: command.category,
      field,
      f: c.fields[field]!,
      keyId: c.keyId,
    }));
    return { ...rest, remaining: await this.opened(state.subjectId, values, openField) };
  }

  /**
   * The current values a service writes over where another purpose holds them, opened so that the
   * same value written again is told from a replacement. Nothing is opened on the usual path.
   */
  private async heldValues(
    state: SubjectState,
    items: readonly DataItemInput[],
    writer: Writer | undefined,
  ): Promise<Record<string, unknown>> {
    const held: { name: string; category: string; field: string; f: FieldState; keyId: string }[] = [];
    for (const { category, field, entry } of items) {
      if (!Object.hasOwn(this.deps.register.categories, category)) continue;
      const c = state.categories[category];
      // The value written over: the category's own, or its entry's under the entry's key.
      const at = entry === undefined ? (c && !c.shredded ? c : undefined) : liveEntryOf(c, entry);
      const f = at && Object.hasOwn(at.fields, field) ? at.fields[field] : undefined;
      if (f && foreignHolder(writer, f))
        held.push({ name: valueName(category, field, entry), category, field, f, keyId: at!.keyId });
    }
    return this.opened(state.subjectId, held, openField);
  }

  /** The values a rectification request proposed, opened for its completion (none for other requests). */
  private async proposals(
    state: SubjectState,
    command: Extract<Command, { type: 'CompleteRequest' }>,
  ): Promise<Record<string, unknown>> {
    const contested = contestedBy(state, command.requestId).map((c) => ({
      ...c,
      name: proposalName(c.category, c.field, c.entry),
      keyId: c.f.contested!.keyId,
    }));
    return this.opened(state.subjectId, contested, openProposal);
  }

  /** Opens each value whose key the store still holds; a destroyed key leaves it out (the decider says why). */
  private async opened(
    subjectId: string,
    values: { name: string; category: string; field: string; f: FieldState; keyId: string }[],
    open: (subjectId: string, category: string, field: string, f: FieldState, key: Uint8Array) => unknown,
  ): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    if (values.length === 0) return out;
    const keys = await this.deps.keyRing.get([...new Set(values.map((v) => v.keyId))]);
    for (const v of values) {
      const key = keys.get(v.keyId);
      if (key) out[v.name] = open(subjectId, v.category, v.field, v.f, key);
    }
    return out;
  }

  /**
   * A write creates its key before its append; if the log then refuses the append (another writer
   * erased the subject meanwhile, an append too large, a store failing), no event names that key:
   * the next generation of a category or of an entry, or the first key of an entry the subject never
   * had (its id names a case no event does). The erasure asks the key store for every key it holds
   * for the subject (the live ones: a few a category, whatever the history) and destroys, with the
   * rest, those of the register's categories that the subject's state does not hold (nothing kept was
   * ever sealed under them). The requests key is not a category's and stays, as erasure keeps it.
   */
  private async withStrayKeys(
    state: SubjectState,
    command: Extract<Command, { type: 'EraseSubject' }>,
  ): Promise<Command> {
    const held = new Set(
      Object.values(state.categories).flatMap((c) => [c.keyId, ...Object.values(c.entries ?? {}).map((e) => e.keyId)]),
    );
    const listed = await this.deps.keyRing.store.listKeyIds(state.subjectId);
    const { categories } = this.deps.register;
    // Always what the key store says, never what the caller put in the command.
    const strayKeyIds = listed.filter((id) => {
      const category = categoryOfKey(state.subjectId, id);
      return category !== undefined && Object.hasOwn(categories, category) && !held.has(id);
    });
    return { ...command, strayKeyIds };
  }

  /**
   * Field erasure re-keys the category (with `entry`, that entry alone): the other fields' values are opened to be
   * re-sealed.
   */
  private async withRemainingValues(
    state: SubjectState,
    command: Extract<Command, { type: 'ErasePersonalData' }>,
  ): Promise<Command> {
    const { remaining: _ignored, ...rest } = command;
    // An unregistered category is refused by decide; its name must not be looked up in the state before.
    const c = Object.hasOwn(this.deps.register.categories, command.category)
      ? state.categories[command.category]
      : undefined;
    const at = command.entry === undefined ? (c && !c.shredded ? c : undefined) : liveEntryOf(c, command.entry);
    if (!at) return { ...rest, remaining: {} };
    const others = Object.entries(at.fields).filter(([f]) => f !== command.field);
    const keys = await this.deps.keyRing.get([at.keyId]);
    const remaining: Record<string, unknown> = {};
    for (const [name, f] of others) {
      const key = keys.get(at.keyId);
      if (!key) throw new VaultError('KEY_SHREDDED', `The key of ${command.category} is gone; nothing to re-key`);
      remaining[name] = openField(state.subjectId, command.category, name, f, key);
    }
    return { ...rest, remaining };
  }
}

/**
 * The register category a key of the subject belongs to: `subject/category/generation`, or
 * `subject/category~entry/generation` for an entry's key; undefined for another subject's key or one
 * of another shape.
 */
function categoryOfKey(subjectId: string, keyId: string): string | undefined {
  const prefix = `${subjectId}/`;
  if (!keyId.startsWith(prefix)) return undefined;
  const segments = keyId.slice(prefix.length).split('/');
  if (segments.length !== 2 || !/^[1-9][0-9]*$/.test(segments[1]!)) return undefined;
  return segments[0]!.split('~')[0];
}
