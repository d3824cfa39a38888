import type { Command, Writer } from '../domain/decide/command.js';
import type { DomainEvent, Sealed, Unsealed } from '../domain/events.js';
import type { ProcessingRegister } from '../domain/register.js';
import { decide, evolve, initialState, type SubjectState } from '../domain/subject.js';
import { ACTOR, item, register as fixture, registered, S } from './givenSubject.js';

/**
 * Entries of a category (a debtor's debt-collection cases) for domain tests (test code only): the fixture register
 * with two categories whose period runs per entry, and a way to decide and fold commands each at its own time, as
 * the command side does.
 *
 * - `debtor`: the fixture's contact fields and purposes (contract, billing, marketing on consent), each case's values
 *   gone 3 years after its own `caseClosed`.
 * - `dueDiligence`: what a law keeps after erasure (`erasure: keep`), per business relationship: kept 5 years after
 *   that relationship's own `relationshipEnded`, an erasure request or not.
 */
const debtor = structuredClone(fixture.categories['contact']!);
debtor.name = 'debtor';
debtor.retention = { ...debtor.retention, duration: 'P3Y', trigger: { kind: 'lifecycle', event: 'caseClosed' } };

const dueDiligence = structuredClone(fixture.categories['callRecordings']!);
dueDiligence.name = 'dueDiligence';
dueDiligence.fields = {
  document: { type: 'string', lookup: false, providedBySubject: true },
  risk: { type: 'string', lookup: false, providedBySubject: false },
};
dueDiligence.legalBasis = ['legalObligation'];
dueDiligence.retention = { duration: 'P5Y', trigger: { kind: 'lifecycle', event: 'relationshipEnded' } };
dueDiligence.erasure = {
  mode: 'keep',
  law: 'AML law: 5 years after the relationship ended',
  retention: { duration: 'P5Y', trigger: { kind: 'lifecycle', event: 'relationshipEnded' } },
};

export const caseRegister: ProcessingRegister = {
  ...structuredClone(fixture),
  categories: { ...structuredClone(fixture.categories), debtor, dueDiligence },
};

export const T1 = '2026-01-10T10:00:00.000Z';

/** A day-shifted ISO time. */
export const day = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();

/** Decides a command at `now` on a copy of the state; `writer`: who writes (default the controller's tooling). */
export const runAt = (state: SubjectState, command: Command, now: string, writer?: Writer, register = caseRegister) =>
  decide(structuredClone(state), command, { register, now, actor: ACTOR, ...(writer ? { writer } : {}) });

/** A step: the time it is decided at, the command, and who writes it (default the controller's tooling). */
export type Step = [string, Command] | [string, Command, Writer | undefined];

/** Decides and folds each step at its own time, from a subject registered at T1. */
export function play(...steps: Step[]): SubjectState {
  return playOn(caseRegister, ...steps);
}

export function playOn(register: ProcessingRegister, ...steps: Step[]): SubjectState {
  let state = evolve(initialState(S), { ...registered, id: 'e0', at: T1 });
  let n = 1;
  for (const [at, command, writer] of steps) {
    const events = runAt(state, command, at, writer, register).map(sealedForm);
    state = events.reduce<SubjectState>((s, e) => evolve(s, { ...e, id: `e${n++}`, at }), state);
  }
  return state;
}

/** Values stand in as `sealed-<plain>`, as the fixture's events do. */
export function sealedForm(e: DomainEvent<Unsealed>): DomainEvent<Sealed> {
  return JSON.parse(JSON.stringify(e, (_k, v: unknown) => (isPlain(v) ? `sealed-${String(v.plain)}` : v))) as never;
}
const isPlain = (v: unknown): v is { plain: unknown } =>
  typeof v === 'object' && v !== null && Object.keys(v).length === 1 && 'plain' in v;

/** A value of the field's type, told apart by its case. */
const sample = (field: string, entry: string): string =>
  field === 'email'
    ? `${entry.toLowerCase()}@example.com`
    : field === 'phone'
      ? '+31201234567'
      : `${field} of ${entry}`;

/** One value of a case of the debtor (default: its name for the contract). */
export const inCase = (entry: string, field = 'name', value: unknown = sample(field, entry), purpose = 'contract') => ({
  ...item('debtor', field, value, purpose, purpose === 'marketing' ? 'consent' : 'contract'),
  entry,
});

export const recordCase = (entry: string, ...fields: string[]): Command => ({
  type: 'RecordPersonalData',
  items: (fields.length ? fields : ['name']).map((f) => inCase(entry, f)),
});

export const closeCase = (entry: string): Command => ({ type: 'RecordLifecycleEvent', event: 'caseClosed', entry });

export { S };
