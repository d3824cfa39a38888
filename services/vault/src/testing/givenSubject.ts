import { expect } from 'vitest';

import { isVaultError } from '../domain/errors.js';
import type { DomainEvent, Sealed, Unsealed } from '../domain/events.js';
import type { ProcessingRegister } from '../domain/register.js';
import {
  type Command,
  decide,
  evolve,
  initialState,
  keyIdFor,
  type SubjectState,
  type Writer,
} from '../domain/subject.js';
import { fixtureRegister } from './fixtureRegister.js';

/**
 * Given/when/then for the subject's deciders (test code only): given events, when a command, then
 * the events decided or the error raised. No I/O: the state is folded from the given events, and
 * each command decides on its own copy.
 */

export const register = fixtureRegister();
export const S = 'subject-1';
export const T0 = '2026-01-10T10:00:00.000Z';
export const ACTOR = 'service:crm';

/** Given events (values stand in as their plain form), when a command, then events or an error. */
export function given(...events: DomainEvent<Sealed>[]) {
  const state = events.reduce<SubjectState>((s, e, i) => evolve(s, { ...e, id: `e${i}`, at: T0 }), initialState(S));
  return {
    state,
    /** `writer`: who writes (a service and its purposes, the DPO, the subject); default the controller's tooling. */
    when(command: Command, now = '2026-02-01T00:00:00.000Z', writer?: Writer, reg: ProcessingRegister = register) {
      const ctx = { register: reg, now, actor: ACTOR, ...(writer ? { writer } : {}) };
      const run = () => decide(structuredClone(state), command, ctx);
      return {
        then: (expected: DomainEvent<Unsealed>[]) => expect(run()).toEqual(expected),
        thenFails: (code: string, path?: string) => {
          try {
            run();
          } catch (e) {
            expect(isVaultError(e)).toBe(true);
            expect((e as { code: string }).code).toBe(code);
            if (path) expect((e as { path?: string }).path).toBe(path);
            return;
          }
          throw new Error(`expected ${code}`);
        },
        events: run,
      };
    },
  };
}

export const registered: DomainEvent<Sealed> = { type: 'SubjectRegistered', data: { subjectId: S } };

export const recorded = (
  category: string,
  field: string,
  generation = 1,
  purpose = 'contract',
  legalBasis: 'contract' | 'consent' = 'contract',
): DomainEvent<Sealed> => ({
  type: 'PersonalDataRecorded',
  data: {
    category,
    field,
    keyId: keyIdFor(S, category, generation),
    value: `sealed-${field}`,
    purpose,
    legalBasis,
    source: 'subject',
  },
});

export const item = (
  category: string,
  field: string,
  value: unknown,
  purpose = 'contract',
  legalBasis = 'contract',
) => ({
  category,
  field,
  value,
  purpose,
  legalBasis,
  source: 'subject',
});

/** A consent as a command gives it: the notice shown and the channel. */
export const notice = (purpose: string) => ({
  purpose,
  noticeId: 'privacy-notice',
  noticeVersion: '2026-01',
  channel: 'webForm',
});

/** The ConsentGiven event `notice(purpose)` makes, collected by ACTOR. */
export const consentGivenEvent = (purpose: string): DomainEvent<Sealed> => ({
  type: 'ConsentGiven',
  data: { ...notice(purpose), channel: 'webForm', collectedBy: ACTOR },
});
