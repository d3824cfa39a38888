import { describe, expect, it } from 'vitest';

import { isVaultError } from '../domain/errors.js';
import { fixtureRegister } from '../testing/fixtureRegister.js';
import { planImport } from './importPlan.js';
import { subjectIdFor } from './importSubjects.js';

const register = fixtureRegister();
const NOW = '2026-12-06T12:00:00.000Z';
const subjectIdOf = (externalId: string) => `id-of-${externalId.length}`;
const field = (category: string, name: string, value: unknown, purpose: string, legalBasis: string, at: string) => ({
  category,
  field: name,
  value,
  purpose,
  legalBasis,
  source: 'subject',
  collectedAt: at,
});
const consent = (givenAt: string) => ({
  purpose: 'marketing',
  noticeId: 'privacy-notice',
  noticeVersion: '2021-01',
  channel: 'webForm',
  givenAt,
});
const plan = (line: object | string) =>
  planImport(typeof line === 'string' ? line : JSON.stringify(line), register, subjectIdOf, NOW);

/** The code and path a line is refused with. */
function refusal(line: object | string): { code: string; path: string | undefined } {
  try {
    plan(line);
  } catch (e) {
    if (isVaultError(e)) return { code: e.code, path: e.path };
    throw e;
  }
  throw new Error('the line was accepted');
}

describe('planImport', () => {
  it('registers at the earliest time, then decides consents, fields and lifecycle events in time order', () => {
    const p = plan({
      externalId: 'crm-1',
      lifecycle: [{ event: 'relationshipEnded', at: '2024-01-01T00:00:00Z' }],
      fields: [
        field('marketing', 'interests', 'gardening', 'marketing', 'consent', '2021-03-01T00:00:00Z'),
        field('contact', 'name', 'Ada', 'contract', 'contract', '2020-05-01T00:00:00Z'),
        field('contact', 'email', 'ada@example.com', 'contract', 'contract', '2020-05-01T00:00:00Z'),
      ],
      consents: [consent('2021-03-01T00:00:00Z')],
    });
    expect(p.subjectId).toBe('id-of-5');
    expect(p.fields).toBe(3);
    expect(p.steps.map((s) => [s.at, s.events.map((e) => e.type).join('+')])).toEqual([
      ['2020-05-01T00:00:00.000Z', 'SubjectRegistered'],
      ['2020-05-01T00:00:00.000Z', 'PersonalDataRecorded+PersonalDataRecorded'],
      ['2021-03-01T00:00:00.000Z', 'ConsentGiven'],
      ['2021-03-01T00:00:00.000Z', 'PersonalDataRecorded'],
      ['2024-01-01T00:00:00.000Z', 'LifecycleEventRecorded'],
    ]);
  });

  it('refuses a value on consent collected before the consent was given, naming its path in the line', () => {
    const line = {
      externalId: 'crm-2',
      fields: [field('marketing', 'interests', 'gardening', 'marketing', 'consent', '2021-02-01T00:00:00Z')],
      consents: [consent('2021-03-01T00:00:00Z')],
    };
    expect(refusal(line)).toEqual({ code: 'CONSENT_REQUIRED', path: 'fields[0].legalBasis' });
  });

  it('maps each decider’s path back to the line and refuses what the API refuses', () => {
    const t = '2021-01-01T00:00:00Z';
    const name = field('contact', 'name', 'Ada', 'contract', 'contract', t);
    expect(
      refusal({ externalId: 'x', fields: [name, field('contact', 'email', 'no', 'contract', 'contract', t)] }),
    ).toEqual({ code: 'BAD_USER_INPUT', path: 'fields[1].value' });
    expect(refusal({ externalId: 'x', fields: [name, name] })).toEqual({ code: 'BAD_USER_INPUT', path: 'fields[1]' });
    expect(refusal({ externalId: 'x', consents: [{ ...consent(t), channel: 'fax' }] })).toEqual({
      code: 'BAD_USER_INPUT',
      path: 'consents[0].channel',
    });
    expect(refusal({ externalId: 'x', lifecycle: [{ event: 'moved', at: t }] })).toEqual({
      code: 'BAD_USER_INPUT',
      path: 'lifecycle[0].event',
    });
    expect(refusal({ externalId: 'x', fields: [], extra: 1 })).toEqual({ code: 'BAD_USER_INPUT', path: '' });
    expect(refusal({ externalId: '', fields: [] })).toEqual({ code: 'BAD_USER_INPUT', path: 'externalId' });
    expect(refusal('[1]')).toEqual({ code: 'MALFORMED_LINE', path: '' });
    expect(refusal('{"externalId":')).toEqual({ code: 'MALFORMED_LINE', path: '' });
  });

  it('refuses times in the future or before 1970 with TIME_OUT_OF_RANGE, and unreal dates as bad input', () => {
    const at = (t: string) => ({
      externalId: 'x',
      fields: [field('contact', 'name', 'Ada', 'contract', 'contract', t)],
    });
    const out = { code: 'TIME_OUT_OF_RANGE', path: 'fields[0].collectedAt' };
    expect(refusal(at('2026-12-06T12:00:01Z'))).toEqual(out);
    expect(refusal(at('1969-12-31T23:59:59Z'))).toEqual(out);
    expect(refusal(at('2021-02-30T00:00:00Z'))).toEqual({ code: 'BAD_USER_INPUT', path: 'fields[0].collectedAt' });
    expect(plan(at('1970-01-01T00:00:00Z')).steps[0]!.at).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('subjectIdFor', () => {
  it('gives the same UUID for the same external id and secret, and another under another secret', () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    const id = subjectIdFor(a, 'crm-123');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(subjectIdFor(a, 'crm-123')).toBe(id);
    expect(subjectIdFor(a, 'crm-124')).not.toBe(id);
    expect(subjectIdFor(b, 'crm-123')).not.toBe(id);
  });
});
