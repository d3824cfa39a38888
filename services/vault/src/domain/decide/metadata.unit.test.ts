import { describe, expect, it } from 'vitest';

import { ACTOR, given, item, notice, recorded, register, registered, T0 } from '../../testing/givenSubject.js';
import { type Command, decide } from '../subject.js';

describe('refusing unknown names without echoing them', () => {
  // What a caller might put where a name belongs: an address, and a marker no register holds.
  const SENT = ['ann.example@mail.test', 'MARKER-7f3a'];
  const expectNoEcho = (run: () => unknown, path: string, allowed: string[]) => {
    let error: { code?: string; message?: string; path?: string } | undefined;
    try {
      run();
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).toBe('BAD_USER_INPUT');
    expect(error?.path).toBe(path);
    for (const sent of SENT) {
      expect(error?.message).not.toContain(sent);
      expect(error?.path).not.toContain(sent);
    }
    for (const name of allowed) expect(error?.message).toContain(name);
  };
  const g = given(registered, recorded('contact', 'email'), recorded('contact', 'name'));
  const decideOn = (command: Command) => () =>
    decide(structuredClone(g.state), command, { register, now: T0, actor: ACTOR });
  const categories = Object.keys(register.categories);
  const purposes = Object.keys(register.purposes);

  it.each(SENT)(
    'names the path and the allowed names for an unknown category, field, purpose, legal basis or source (%s)',
    (sent) => {
      expectNoEcho(
        decideOn({ type: 'RecordPersonalData', items: [item(sent, 'email', 'a@b.cd')] }),
        'items[0].category',
        categories,
      );
      expectNoEcho(
        decideOn({ type: 'RecordPersonalData', items: [item('contact', sent, 'a@b.cd')] }),
        'items[0].field',
        Object.keys(register.categories.contact!.fields),
      );
      expectNoEcho(
        decideOn({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd', sent)] }),
        'items[0].purpose',
        purposes,
      );
      expectNoEcho(
        decideOn({ type: 'RecordPersonalData', items: [item('accounting', 'iban', 'x', 'contract')] }),
        'items[0].purpose',
        register.categories.accounting!.purposes,
      );
      expectNoEcho(
        decideOn({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd', 'contract', sent)] }),
        'items[0].legalBasis',
        register.categories.contact!.legalBasis,
      );
      expectNoEcho(
        decideOn({ type: 'RecordPersonalData', items: [{ ...item('contact', 'email', 'a@b.cd'), source: sent }] }),
        'items[0].source',
        ['subject', 'publicRegister', 'tradeShow'],
      );
      expectNoEcho(
        decideOn({ type: 'RectifyPersonalData', items: [item('contact', sent, 'x')] }),
        'items[0].field',
        Object.keys(register.categories.contact!.fields),
      );
      expectNoEcho(
        decideOn({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd')], consents: [notice(sent)] }),
        'consents[0].purpose',
        purposes,
      );
    },
  );
  it.each(SENT)('names the path and the allowed names in every other command that takes a name (%s)', (sent) => {
    expectNoEcho(
      decideOn({ type: 'ErasePersonalData', category: sent, field: 'email', reason: 'subjectRequest', remaining: {} }),
      'category',
      categories,
    );
    expectNoEcho(
      decideOn({
        type: 'ErasePersonalData',
        category: 'contact',
        field: sent,
        reason: 'subjectRequest',
        remaining: {},
      }),
      'field',
      Object.keys(register.categories.contact!.fields),
    );
    expectNoEcho(decideOn({ type: 'GiveConsent', ...notice(sent) }), 'purpose', purposes);
    expectNoEcho(decideOn({ type: 'WithdrawConsent', purpose: sent }), 'purpose', purposes);
    expectNoEcho(decideOn({ type: 'ObjectToProcessing', purpose: sent }), 'purpose', purposes);
    expectNoEcho(decideOn({ type: 'OverrideObjection', purpose: sent, grounds: 'x' }), 'purpose', purposes);
    expectNoEcho(
      decideOn({ type: 'RestrictProcessing', categories: ['contact', sent], reason: 'other' }),
      'categories[1]',
      categories,
    );
    expectNoEcho(decideOn({ type: 'LiftRestriction', categories: [sent] }), 'categories[0]', categories);
    expectNoEcho(
      decideOn({ type: 'PlaceLegalHold', category: sent, basis: 'litigation', until: '2030-01-01' }),
      'category',
      categories,
    );
    expectNoEcho(decideOn({ type: 'ReleaseLegalHold', category: sent }), 'category', categories);
    expectNoEcho(decideOn({ type: 'ShredCategory', category: sent, reason: 'erasure' }), 'category', categories);
    expectNoEcho(decideOn({ type: 'ApplyRetention', category: sent }), 'category', categories);
    expectNoEcho(decideOn({ type: 'RecordLifecycleEvent', event: sent }), 'event', register.lifecycleEvents);
  });
  it.each(SENT)('names the path and the allowed keys for an unknown address or document property (%s)', (sent) => {
    expectNoEcho(
      decideOn({
        type: 'RecordPersonalData',
        items: [item('contact', 'address', { street: 'Main St 1', [sent]: 'x' })],
      }),
      'items[0].value',
      ['street', 'postalCode', 'city', 'country'],
    );
    expectNoEcho(
      decideOn({
        type: 'RecordPersonalData',
        items: [item('callRecordings', 'recording', { mediaType: 'audio/ogg', contentBase64: 'AA==', [sent]: 'x' })],
      }),
      'items[0].value',
      ['name', 'mediaType', 'contentBase64'],
    );
  });
});

describe('metadata', () => {
  it('accepts reasons and hold bases only as codes, since they are stored in plaintext', () => {
    const g = given(registered, recorded('contact', 'email'), recorded('contact', 'name'));
    g.when({ type: 'EraseSubject', reason: 'Ada asked by phone on Monday' }).thenFails('BAD_USER_INPUT', 'reason');
    g.when({ type: 'RestrictProcessing', categories: ['contact'], reason: 'Ada disputes her address' }).thenFails(
      'BAD_USER_INPUT',
      'reason',
    );
    g.when({
      type: 'PlaceLegalHold',
      category: 'contact',
      basis: 'case Ada v. Example',
      until: '2030-01-01',
    }).thenFails('BAD_USER_INPUT', 'basis');
    g.when({
      type: 'ErasePersonalData',
      category: 'contact',
      field: 'email',
      reason: 'typo',
      remaining: { name: 'x' },
    }).thenFails('BAD_USER_INPUT', 'reason');
  });

  it('keeps values out of everything but the value field of the decided events', () => {
    const events = given(registered)
      .when({ type: 'RecordPersonalData', items: [item('contact', 'email', 'marker-xyz@example.com')] })
      .events();
    const { value, ...rest } = (events[0] as { data: { value: unknown } }).data as Record<string, unknown>;
    expect(JSON.stringify(rest)).not.toContain('marker-xyz');
    expect(value).toEqual({ plain: 'marker-xyz@example.com' });
  });
});
