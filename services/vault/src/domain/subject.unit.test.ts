import { describe, expect, it } from 'vitest';
import { isVaultError } from './errors.js';
import type { DomainEvent, Sealed, Unsealed } from './events.js';
import { decide, evolve, initialState, keyIdFor, type Command, type SubjectState } from './subject.js';
import { fixtureRegister } from '../testing/fixtureRegister.js';
import { accessDecision } from './access.js';
import { retentionOf, holdsOf, shredCause } from './retention.js';

const register = fixtureRegister();
const S = 'subject-1';
const T0 = '2026-01-10T10:00:00.000Z';
const ACTOR = 'service:crm';

/** Given events (values stand in as their plain form), when a command, then events or an error. */
function given(...events: DomainEvent<Sealed>[]) {
  const state = events.reduce<SubjectState>((s, e, i) => evolve(s, { ...e, id: `e${i}`, at: T0 }), initialState(S));
  return {
    state,
    when(command: Command, now = '2026-02-01T00:00:00.000Z') {
      const run = () => decide(structuredClone(state), command, { register, now, actor: ACTOR });
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

const registered: DomainEvent<Sealed> = { type: 'SubjectRegistered', data: { subjectId: S } };
const recorded = (category: string, field: string, generation = 1, purpose = 'contract', legalBasis: 'contract' | 'consent' = 'contract'): DomainEvent<Sealed> => ({
  type: 'PersonalDataRecorded',
  data: { category, field, keyId: keyIdFor(S, category, generation), value: `sealed-${field}`, purpose, legalBasis, source: 'subject' },
});
const item = (category: string, field: string, value: unknown, purpose = 'contract', legalBasis = 'contract') => ({ category, field, value, purpose, legalBasis, source: 'subject' });
/** A consent as a command gives it: the notice shown and the channel. */
const notice = (purpose: string) => ({ purpose, noticeId: 'privacy-notice', noticeVersion: '2026-01', channel: 'webForm' });
/** The ConsentGiven event `notice(purpose)` makes, collected by ACTOR. */
const consentGivenEvent = (purpose: string): DomainEvent<Sealed> => ({ type: 'ConsentGiven', data: { ...notice(purpose), channel: 'webForm', collectedBy: ACTOR } });

describe('registering a subject', () => {
  it('registers a new subject', () => {
    given().when({ type: 'RegisterSubject' }).then([{ type: 'SubjectRegistered', data: { subjectId: S } }]);
  });
  it('refuses to register the same subject twice', () => {
    given(registered).when({ type: 'RegisterSubject' }).thenFails('CONFLICT');
  });
  it('refuses commands for an unknown subject', () => {
    given().when({ type: 'GiveConsent', ...notice('marketing') }).thenFails('NOT_FOUND');
  });
});

describe('recording personal data', () => {
  it('records validated, normalised values under the category key of the first generation', () => {
    given(registered)
      .when({ type: 'RecordPersonalData', items: [item('contact', 'email', '  Ada@Example.COM '), item('contact', 'phone', '0031 20 123 4567')] })
      .then([
        { type: 'PersonalDataRecorded', data: { category: 'contact', field: 'email', keyId: keyIdFor(S, 'contact', 1), value: { plain: 'ada@example.com' }, purpose: 'contract', legalBasis: 'contract', source: 'subject' } },
        { type: 'PersonalDataRecorded', data: { category: 'contact', field: 'phone', keyId: keyIdFor(S, 'contact', 1), value: { plain: '+31201234567' }, purpose: 'contract', legalBasis: 'contract', source: 'subject' } },
      ]);
  });
  it('rejects a malformed email with the path of the bad item', () => {
    given(registered).when({ type: 'RecordPersonalData', items: [item('contact', 'name', 'Ada'), item('contact', 'email', 'not-an-email')] }).thenFails('BAD_USER_INPUT', 'items[1].value');
  });
  it('rejects an unknown category, field, purpose or legal basis', () => {
    const g = given(registered);
    g.when({ type: 'RecordPersonalData', items: [item('nope', 'email', 'a@b.cd')] }).thenFails('BAD_USER_INPUT', 'items[0].category');
    g.when({ type: 'RecordPersonalData', items: [item('contact', 'nope', 'x')] }).thenFails('BAD_USER_INPUT', 'items[0].field');
    g.when({ type: 'RecordPersonalData', items: [item('contact', 'name', 'x', 'spying')] }).thenFails('BAD_USER_INPUT', 'items[0].purpose');
    g.when({ type: 'RecordPersonalData', items: [item('accounting', 'iban', 'x', 'contract')] }).thenFails('BAD_USER_INPUT', 'items[0].purpose');
    g.when({ type: 'RecordPersonalData', items: [item('marketing', 'interests', 'x', 'marketing', 'contract')] }).thenFails('BAD_USER_INPUT', 'items[0].legalBasis');
  });
  it('writes under a new key generation after the category was shredded', () => {
    const events = given(registered, consentGivenEvent('marketing'), recorded('marketing', 'interests', 1, 'marketing', 'consent'), { type: 'CategoryShredded', data: { category: 'marketing', keyIds: [keyIdFor(S, 'marketing', 1)], reason: 'retention' } })
      .when({ type: 'RecordPersonalData', items: [item('marketing', 'interests', 'sailing', 'marketing', 'consent')] })
      .events();
    expect(events[0]).toMatchObject({ data: { keyId: keyIdFor(S, 'marketing', 2) } });
  });
  it('refuses new data for an erased subject', () => {
    given(registered, { type: 'SubjectErased', data: { reason: 'subjectRequest', shredded: [], retained: [] } })
      .when({ type: 'RecordPersonalData', items: [item('contact', 'name', 'Ada')] })
      .thenFails('SUBJECT_ERASED');
  });
  it('rectifies only what was recorded', () => {
    given(registered).when({ type: 'RectifyPersonalData', items: [item('contact', 'name', 'Ada')] }).thenFails('NOT_FOUND');
    expect(given(registered, recorded('contact', 'name')).when({ type: 'RectifyPersonalData', items: [item('contact', 'name', 'Ada L.')] }).events()[0]!.type).toBe('PersonalDataRectified');
    // A correction of the value, not of what it is processed for or on what basis.
    const g = given(registered, recorded('contact', 'name'));
    g.when({ type: 'RectifyPersonalData', items: [item('contact', 'name', 'Ada L.', 'contract', 'legalObligation')] }).thenFails('BAD_USER_INPUT', 'items[0].legalBasis');
    g.when({ type: 'RectifyPersonalData', items: [item('contact', 'name', 'Ada L.', 'marketing', 'contract')] }).thenFails('BAD_USER_INPUT', 'items[0].purpose');
    expect(g.when({ type: 'RectifyPersonalData', items: [{ ...item('contact', 'name', 'Ada L.'), source: 'publicRegister' }] }).events()).toHaveLength(1);
  });
});

describe('recording on consent (storing is processing)', () => {
  const interests = item('marketing', 'interests', 'sailing', 'marketing', 'consent');
  const dataEvent = (purpose = 'marketing'): DomainEvent<Unsealed> => ({
    type: 'PersonalDataRecorded',
    data: { category: 'marketing', field: 'interests', keyId: keyIdFor(S, 'marketing', 1), value: { plain: 'sailing' }, purpose, legalBasis: 'consent', source: 'subject' },
  });

  it('refuses a value stored on consent when the subject never gave it', () => {
    given(registered).when({ type: 'RecordPersonalData', items: [interests] }).thenFails('CONSENT_REQUIRED', 'items[0].legalBasis');
  });
  it('refuses it after the consent was withdrawn, and refuses a rectification of it too', () => {
    const withdrawn = given(registered, consentGivenEvent('marketing'), recorded('marketing', 'interests', 1, 'marketing', 'consent'), { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } });
    withdrawn.when({ type: 'RecordPersonalData', items: [interests] }).thenFails('CONSENT_REQUIRED', 'items[0].legalBasis');
    withdrawn.when({ type: 'RectifyPersonalData', items: [interests] }).thenFails('CONSENT_REQUIRED', 'items[0].legalBasis');
  });
  it('refuses a value stored for a purpose that needs consent, whatever basis the item names, though the category has other purposes', () => {
    // contact is kept for the contract too, but this email is recorded for marketing: that purpose must be lawful.
    given(registered).when({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd', 'marketing', 'contract')] }).thenFails('CONSENT_REQUIRED', 'items[0].purpose');
    // The same email for the contract needs no consent.
    expect(given(registered).when({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd', 'contract', 'contract')] }).events()).toHaveLength(1);
  });
  it('accepts it while consent to the purpose stands', () => {
    given(registered, consentGivenEvent('marketing')).when({ type: 'RecordPersonalData', items: [interests] }).then([dataEvent()]);
    // A consent recorded before proofs were kept (only its purpose) stands all the same.
    given(registered, { type: 'ConsentGiven', data: { purpose: 'marketing' } }).when({ type: 'RecordPersonalData', items: [interests] }).then([dataEvent()]);
  });
  it('needs the consent of the item’s own purpose, not of another purpose of the category', () => {
    const reg = fixtureRegister();
    reg.purposes.newsletter = { ...reg.purposes.marketing!, name: 'newsletter' };
    reg.categories.marketing!.purposes.push('newsletter');
    const state = given(registered, consentGivenEvent('marketing')).state;
    const record = (purpose: string) => () => decide(structuredClone(state), { type: 'RecordPersonalData', items: [{ ...interests, purpose }] }, { register: reg, now: T0, actor: ACTOR });
    expect(record('newsletter')).toThrow(expect.objectContaining({ code: 'CONSENT_REQUIRED', path: 'items[0].legalBasis' }));
    expect(record('marketing')()).toHaveLength(1);
  });
  it('accepts it with the consent given in the same call: ConsentGiven with its proof, then the data event', () => {
    given(registered)
      .when({ type: 'RecordPersonalData', items: [interests], consents: [notice('marketing')] })
      .then([{ type: 'ConsentGiven', data: { purpose: 'marketing', noticeId: 'privacy-notice', noticeVersion: '2026-01', channel: 'webForm', collectedBy: ACTOR } }, dataEvent()]);
    // After a withdrawal too: the subject says yes again.
    const withdrawn = given(registered, consentGivenEvent('marketing'), { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } });
    expect(withdrawn.when({ type: 'RecordPersonalData', items: [interests], consents: [notice('marketing')] }).events().map((e) => e.type)).toEqual(['ConsentGiven', 'PersonalDataRecorded']);
  });
  it('writes nothing when the command is refused, not even the consent it gave', () => {
    const g = given(registered);
    const before = structuredClone(g.state);
    // The consent is for marketing; the second item is malformed: all or nothing.
    g.when({ type: 'RecordPersonalData', items: [interests, item('contact', 'email', 'not-an-email')], consents: [notice('marketing')] }).thenFails('BAD_USER_INPUT', 'items[1].value');
    // A consent for another purpose does not make this one lawful.
    g.when({ type: 'RecordPersonalData', items: [interests], consents: [notice('billing')] }).thenFails('CONSENT_REQUIRED', 'items[0].legalBasis');
    // Nor does a consent whose proof is not a code.
    g.when({ type: 'RecordPersonalData', items: [interests], consents: [{ ...notice('marketing'), noticeId: 'ann@example.com' }] }).thenFails('BAD_USER_INPUT', 'consents[0].noticeId');
    g.when({ type: 'RecordPersonalData', items: [interests], consents: [{ ...notice('marketing'), channel: 'a chat with Ann' }] }).thenFails('BAD_USER_INPUT', 'consents[0].channel');
    g.when({ type: 'RecordPersonalData', items: [interests], consents: [notice('marketing'), notice('marketing')] }).thenFails('BAD_USER_INPUT', 'consents[1].purpose');
    expect(g.state).toEqual(before);
    expect(accessDecision(g.state, register, 'marketing', 'marketing', 'all')).toEqual({ allowed: false, reason: 'NO_CONSENT' });
  });
  it('records a consent with what was consented to, through which notice and channel, and who collected it', () => {
    given(registered)
      .when({ type: 'GiveConsent', purpose: 'marketing', noticeId: 'https://example.test/privacy#marketing', noticeVersion: 'v3.2', channel: 'paper' })
      .then([{ type: 'ConsentGiven', data: { purpose: 'marketing', noticeId: 'https://example.test/privacy#marketing', noticeVersion: 'v3.2', channel: 'paper', collectedBy: ACTOR } }]);
    given(registered).when({ type: 'GiveConsent', ...notice('marketing'), noticeVersion: 'version of 3 May, Ann signed' }).thenFails('BAD_USER_INPUT', 'noticeVersion');
    given(registered).when({ type: 'GiveConsent', ...notice('marketing'), channel: 'fax' }).thenFails('BAD_USER_INPUT', 'channel');
  });
  it('keeps the proof of every consent, closes it on withdrawal, and loads consents recorded before proofs as of unknown provenance', () => {
    const at = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
    const events: [DomainEvent<Sealed>, string][] = [
      [registered, at(1)],
      [{ type: 'ConsentGiven', data: { purpose: 'billing' } }, at(1)],
      [consentGivenEvent('marketing'), at(2)],
      [{ type: 'ConsentWithdrawn', data: { purpose: 'marketing' } }, at(3)],
      [{ type: 'ConsentGiven', data: { ...notice('marketing'), channel: 'phone', collectedBy: 'dpo:dpo-1' } }, at(4)],
    ];
    const state = events.reduce<SubjectState>((st, [e, when], i) => evolve(st, { ...e, id: `e${i}`, at: when }), initialState(S));
    expect(state.consents.billing).toEqual({ given: true, at: at(1), proofs: [{ eventId: 'e1', givenAt: at(1), noticeId: null, noticeVersion: null, channel: null, collectedBy: null, withdrawnAt: null }] });
    expect(state.consents.marketing).toEqual({
      given: true,
      at: at(4),
      proofs: [
        { eventId: 'e2', givenAt: at(2), noticeId: 'privacy-notice', noticeVersion: '2026-01', channel: 'webForm', collectedBy: ACTOR, withdrawnAt: at(3) },
        { eventId: 'e4', givenAt: at(4), noticeId: 'privacy-notice', noticeVersion: '2026-01', channel: 'phone', collectedBy: 'dpo:dpo-1', withdrawnAt: null },
      ],
    });
    // A snapshot from before proofs were kept: its consent is withdrawn with its unknown provenance kept.
    const old = { ...initialState(S), registeredAt: at(1), consents: { marketing: { given: true, at: at(1) } } } as SubjectState;
    evolve(old, { type: 'ConsentWithdrawn', data: { purpose: 'marketing' }, id: 'e9', at: at(5) });
    expect(old.consents.marketing).toEqual({ given: false, at: at(5), proofs: [{ eventId: null, givenAt: at(1), noticeId: null, noticeVersion: null, channel: null, collectedBy: null, withdrawnAt: at(5) }] });
  });
});

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
  const decideOn = (command: Command) => () => decide(structuredClone(g.state), command, { register, now: T0, actor: ACTOR });
  const categories = Object.keys(register.categories);
  const purposes = Object.keys(register.purposes);

  it.each(SENT)('names the path and the allowed names for an unknown category, field, purpose, legal basis or source (%s)', (sent) => {
    expectNoEcho(decideOn({ type: 'RecordPersonalData', items: [item(sent, 'email', 'a@b.cd')] }), 'items[0].category', categories);
    expectNoEcho(decideOn({ type: 'RecordPersonalData', items: [item('contact', sent, 'a@b.cd')] }), 'items[0].field', Object.keys(register.categories.contact!.fields));
    expectNoEcho(decideOn({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd', sent)] }), 'items[0].purpose', purposes);
    expectNoEcho(decideOn({ type: 'RecordPersonalData', items: [item('accounting', 'iban', 'x', 'contract')] }), 'items[0].purpose', register.categories.accounting!.purposes);
    expectNoEcho(decideOn({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd', 'contract', sent)] }), 'items[0].legalBasis', register.categories.contact!.legalBasis);
    expectNoEcho(decideOn({ type: 'RecordPersonalData', items: [{ ...item('contact', 'email', 'a@b.cd'), source: sent }] }), 'items[0].source', ['subject', 'publicRegister', 'tradeShow']);
    expectNoEcho(decideOn({ type: 'RectifyPersonalData', items: [item('contact', sent, 'x')] }), 'items[0].field', Object.keys(register.categories.contact!.fields));
    expectNoEcho(decideOn({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd')], consents: [notice(sent)] }), 'consents[0].purpose', purposes);
  });
  it.each(SENT)('names the path and the allowed names in every other command that takes a name (%s)', (sent) => {
    expectNoEcho(decideOn({ type: 'ErasePersonalData', category: sent, field: 'email', reason: 'subjectRequest', remaining: {} }), 'category', categories);
    expectNoEcho(decideOn({ type: 'ErasePersonalData', category: 'contact', field: sent, reason: 'subjectRequest', remaining: {} }), 'field', Object.keys(register.categories.contact!.fields));
    expectNoEcho(decideOn({ type: 'GiveConsent', ...notice(sent) }), 'purpose', purposes);
    expectNoEcho(decideOn({ type: 'WithdrawConsent', purpose: sent }), 'purpose', purposes);
    expectNoEcho(decideOn({ type: 'ObjectToProcessing', purpose: sent }), 'purpose', purposes);
    expectNoEcho(decideOn({ type: 'OverrideObjection', purpose: sent, grounds: 'x' }), 'purpose', purposes);
    expectNoEcho(decideOn({ type: 'RestrictProcessing', categories: ['contact', sent], reason: 'other' }), 'categories[1]', categories);
    expectNoEcho(decideOn({ type: 'LiftRestriction', categories: [sent] }), 'categories[0]', categories);
    expectNoEcho(decideOn({ type: 'PlaceLegalHold', category: sent, basis: 'litigation', until: '2030-01-01' }), 'category', categories);
    expectNoEcho(decideOn({ type: 'ReleaseLegalHold', category: sent }), 'category', categories);
    expectNoEcho(decideOn({ type: 'ShredCategory', category: sent, reason: 'erasure' }), 'category', categories);
    expectNoEcho(decideOn({ type: 'ApplyRetention', category: sent }), 'category', categories);
    expectNoEcho(decideOn({ type: 'RecordLifecycleEvent', event: sent }), 'event', register.lifecycleEvents);
  });
  it.each(SENT)('names the path and the allowed keys for an unknown address or document property (%s)', (sent) => {
    expectNoEcho(decideOn({ type: 'RecordPersonalData', items: [item('contact', 'address', { street: 'Main St 1', [sent]: 'x' })] }), 'items[0].value', ['street', 'postalCode', 'city', 'country']);
    expectNoEcho(decideOn({ type: 'RecordPersonalData', items: [item('callRecordings', 'recording', { mediaType: 'audio/ogg', contentBase64: 'AA==', [sent]: 'x' })] }), 'items[0].value', ['name', 'mediaType', 'contentBase64']);
  });
});

describe('erasing one field', () => {
  it('re-keys the category so that past values of the field become unreadable', () => {
    given(registered, recorded('contact', 'email'), recorded('contact', 'name'))
      .when({ type: 'ErasePersonalData', category: 'contact', field: 'email', reason: 'subjectRequest', remaining: { name: 'Ada' } })
      .then([
        { type: 'PersonalDataErased', data: { category: 'contact', field: 'email', reason: 'subjectRequest' } },
        { type: 'CategoryRekeyed', data: { category: 'contact', oldKeyIds: [keyIdFor(S, 'contact', 1)], newKeyId: keyIdFor(S, 'contact', 2), values: [{ field: 'name', value: { plain: 'Ada' } }] } },
      ]);
  });
  it('shreds the category key when the field was the last one', () => {
    given(registered, recorded('contact', 'email'))
      .when({ type: 'ErasePersonalData', category: 'contact', field: 'email', reason: 'subjectRequest', remaining: {} })
      .then([
        { type: 'PersonalDataErased', data: { category: 'contact', field: 'email', reason: 'subjectRequest' } },
        { type: 'CategoryShredded', data: { category: 'contact', keyIds: [keyIdFor(S, 'contact', 1)], reason: 'fieldErasure' } },
      ]);
  });
  it('refuses to erase a field of a held category', () => {
    given(registered, recorded('accounting', 'iban', 1, 'billing'))
      .when({ type: 'ErasePersonalData', category: 'accounting', field: 'iban', reason: 'subjectRequest', remaining: {} })
      .thenFails('CATEGORY_HELD');
  });
});

describe('erasing a subject', () => {
  it('shreds every category no hold covers and retains held ones with basis and end date', () => {
    const request: DomainEvent<Sealed> = { type: 'RequestOpened', data: { requestId: 'r1', requestType: 'ERASURE', receivedAt: T0, channel: 'email', dueAt: '2026-02-10T10:00:00.000Z' } };
    given(registered, recorded('contact', 'email'), recorded('accounting', 'iban', 1, 'billing'), request)
      .when({ type: 'EraseSubject', reason: 'subjectRequest', requestId: 'r1' })
      .then([
        { type: 'CategoryShredded', data: { category: 'contact', keyIds: [keyIdFor(S, 'contact', 1)], reason: 'erasure' } },
        {
          type: 'SubjectErased',
          data: { reason: 'subjectRequest', requestId: 'r1', shredded: ['contact'], retained: [{ category: 'accounting', basis: 'Bookkeeping law: 10 years', until: '2036-01-10T10:00:00.000Z' }] },
        },
      ]);
  });
  it('destroys the stray keys it is given, if they are this subject\'s and no category holds them', () => {
    const stray = keyIdFor(S, 'marketing', 1);
    given(registered, recorded('contact', 'email'))
      .when({ type: 'EraseSubject', reason: 'subjectRequest', strayKeyIds: [stray] })
      .then([
        { type: 'CategoryShredded', data: { category: 'contact', keyIds: [keyIdFor(S, 'contact', 1)], reason: 'erasure' } },
        { type: 'SubjectErased', data: { reason: 'subjectRequest', shredded: ['contact'], retained: [], strayKeyIds: [stray] } },
      ]);
    for (const wrong of [keyIdFor('someone-else', 'marketing', 1), keyIdFor(S, 'contact', 1)]) {
      given(registered, recorded('contact', 'email')).when({ type: 'EraseSubject', reason: 'subjectRequest', strayKeyIds: [wrong] }).thenFails('BAD_USER_INPUT', 'strayKeyIds');
    }
  });
  it('names only an open erasure request of this subject', () => {
    const opened = (requestType: 'ACCESS' | 'ERASURE', requestId = 'r1'): DomainEvent<Sealed> => ({ type: 'RequestOpened', data: { requestId, requestType, receivedAt: T0, channel: 'email', dueAt: '2026-02-10T10:00:00.000Z' } });
    given(registered, recorded('contact', 'email'), opened('ACCESS')).when({ type: 'EraseSubject', reason: 'subjectRequest', requestId: 'r1' }).thenFails('BAD_USER_INPUT', 'requestId');
    given(registered, recorded('contact', 'email')).when({ type: 'EraseSubject', reason: 'subjectRequest', requestId: 'constructor' }).thenFails('NOT_FOUND', 'requestId');
    const refused = given(registered, recorded('contact', 'email'), opened('ERASURE'), { type: 'RequestRefused', data: { requestId: 'r1', reason: 'sealed' } } as DomainEvent<Sealed>);
    refused.when({ type: 'EraseSubject', reason: 'subjectRequest', requestId: 'r1' }).thenFails('CONFLICT', 'requestId');
  });
  it('shreds a category whose legal period is over', () => {
    const events = given(registered, recorded('accounting', 'iban', 1, 'billing')).when({ type: 'EraseSubject', reason: 'subjectRequest' }, '2036-02-01T00:00:00.000Z').events();
    expect(events.map((e) => e.type)).toEqual(['CategoryShredded', 'SubjectErased']);
  });
  it('keeps a category under a DPO hold until its end date', () => {
    const events = given(registered, recorded('contact', 'email'), { type: 'LegalHoldPlaced', data: { category: 'contact', basis: 'litigation', until: '2027-01-01T00:00:00.000Z' } })
      .when({ type: 'EraseSubject', reason: 'subjectRequest' })
      .events();
    expect(events).toEqual([{ type: 'SubjectErased', data: { reason: 'subjectRequest', shredded: [], retained: [{ category: 'contact', basis: 'litigation', until: '2027-01-01T00:00:00.000Z' }] } }]);
  });
  it('accepts as request id only one of the subject’s requests, never free text', () => {
    given(registered, recorded('contact', 'email')).when({ type: 'EraseSubject', reason: 'subjectRequest', requestId: 'Ann phoned on Monday' }).thenFails('NOT_FOUND', 'requestId');
  });

  it('decides nothing when the subject is already erased', () => {
    given(registered, { type: 'SubjectErased', data: { reason: 'subjectRequest', shredded: [], retained: [] } }).when({ type: 'EraseSubject', reason: 'subjectRequest' }).then([]);
  });
});

describe('consent, objection and restriction', () => {
  it('shreds marketing data at once when marketing consent is withdrawn', () => {
    given(registered, recorded('marketing', 'interests', 1, 'marketing', 'consent'), recorded('contact', 'email', 1, 'marketing', 'consent'))
      .when({ type: 'WithdrawConsent', purpose: 'marketing' })
      .then([
        { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } },
        { type: 'CategoryShredded', data: { category: 'marketing', keyIds: [keyIdFor(S, 'marketing', 1)], reason: 'withdrawal' } },
      ]);
  });
  it('shreds marketing data at once on an objection to direct marketing', () => {
    const events = given(registered, recorded('marketing', 'interests', 1, 'marketing', 'consent')).when({ type: 'ObjectToProcessing', purpose: 'marketing' }).events();
    expect(events.map((e) => e.type)).toEqual(['ObjectionRaised', 'CategoryShredded']);
  });
  it('records nothing more on consent once consent was withdrawn, nor for a purpose objected to, until the subject says yes again', () => {
    const withdrawn = given(registered, { type: 'ConsentGiven', data: { purpose: 'marketing' } }, { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } });
    withdrawn.when({ type: 'RecordPersonalData', items: [item('marketing', 'interests', 'kayaking', 'marketing', 'consent')] }).thenFails('CONSENT_REQUIRED', 'items[0].legalBasis');
    const regiven = given(registered, { type: 'ConsentGiven', data: { purpose: 'marketing' } }, { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } }, { type: 'ConsentGiven', data: { purpose: 'marketing' } });
    expect(regiven.when({ type: 'RecordPersonalData', items: [item('marketing', 'interests', 'kayaking', 'marketing', 'consent')] }).events()).toHaveLength(1);
    const objected = given(registered, { type: 'ObjectionRaised', data: { purpose: 'marketing' } });
    objected.when({ type: 'RecordPersonalData', items: [item('marketing', 'interests', 'kayaking', 'marketing', 'consent')] }).thenFails('FORBIDDEN', 'items[0].purpose');
    // Other purposes are untouched.
    expect(objected.when({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd')] }).events()).toHaveLength(1);
  });
  it('takes an objection only where one lies (direct marketing, legitimate interests, a public task), and each no once', () => {
    // Contract processing on contract alone: nothing an objection lies against.
    const strict = fixtureRegister();
    for (const c of Object.values(strict.categories)) c.legalBasis = c.legalBasis.filter((b) => b !== 'legitimateInterest');
    const state = given(registered, recorded('contact', 'email')).state;
    expect(() => decide(structuredClone(state), { type: 'ObjectToProcessing', purpose: 'contract' }, { register: strict, now: T0, actor: ACTOR })).toThrow(expect.objectContaining({ code: 'FORBIDDEN', path: 'purpose' }));
    expect(decide(structuredClone(state), { type: 'ObjectToProcessing', purpose: 'marketing' }, { register: strict, now: T0, actor: ACTOR }).map((e) => e.type)).toEqual(['ObjectionRaised']);
    // Saying the same no twice records nothing new; lifting what is not restricted neither.
    given(registered, { type: 'ObjectionRaised', data: { purpose: 'marketing' } }).when({ type: 'ObjectToProcessing', purpose: 'marketing' }).then([]);
    given(registered, { type: 'ConsentGiven', data: { purpose: 'marketing' } }, { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } }).when({ type: 'WithdrawConsent', purpose: 'marketing' }).then([]);
    given(registered).when({ type: 'LiftRestriction', categories: ['contact'] }).then([]);
    given(registered, { type: 'ProcessingRestricted', data: { categories: ['contact'], reason: 'other' } })
      .when({ type: 'LiftRestriction', categories: ['contact', 'accounting'] })
      .then([{ type: 'RestrictionLifted', data: { categories: ['contact'] } }]);
  });
  it('lets an objection reach only what it lies against, and every direct-marketing purpose at once', () => {
    // Two direct-marketing purposes over the marketing category; accounting on contract and law only.
    const reg = fixtureRegister();
    reg.purposes.newsletter = { ...reg.purposes.marketing!, name: 'newsletter' };
    reg.categories.marketing!.purposes.push('newsletter');
    reg.categories.contact!.legalBasis = ['contract', 'legitimateInterest'];
    const objected = given(registered, { type: 'ObjectionRaised', data: { purpose: 'billing' } }, { type: 'ObjectionRaised', data: { purpose: 'marketing' } }).state;
    expect(accessDecision(objected, reg, 'contact', 'billing', 'all')).toEqual({ allowed: false, reason: 'OBJECTED' });
    expect(accessDecision(objected, reg, 'accounting', 'billing', 'all')).toEqual({ allowed: true });
    const record = (category: string, field: string, purpose: string, legalBasis: string) =>
      () => decide(structuredClone(objected), { type: 'RecordPersonalData', items: [item(category, field, 'x', purpose, legalBasis)] }, { register: reg, now: T0, actor: ACTOR });
    expect(record('marketing', 'interests', 'newsletter', 'consent')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(record('accounting', 'iban', 'billing', 'contract')().map((e) => e.type)).toEqual(['PersonalDataRecorded']);
  });
  it('lets the DPO override a standing objection on compelling grounds (Art. 21(1)), never one to direct marketing (Art. 21(3))', () => {
    const billingObjection: DomainEvent<Sealed> = { type: 'ObjectionRaised', data: { purpose: 'billing' } };
    const objected = given(registered, recorded('contact', 'email'), billingObjection, { type: 'ObjectionRaised', data: { purpose: 'marketing' } });
    expect(accessDecision(objected.state, register, 'contact', 'billing', 'all')).toEqual({ allowed: false, reason: 'OBJECTED' });
    objected
      .when({ type: 'OverrideObjection', purpose: 'billing', grounds: 'outstanding invoices: legal claims' })
      .then([{ type: 'ObjectionOverridden', data: { purpose: 'billing', grounds: { plain: 'outstanding invoices: legal claims' } } }]);
    objected.when({ type: 'OverrideObjection', purpose: 'marketing', grounds: 'we would rather keep mailing' }).thenFails('FORBIDDEN', 'purpose');
    objected.when({ type: 'OverrideObjection', purpose: 'contract', grounds: 'no objection stands' }).thenFails('NOT_FOUND', 'purpose');
    objected.when({ type: 'OverrideObjection', purpose: 'billing', grounds: '  ' }).thenFails('BAD_USER_INPUT', 'grounds');
    objected.when({ type: 'OverrideObjection', purpose: 'nope', grounds: 'x' }).thenFails('BAD_USER_INPUT', 'purpose');

    const overridden = given(registered, recorded('contact', 'email'), billingObjection, { type: 'ObjectionOverridden', data: { purpose: 'billing', grounds: 'sealed' } });
    expect(accessDecision(overridden.state, register, 'contact', 'billing', 'all')).toEqual({ allowed: true });
    expect(overridden.state.objections).toEqual({});
    expect(overridden.state.overriddenObjections).toEqual({ billing: { objectedAt: T0, at: T0, grounds: { sealed: 'sealed', eventId: 'e3' } } });
    expect(overridden.when({ type: 'RecordPersonalData', items: [item('contact', 'phone', '+31 20 123 4567', 'billing')] }).events()).toHaveLength(1);
    // Nothing stands to override twice; a new objection stands again.
    overridden.when({ type: 'OverrideObjection', purpose: 'billing', grounds: 'again' }).thenFails('NOT_FOUND', 'purpose');
    overridden.when({ type: 'ObjectToProcessing', purpose: 'billing' }).then([{ type: 'ObjectionRaised', data: { purpose: 'billing' } }]);
    const again = given(registered, recorded('contact', 'email'), billingObjection, { type: 'ObjectionOverridden', data: { purpose: 'billing', grounds: 'sealed' } }, billingObjection);
    expect(accessDecision(again.state, register, 'contact', 'billing', 'all')).toEqual({ allowed: false, reason: 'OBJECTED' });
    expect(again.state.overriddenObjections).toEqual({});
  });
  it('drops the shred a hold deferred for an objection once the objection is overridden', () => {
    const reg = fixtureRegister();
    reg.categories.contact!.onObjection = 'shred';
    const hold: DomainEvent<Sealed> = { type: 'LegalHoldPlaced', data: { category: 'contact', basis: 'litigation', until: '2027-01-01T00:00:00.000Z' } };
    const objected = given(registered, recorded('contact', 'email'), hold, { type: 'ObjectionRaised', data: { purpose: 'billing' } }).state;
    expect(shredCause(objected, reg, 'contact')).toMatchObject({ reason: 'objection', rule: 'objection to billing' });
    const overridden = evolve(structuredClone(objected), { type: 'ObjectionOverridden', data: { purpose: 'billing', grounds: 'sealed' }, id: 'e9', at: T0 });
    expect(shredCause(overridden, reg, 'contact')).toBeUndefined();
  });
  it('carries a withdrawal past a hold only for the data it was said over, not for data recorded after it', () => {
    const reg = fixtureRegister();
    reg.purposes.newsletter = { ...reg.purposes.marketing!, name: 'newsletter' };
    reg.categories.marketing!.purposes.push('newsletter');
    const at = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
    const events: [DomainEvent<Sealed>, string][] = [
      [registered, at(1)],
      [{ type: 'ConsentGiven', data: { purpose: 'marketing' } }, at(1)],
      [{ type: 'ConsentGiven', data: { purpose: 'newsletter' } }, at(1)],
      [recorded('marketing', 'interests', 1, 'marketing', 'consent'), at(2)],
      [{ type: 'ConsentWithdrawn', data: { purpose: 'marketing' } }, at(3)],
      [{ type: 'CategoryShredded', data: { category: 'marketing', keyIds: [keyIdFor(S, 'marketing', 1)], reason: 'withdrawal' } }, at(3)],
      [recorded('marketing', 'interests', 2, 'newsletter', 'consent'), at(4)],
    ];
    const state = events.reduce<SubjectState>((st, [e, when], i) => evolve(st, { ...e, id: `e${i}`, at: when }), initialState(S));
    const row = retentionOf(state, reg, holdsOf(state, reg)).find((r) => r.category === 'marketing')!;
    expect(row.rule).not.toContain('withdrawn');
    expect(row.dueAt > at(28)).toBe(true);
  });
  it('refuses new recordings into a restricted category but allows rectification', () => {
    const g = given(registered, recorded('contact', 'name'), { type: 'ProcessingRestricted', data: { categories: ['contact'], reason: 'accuracyContested' } });
    g.when({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd')] }).thenFails('FORBIDDEN');
    expect(g.when({ type: 'RectifyPersonalData', items: [item('contact', 'name', 'Ada')] }).events()).toHaveLength(1);
  });
  it('denies reads for each reason in order', () => {
    const base = given(registered, recorded('contact', 'email')).state;
    expect(accessDecision(base, register, 'contact', 'contract', ['contract'])).toEqual({ allowed: true });
    expect(accessDecision(base, register, 'contact', 'contract', ['billing'])).toEqual({ allowed: false, reason: 'PURPOSE_NOT_ALLOWED' });
    expect(accessDecision(base, register, 'accounting', 'contract', ['contract'])).toEqual({ allowed: false, reason: 'PURPOSE_NOT_ALLOWED' });
    expect(accessDecision(base, register, 'contact', 'marketing', ['marketing'])).toEqual({ allowed: false, reason: 'NO_CONSENT' });
    const restricted = given(registered, { type: 'ProcessingRestricted', data: { categories: ['contact'], reason: 'other' } }).state;
    expect(accessDecision(restricted, register, 'contact', 'contract', ['contract'])).toEqual({ allowed: false, reason: 'RESTRICTED' });
    const objected = given(registered, { type: 'ConsentGiven', data: { purpose: 'marketing' } }, { type: 'ObjectionRaised', data: { purpose: 'marketing' } }).state;
    expect(accessDecision(objected, register, 'contact', 'marketing', ['marketing'])).toEqual({ allowed: false, reason: 'OBJECTED' });
    const withdrawn = given(registered, { type: 'ConsentGiven', data: { purpose: 'marketing' } }, { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } }).state;
    expect(accessDecision(withdrawn, register, 'contact', 'marketing', ['marketing'])).toEqual({ allowed: false, reason: 'CONSENT_WITHDRAWN' });
  });
});

describe('legal holds and lifecycle', () => {
  it('places a hold only with a future end date and releases only an existing hold', () => {
    const g = given(registered, recorded('contact', 'email'));
    g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'litigation', until: '2020-01-01' }).thenFails('BAD_USER_INPUT', 'until');
    g.when({ type: 'ReleaseLegalHold', category: 'contact' }).thenFails('NOT_FOUND');
    expect(g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'litigation', until: '2030-01-01' }).events()).toEqual([
      { type: 'LegalHoldPlaced', data: { category: 'contact', basis: 'litigation', until: '2030-01-01T00:00:00.000Z' } },
    ]);
  });
  it('lets a second hold on a category extend the first, never shorten it unnoticed', () => {
    const held: DomainEvent<Sealed> = { type: 'LegalHoldPlaced', data: { category: 'contact', basis: 'litigation', until: '2027-06-01T00:00:00.000Z' } };
    const g = given(registered, recorded('contact', 'email'), held);
    g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'insuranceClaim', until: '2027-01-10' }).thenFails('CONFLICT', 'until');
    g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'litigation', until: '2027-06-01' }).then([]);
    g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'insuranceClaim', until: '2028-01-01' }).then([
      { type: 'LegalHoldPlaced', data: { category: 'contact', basis: 'insuranceClaim', until: '2028-01-01T00:00:00.000Z' } },
    ]);
    // Shortening on purpose: release, then place the shorter hold.
    const released = given(registered, recorded('contact', 'email'), held, { type: 'LegalHoldReleased', data: { category: 'contact' } });
    expect(released.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'insuranceClaim', until: '2027-01-10' }).events()).toHaveLength(1);
  });

  it('records a lifecycle event the register knows, naming the categories whose clocks it starts', () => {
    given(registered).when({ type: 'RecordLifecycleEvent', event: 'relationshipEnded' }).then([{ type: 'LifecycleEventRecorded', data: { event: 'relationshipEnded', categories: ['contact'] } }]);
    given(registered).when({ type: 'RecordLifecycleEvent', event: 'wedding' }).thenFails('BAD_USER_INPUT', 'event');
  });
});

describe('metadata', () => {
  it('accepts reasons and hold bases only as codes, since they are stored in plaintext', () => {
    const g = given(registered, recorded('contact', 'email'), recorded('contact', 'name'));
    g.when({ type: 'EraseSubject', reason: 'Ada asked by phone on Monday' }).thenFails('BAD_USER_INPUT', 'reason');
    g.when({ type: 'RestrictProcessing', categories: ['contact'], reason: 'Ada disputes her address' }).thenFails('BAD_USER_INPUT', 'reason');
    g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'case Ada v. Example', until: '2030-01-01' }).thenFails('BAD_USER_INPUT', 'basis');
    g.when({ type: 'ErasePersonalData', category: 'contact', field: 'email', reason: 'typo', remaining: { name: 'x' } }).thenFails('BAD_USER_INPUT', 'reason');
  });

  it('keeps values out of everything but the value field of the decided events', () => {
    const events = given(registered).when({ type: 'RecordPersonalData', items: [item('contact', 'email', 'marker-xyz@example.com')] }).events();
    const { value, ...rest } = (events[0] as { data: { value: unknown } }).data as Record<string, unknown>;
    expect(JSON.stringify(rest)).not.toContain('marker-xyz');
    expect(value).toEqual({ plain: 'marker-xyz@example.com' });
  });
});
