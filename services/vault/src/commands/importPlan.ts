import type { ConsentInput } from '../domain/consent.js';
import { badInput, VaultError } from '../domain/errors.js';
import type { DomainEvent, Unsealed } from '../domain/events.js';
import type { ProcessingRegister } from '../domain/register.js';
import { type Command, type DataItemInput, decide, evolve, initialState } from '../domain/subject.js';
import { parseInstant } from '../domain/time.js';

/**
 * One line of a bulk import (NDJSON, docs/operations.md) turned into the events of one new subject,
 * decided by the same deciders the API runs, each at the time the line says it happened. Pure: no
 * I/O, no keys; the caller derives the subject id, seals and appends.
 */

/** What a line may hold, besides `externalId`. Anything else is refused, so a typo is not silently dropped. */
const LINE_KEYS = new Set(['externalId', 'fields', 'consents', 'lifecycle']);
const FIELD_KEYS = new Set(['category', 'field', 'value', 'purpose', 'legalBasis', 'source', 'collectedAt', 'entry']);
const CONSENT_KEYS = new Set(['purpose', 'noticeId', 'noticeVersion', 'channel', 'givenAt']);
const LIFECYCLE_KEYS = new Set(['event', 'at', 'entry']);
/** An external id is an identifier, not a document: long enough for any system's keys. */
export const MAX_EXTERNAL_ID = 256;

/** The events of one step, decided at `at` (their metadata time). */
export interface ImportStep {
  at: string;
  events: DomainEvent<Unsealed>[];
}

export interface ImportPlan {
  externalId: string;
  subjectId: string;
  /** Registration first, then consents, fields and lifecycle events in time order. */
  steps: ImportStep[];
  fields: number;
}

interface Timed {
  at: string;
  /** Order among steps of the same time: consents, then fields, then lifecycle events. */
  rank: number;
  command: Command;
  /** Maps a decider's path (`items[0].value`, `purpose`) to the line's (`fields[3].value`). */
  path: (p: string | undefined) => string;
}

/**
 * The plan for one line of text, or a VaultError with a stable code and the path within the line
 * (never its value): MALFORMED_LINE, BAD_USER_INPUT, TIME_OUT_OF_RANGE, CONSENT_REQUIRED, CONSENT_EXPIRED, FORBIDDEN.
 */
export function planImport(
  text: string,
  register: ProcessingRegister,
  subjectIdOf: (externalId: string) => string,
  now: string,
): ImportPlan {
  const line = parseLine(text);
  const externalId = line.externalId as string;
  const timed = [
    ...consentSteps(line.consents, now),
    ...fieldSteps(line.fields, now),
    ...lifecycleSteps(line.lifecycle, now),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.rank - b.rank));
  const registeredAt = timed[0]?.at ?? now;
  const state = initialState(subjectIdOf(externalId));
  const steps: ImportStep[] = [];
  const run = (command: Command, at: string, path: Timed['path']) => {
    let events: DomainEvent<Unsealed>[];
    try {
      events = decide(state, command, { register, now: at, actor: IMPORT_ACTOR });
    } catch (e) {
      if (e instanceof VaultError) throw new VaultError(e.code, e.message, { path: path(e.path), cause: e });
      throw e;
    }
    // The state moves on with the plain values: only the deciders of this line read it.
    events.forEach((e, i) => evolve(state, { ...e, id: `import-${steps.length}-${i}`, at } as never));
    steps.push({ at, events });
  };
  run({ type: 'RegisterSubject' }, registeredAt, () => 'externalId');
  for (const t of timed) run(t.command, t.at, t.path);
  const fields = Array.isArray(line.fields) ? line.fields.length : 0;
  return { externalId, subjectId: state.subjectId, steps: steps.filter((s) => s.events.length > 0), fields };
}

/** Who the imported events and consents name as acting: the controller's migration tooling. */
export const IMPORT_ACTOR = 'system:import';

function parseLine(text: string): Record<string, unknown> {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    throw new VaultError('MALFORMED_LINE', 'The line is not JSON', { path: '' });
  }
  if (typeof line !== 'object' || line === null || Array.isArray(line))
    throw new VaultError('MALFORMED_LINE', 'The line is not a JSON object', { path: '' });
  const record = line as Record<string, unknown>;
  checkKeys(record, LINE_KEYS, '');
  const id = record.externalId;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_EXTERNAL_ID)
    throw badInput(`externalId is required: a string of 1 to ${MAX_EXTERNAL_ID} characters`, 'externalId');
  return record;
}

function checkKeys(record: Record<string, unknown>, allowed: Set<string>, prefix: string): void {
  for (const key of Object.keys(record)) {
    // The key is named in the path only if it is one we know: an unknown key could be anything.
    if (!allowed.has(key)) throw badInput(`Unknown key at ${prefix || 'the top level'}`, prefix || '');
  }
}

/** Each entry of an optional array of objects, with its path. */
function entries(value: unknown, name: string, allowed: Set<string>): [Record<string, unknown>, string][] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badInput(`${name} must be an array`, name);
  return value.map((v, i) => {
    const path = `${name}[${i}]`;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badInput(`${path} must be an object`, path);
    checkKeys(v as Record<string, unknown>, allowed, path);
    return [v as Record<string, unknown>, path];
  });
}

const EPOCH = '1970-01-01T00:00:00.000Z';

/** A time a line gives (when data was collected, consent given): real, not before 1970, not in the future. */
export function pastInstant(value: unknown, path: string, now: string): string {
  const at = typeof value === 'string' ? parseInstant(value) : undefined;
  if (at === undefined) throw badInput(`${path} must be an RFC 3339 date-time such as 2021-03-01T00:00:00Z`, path);
  if (at < EPOCH || at > now)
    throw new VaultError('TIME_OUT_OF_RANGE', `${path} must lie between 1970 and the time of the import`, { path });
  return at;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * An entry a line names (e.g. the debt-collection case a field came with), as the API takes it: a string, checked by
 * the deciders (a well-formed id, in a category whose period runs per entry). Absent: none.
 */
function entryOf(record: Record<string, unknown>, path: string): { entry?: string } {
  const entry = record.entry;
  if (entry === undefined) return {};
  if (typeof entry !== 'string') throw badInput(`${path}.entry must be a string`, `${path}.entry`);
  return { entry };
}

function consentSteps(value: unknown, now: string): Timed[] {
  return entries(value, 'consents', CONSENT_KEYS).map(([c, path]) => {
    const input: ConsentInput = {
      purpose: str(c.purpose),
      noticeId: str(c.noticeId),
      noticeVersion: str(c.noticeVersion),
      channel: str(c.channel),
    };
    const at = pastInstant(c.givenAt, `${path}.givenAt`, now);
    return { at, rank: 0, command: { type: 'GiveConsent', ...input }, path: (p) => `${path}.${p ?? 'purpose'}` };
  });
}

/** Fields collected at the same time are one write, as one API call would record them. */
function fieldSteps(value: unknown, now: string): Timed[] {
  const byTime = new Map<string, { items: DataItemInput[]; paths: string[] }>();
  const seen = new Map<string, string>();
  for (const [f, path] of entries(value, 'fields', FIELD_KEYS)) {
    const entry = entryOf(f, path);
    // The same field of two entries is two values, as in one API call.
    const name = `${str(f.category)}.${str(f.field)}${entry.entry === undefined ? '' : `@${entry.entry}`}`;
    if (seen.has(name)) throw badInput(`The same field appears twice in one line (first at ${seen.get(name)})`, path);
    seen.set(name, path);
    const at = pastInstant(f.collectedAt, `${path}.collectedAt`, now);
    const group = byTime.get(at) ?? { items: [], paths: [] };
    byTime.set(at, group);
    const { category, field, purpose, legalBasis, source } = f;
    group.items.push({
      category: str(category),
      field: str(field),
      value: f.value,
      purpose: str(purpose),
      legalBasis: str(legalBasis),
      source: str(source),
      ...entry,
    });
    group.paths.push(path);
  }
  return [...byTime].map(([at, { items, paths }]) => ({
    at,
    rank: 1,
    command: { type: 'RecordPersonalData', items },
    path: (p) => {
      const m = p ? /^items\[(\d+)\](.*)$/.exec(p) : null;
      return m ? `${paths[Number(m[1])]}${m[2]}` : (paths[0] ?? 'fields');
    },
  }));
}

/** Lifecycle events, each of the subject or (`entry`) of one entry its fields came with (a case closed). */
function lifecycleSteps(value: unknown, now: string): Timed[] {
  return entries(value, 'lifecycle', LIFECYCLE_KEYS).map(([l, path]) => ({
    at: pastInstant(l.at, `${path}.at`, now),
    rank: 2,
    command: { type: 'RecordLifecycleEvent', event: str(l.event), ...entryOf(l, path) },
    path: (p) => `${path}.${p === 'entry' ? 'entry' : 'event'}`,
  }));
}
