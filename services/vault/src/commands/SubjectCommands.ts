import { randomUUID } from 'node:crypto';
import { VaultError, isConflictError } from '../domain/errors.js';
import { streamOf } from '../domain/events.js';
import type { ProcessingRegister } from '../domain/register.js';
import { decide, fold, initialState, type Command, type SubjectState } from '../domain/subject.js';
import type { KeyRing } from '../crypto/keyRing.js';
import { NO_STREAM, type EventLog, type RecordedEvent } from '../ports/EventLog.js';
import type { ViewStore } from '../ports/ViewStore.js';
import { openField, sealDecision } from '../crypto/sealDecision.js';

export interface CommandDeps {
  log: EventLog;
  views: ViewStore;
  keyRing: KeyRing;
  register: ProcessingRegister;
  /** ISO time; injectable so retention and deadlines can be tested on a controlled clock. */
  now: () => string;
}

export interface CommandOptions {
  /** Who acts (a service name, `dpo:<name>`, `system:retention`). Plaintext: never personal data. */
  actor: string;
  /** Ties the events to the request that caused them (plaintext metadata: an id, never data). Default: none. */
  correlationId?: string;
  /** Attempts on optimistic-concurrency conflicts. Default 5. */
  maxAttempts?: number;
}

export interface CommandResult {
  subjectId: string;
  events: RecordedEvent[];
  /** Log position of the last event written (0 when the command decided nothing). */
  position: number;
  state: SubjectState;
  /** Key ids destroyed by this command. */
  shreddedKeyIds: string[];
}

/**
 * The write side: load a subject's state (snapshot from the read models, then the stream's
 * tail), decide, seal, append with the expected revision, retry on conflict, then destroy the
 * keys the events shredded. Keys are destroyed only after their event is durable; a crash in
 * between is finished by the projector, which shreds again (idempotently) when it meets the event.
 */
export class SubjectCommands {
  constructor(private readonly deps: CommandDeps) {}

  async registerSubject(options: CommandOptions, subjectId: string = randomUUID()): Promise<CommandResult> {
    return this.execute(subjectId, { type: 'RegisterSubject' }, options);
  }

  async execute(subjectId: string, command: Command, options: CommandOptions): Promise<CommandResult> {
    const attempts = options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(subjectId, command, options);
      } catch (e) {
        if (!isConflictError(e) || attempt >= attempts) throw e;
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

  private async once(subjectId: string, command: Command, options: CommandOptions): Promise<CommandResult> {
    const { log, keyRing, register } = this.deps;
    const state = await this.load(subjectId);
    const now = this.deps.now();
    const prepared = command.type === 'ErasePersonalData' ? await this.withRemainingValues(state, command) : command;
    const decision = decide(state, prepared, { register, now });
    if (decision.length === 0) return { subjectId, events: [], position: 0, state, shreddedKeyIds: [] };

    const metadata = { actor: options.actor, at: now, ...(options.correlationId ? { correlationId: options.correlationId } : {}) };
    const events = await sealDecision(subjectId, decision, keyRing, metadata);
    const expected = state.revision < 0 ? NO_STREAM : state.revision;
    const result = await log.append(streamOf(subjectId), events, expected);

    const recorded: RecordedEvent[] = events.map((e, i) => ({
      ...e,
      streamId: streamOf(subjectId),
      revision: result.nextRevision - events.length + 1 + i,
      position: result.position - events.length + 1 + i,
    }));
    fold(state, recorded);
    const shreddedKeyIds = await keyRing.shredFor(recorded);
    return { subjectId, events: recorded, position: result.position, state, shreddedKeyIds };
  }

  /** Field erasure re-keys the category: the other fields' values are opened to be re-sealed. */
  private async withRemainingValues(state: SubjectState, command: Extract<Command, { type: 'ErasePersonalData' }>): Promise<Command> {
    const c = state.categories[command.category];
    if (!c || c.shredded) return command;
    const others = Object.entries(c.fields).filter(([f]) => f !== command.field);
    const keys = await this.deps.keyRing.get([c.keyId]);
    const remaining: Record<string, unknown> = {};
    for (const [name, f] of others) {
      const key = keys.get(c.keyId);
      if (!key) throw new VaultError('KEY_SHREDDED', `The key of ${command.category} is gone; nothing to re-key`);
      remaining[name] = openField(state.subjectId, command.category, name, f, key);
    }
    return { ...command, remaining };
  }
}

