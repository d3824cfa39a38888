import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../testing/fixtureRegister.js';
import { isVaultError } from './errors.js';
import type { DomainEvent, Sealed } from './events.js';
import { dueDate, trackedRowsOf } from './requests.js';
import { type Command, decide, evolve, initialState, type SubjectState } from './subject.js';

const register = fixtureRegister();
const NOW = '2026-06-01T00:00:00.000Z';

function given(...events: (DomainEvent<Sealed> & { at?: string })[]): SubjectState {
  return events.reduce<SubjectState>(
    (s, e, i) => evolve(s, { ...e, id: `e${i}`, at: e.at ?? '2026-01-01T00:00:00.000Z' }),
    initialState('s1'),
  );
}
const registered: DomainEvent<Sealed> = { type: 'SubjectRegistered', data: { subjectId: 's1' } };
const opened = (receivedAt: string): DomainEvent<Sealed> => ({
  type: 'RequestOpened',
  data: { requestId: 'r1', requestType: 'ACCESS', receivedAt, channel: 'email', dueAt: dueDate(receivedAt) },
});
/** Within the first answer period of a request received Jan 31, 2026: an extension is decided then (Art. 12(3)). */
const IN_FIRST_PERIOD = '2026-02-10T00:00:00.000Z';
const run = (state: SubjectState, command: Command, now = NOW) =>
  decide(structuredClone(state), command, { register, now, actor: 'dpo:dpo-1' });
const failure = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (isVaultError(e)) return { code: e.code, path: e.path };
    throw e;
  }
  throw new Error('expected a failure');
};

describe('request deadlines (Art. 12(3))', () => {
  it.each([
    ['2026-01-31T10:00:00.000Z', '2026-02-28T10:00:00.000Z'],
    ['2028-01-31T10:00:00.000Z', '2028-02-29T10:00:00.000Z'],
    ['2026-02-03T10:00:00.000Z', '2026-03-03T10:00:00.000Z'],
    ['2026-03-31T00:00:00.000Z', '2026-04-30T00:00:00.000Z'],
    ['2026-12-15T00:00:00.000Z', '2027-01-15T00:00:00.000Z'],
  ])('a request received %s is due %s', (received, due) => {
    expect(dueDate(received)).toBe(due);
    expect(
      run(
        given(registered),
        { type: 'OpenRequest', requestId: 'r1', requestType: 'ACCESS', receivedAt: received, channel: 'email' },
        '2029-01-01T00:00:00.000Z',
      ),
    ).toEqual([
      {
        type: 'RequestOpened',
        data: { requestId: 'r1', requestType: 'ACCESS', receivedAt: received, channel: 'email', dueAt: due },
      },
    ]);
  });

  it('counts an extension from receipt, so Jan 31 extended by two months is due Apr 30', () => {
    const command: Command = { type: 'ExtendRequest', requestId: 'r1', months: 2, reason: 'complex request' };
    const events = run(given(registered, opened('2026-01-31T00:00:00.000Z')), command, IN_FIRST_PERIOD);
    expect(events).toEqual([
      {
        type: 'RequestExtended',
        data: { requestId: 'r1', months: 2, reason: { plain: 'complex request' }, dueAt: '2026-04-30T00:00:00.000Z' },
      },
    ]);
  });

  it('allows at most two further months in total, and only with a reason', () => {
    const once: DomainEvent<Sealed> = {
      type: 'RequestExtended',
      data: { requestId: 'r1', months: 1, reason: 'sealed', dueAt: '2026-03-31T00:00:00.000Z' },
    };
    const state = given(registered, opened('2026-01-31T00:00:00.000Z'), once);
    expect(
      failure(() => run(state, { type: 'ExtendRequest', requestId: 'r1', months: 2, reason: 'more' }, IN_FIRST_PERIOD)),
    ).toEqual({
      code: 'BAD_USER_INPUT',
      path: 'months',
    });
    expect(
      run(state, { type: 'ExtendRequest', requestId: 'r1', months: 1, reason: 'more' }, IN_FIRST_PERIOD)[0],
    ).toMatchObject({
      data: { dueAt: '2026-04-30T00:00:00.000Z' },
    });
    expect(
      failure(() => run(state, { type: 'ExtendRequest', requestId: 'r1', months: 1, reason: '  ' }, IN_FIRST_PERIOD)),
    ).toEqual({
      code: 'BAD_USER_INPUT',
      path: 'reason',
    });
    expect(
      failure(() => run(state, { type: 'ExtendRequest', requestId: 'r1', months: 3, reason: 'x' }, IN_FIRST_PERIOD)),
    ).toEqual({
      code: 'BAD_USER_INPUT',
      path: 'months',
    });
  });

  it('completes a request only once the requester was verified (Art. 12(6))', () => {
    const open = given(registered, opened('2026-01-31T00:00:00.000Z'));
    expect(failure(() => run(open, { type: 'CompleteRequest', requestId: 'r1' })).code).toBe('IDENTITY_NOT_VERIFIED');
    const verified = given(registered, opened('2026-01-31T00:00:00.000Z'), {
      type: 'IdentityVerified',
      data: { requestId: 'r1', method: 'idDocument' },
    });
    expect(run(verified, { type: 'CompleteRequest', requestId: 'r1' })).toEqual([
      { type: 'RequestCompleted', data: { requestId: 'r1' } },
    ]);
  });

  it('opens a request already verified by the login that sent it, in one decision, ready to complete', () => {
    const received = '2026-05-20T08:00:00.000Z';
    const command = {
      type: 'OpenRequest' as const,
      requestId: 'r1',
      requestType: 'ERASURE',
      receivedAt: received,
      channel: 'webForm',
      verifiedBy: { method: 'oidcLogin', issuer: 'https://idp.example/' },
    };
    const events = run(given(registered), command);
    expect(events).toEqual([
      {
        type: 'RequestOpened',
        data: {
          requestId: 'r1',
          requestType: 'ERASURE',
          receivedAt: received,
          channel: 'webForm',
          dueAt: dueDate(received),
        },
      },
      { type: 'IdentityVerified', data: { requestId: 'r1', method: 'oidcLogin', issuer: 'https://idp.example/' } },
    ]);
    const state = given(registered, ...(events as DomainEvent<Sealed>[]));
    expect(run(state, { type: 'CompleteRequest', requestId: 'r1' })).toEqual([
      { type: 'RequestCompleted', data: { requestId: 'r1' } },
    ]);
    const unknown = { ...command, verifiedBy: { method: 'trustMe' } };
    expect(failure(() => run(given(registered), unknown))).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('creates the download of an access request in the append that completes it, so a second makes none', () => {
    const history: DomainEvent<Sealed>[] = [
      registered,
      opened('2026-01-31T00:00:00.000Z'),
      { type: 'IdentityVerified', data: { requestId: 'r1', method: 'idDocument' } },
    ];
    const verified = given(...history);
    const link = {
      linkId: 'l1',
      kind: 'ACCESS' as const,
      tokenHash: 'h'.repeat(64),
      expiresAt: '2027-01-01T00:00:00.000Z',
    };
    const events = run(verified, { type: 'CompleteRequest', requestId: 'r1', link });
    expect(events).toEqual([
      { type: 'ExportLinkCreated', data: link },
      { type: 'RequestCompleted', data: { requestId: 'r1', linkId: 'l1' } },
    ]);
    const done = given(...history, ...(events as DomainEvent<Sealed>[]));
    expect(
      failure(() => run(done, { type: 'CompleteRequest', requestId: 'r1', link: { ...link, linkId: 'l2' } })).code,
    ).toBe('CONFLICT');
    expect(
      failure(() => run(verified, { type: 'CompleteRequest', requestId: 'r1', link: { ...link, expiresAt: NOW } })),
    ).toEqual({ code: 'BAD_USER_INPUT', path: 'expiresAt' });
  });

  it('refuses steps on a closed or unknown request and unknown request types', () => {
    const done = given(registered, opened('2026-01-31T00:00:00.000Z'), {
      type: 'RequestCompleted',
      data: { requestId: 'r1' },
    });
    expect(failure(() => run(done, { type: 'ExtendRequest', requestId: 'r1', months: 1, reason: 'x' })).code).toBe(
      'CONFLICT',
    );
    expect(failure(() => run(done, { type: 'RefuseRequest', requestId: 'nope', reason: 'x' })).code).toBe('NOT_FOUND');
    expect(
      failure(() =>
        run(given(registered), {
          type: 'OpenRequest',
          requestId: 'r2',
          requestType: 'GOSSIP',
          receivedAt: NOW,
          channel: 'email',
        }),
      ),
    ).toEqual({ code: 'BAD_USER_INPUT', path: 'type' });
  });

  it('tracks requests for the DPO with status and due date', () => {
    const state = given(registered, opened('2026-01-31T00:00:00.000Z'), {
      type: 'IdentityVerified',
      data: { requestId: 'r1', method: 'id document' },
    });
    expect(trackedRowsOf(state)).toEqual([
      expect.objectContaining({ kind: 'request', id: 'r1', status: 'OPEN', dueAt: '2026-02-28T00:00:00.000Z' }),
    ]);
  });
});

describe('duty to inform (Art. 14)', () => {
  const fromRegister: DomainEvent<Sealed> & { at: string } = {
    type: 'PersonalDataRecorded',
    at: '2026-03-10T00:00:00.000Z',
    data: {
      category: 'contact',
      field: 'address',
      keyId: 's1/contact/1',
      value: 'sealed',
      purpose: 'contract',
      legalBasis: 'contract',
      source: 'publicRegister',
    },
  };
  it('opens an obligation due one month after data from another source is recorded, and informing closes it', () => {
    const state = given(registered, fromRegister);
    expect(state.rights.notification).toEqual({
      categories: ['contact'],
      openedAt: '2026-03-10T00:00:00.000Z',
      dueAt: '2026-04-10T00:00:00.000Z',
    });
    const events = run(state, { type: 'MarkInformed', at: '2026-03-20T00:00:00.000Z', channel: 'post' });
    const after = given(registered, fromRegister, ...(events as DomainEvent<Sealed>[]));
    expect(after.rights.notification).toBeNull();
    expect(trackedRowsOf(after).filter((r) => r.kind === 'notification')).toEqual([]);
  });
  it('opens nothing for data the subject provided', () => {
    expect(
      given(registered, { ...fromRegister, data: { ...fromRegister.data, source: 'subject' } }).rights.notification,
    ).toBeNull();
    expect(failure(() => run(given(registered), { type: 'MarkInformed', at: NOW, channel: 'post' })).code).toBe(
      'NOT_FOUND',
    );
  });
});

describe('export links', () => {
  const created: DomainEvent<Sealed> = {
    type: 'ExportLinkCreated',
    data: { linkId: 'l1', kind: 'ACCESS', tokenHash: 'h', expiresAt: '2026-06-08T00:00:00.000Z' },
  };
  it('can be used once before it expires', () => {
    const state = given(registered, created);
    expect(run(state, { type: 'UseExportLink', linkId: 'l1' })).toEqual([
      { type: 'ExportLinkUsed', data: { linkId: 'l1' } },
    ]);
    expect(
      failure(() =>
        run(given(registered, created, { type: 'ExportLinkUsed', data: { linkId: 'l1' } }), {
          type: 'UseExportLink',
          linkId: 'l1',
        }),
      ).code,
    ).toBe('LINK_GONE');
    expect(failure(() => run(state, { type: 'UseExportLink', linkId: 'l1' }, '2026-06-09T00:00:00.000Z')).code).toBe(
      'LINK_GONE',
    );
  });
});
