import { describe, expect, it } from 'vitest';

import { given, registered, S } from '../testing/givenSubject.js';
import { trackedRowsOf } from './requests.js';
import { evolve, initialState } from './subject.js';
import type { TransmissionAttemptInput } from './transmissions.js';

const ID = '6f1c2a9e-8d4b-4f57-9a3e-2c1d0b9a8f7e';
const SHA = 'a'.repeat(64);
const attempt = (n: number, status: number | null, final: boolean): TransmissionAttemptInput => ({
  type: 'RecordTransmissionAttempt',
  transmissionId: ID,
  receiver: 'acme',
  requestedBy: `subject:${S}`,
  attempt: n,
  sha256: SHA,
  bytes: 1234,
  status,
  delivered: status !== null && status >= 200 && status < 300,
  final,
});
const event = (a: TransmissionAttemptInput) => {
  const { type: _type, ...data } = a;
  return { type: 'ExportTransmissionAttempted' as const, data };
};

describe('direct transmissions of the portability export (Art. 20(2))', () => {
  it('records each attempt in order, as an event with no personal data', () => {
    given(registered)
      .when(attempt(1, 503, false))
      .then([event(attempt(1, 503, false))]);
    given(registered, event(attempt(1, 503, false)))
      .when(attempt(2, 202, true))
      .then([event(attempt(2, 202, true))]);
  });

  it('refuses an attempt out of order, after the final one, or for another receiver, as a conflict', () => {
    given(registered)
      .when(attempt(2, 503, false))
      .thenFails('CONFLICT', 'attempt');
    given(registered, event(attempt(1, null, false)))
      .when(attempt(1, null, false))
      .thenFails('CONFLICT', 'attempt');
    given(registered, event(attempt(1, 202, true)))
      .when(attempt(2, 202, true))
      .thenFails('CONFLICT', 'attempt');
    given(registered, event(attempt(1, 500, false)))
      .when({ ...attempt(2, 202, true), receiver: 'other' })
      .thenFails('CONFLICT', 'attempt');
  });

  it('refuses a malformed attempt: free text where codes go, a bad digest or status, delivered but not final', () => {
    given(registered)
      .when({ ...attempt(1, 202, true), receiver: 'https://x.example/' })
      .thenFails('BAD_USER_INPUT');
    given(registered)
      .when({ ...attempt(1, 202, true), requestedBy: 'Ann Smith' })
      .thenFails('BAD_USER_INPUT');
    given(registered)
      .when({ ...attempt(1, 202, true), sha256: 'abc' })
      .thenFails('BAD_USER_INPUT', 'sha256');
    given(registered)
      .when({ ...attempt(1, 99, true) })
      .thenFails('BAD_USER_INPUT', 'status');
    given(registered)
      .when({ ...attempt(1, 202, false) })
      .thenFails('BAD_USER_INPUT', 'final');
  });

  it('folds the attempts into one transmission: retrying, then delivered or failed', () => {
    const at = (s: number) => `2026-03-01T10:00:0${s}.000Z`;
    let state = evolve(initialState(S), { ...registered, id: 'e0', at: at(0) });
    state = evolve(state, { ...event(attempt(1, null, false)), id: 'e1', at: at(1) });
    expect(state.rights.transmissions![ID]).toMatchObject({ outcome: 'retrying', requestedAt: at(1) });
    state = evolve(state, { ...event(attempt(2, 503, false)), id: 'e2', at: at(2) });
    state = evolve(state, { ...event(attempt(3, 200, true)), id: 'e3', at: at(3) });
    expect(state.rights.transmissions![ID]).toEqual({
      transmissionId: ID,
      receiver: 'acme',
      requestedBy: `subject:${S}`,
      requestedAt: at(1),
      outcome: 'delivered',
      attempts: [
        { at: at(1), status: null, sha256: SHA, bytes: 1234 },
        { at: at(2), status: 503, sha256: SHA, bytes: 1234 },
        { at: at(3), status: 200, sha256: SHA, bytes: 1234 },
      ],
    });
    const failed = evolve(evolve(initialState(S), { ...registered, id: 'f0', at: at(0) }), {
      ...event(attempt(1, 400, true)),
      id: 'f1',
      at: at(1),
    });
    expect(failed.rights.transmissions![ID]!.outcome).toBe('failed');
  });

  it('records a transmission asked for before its first attempt, which follows it; an id used twice conflicts', () => {
    const request = {
      type: 'RequestTransmission' as const,
      transmissionId: ID,
      receiver: 'acme',
      requestedBy: `subject:${S}`,
    };
    const requested = {
      type: 'ExportTransmissionRequested' as const,
      data: { transmissionId: ID, receiver: 'acme', requestedBy: `subject:${S}` },
    };
    given(registered).when(request).then([requested]);
    given(registered, requested)
      .when(attempt(1, 202, true))
      .then([event(attempt(1, 202, true))]);
    given(registered, requested)
      .when(attempt(2, 202, true))
      .thenFails('CONFLICT', 'attempt');
    given(registered, requested).when(request).thenFails('CONFLICT', 'transmissionId');
    given(registered)
      .when({ ...request, receiver: 'https://x.example/' })
      .thenFails('BAD_USER_INPUT', 'receiver');
  });

  it('keeps a transmission asked for and not attempted retrying, so a vault that starts again goes on with it', () => {
    const at = (s: number) => `2026-03-01T10:00:0${s}.000Z`;
    let state = evolve(initialState(S), { ...registered, id: 'e0', at: at(0) });
    const data = { transmissionId: ID, receiver: 'acme', requestedBy: `subject:${S}` };
    state = evolve(state, { type: 'ExportTransmissionRequested', data, id: 'e1', at: at(1) });
    expect(state.rights.transmissions![ID]).toEqual({ ...data, requestedAt: at(1), outcome: 'retrying', attempts: [] });
    expect(trackedRowsOf(state).filter((r) => r.kind === 'transmission')).toEqual([
      {
        kind: 'transmission',
        id: ID,
        subjectId: S,
        status: 'RETRYING',
        dueAt: at(1),
        data: { receiver: 'acme', requestedBy: `subject:${S}`, attempts: 0 },
      },
    ]);
    state = evolve(state, { ...event(attempt(1, 202, true)), id: 'e2', at: at(2) });
    expect(state.rights.transmissions![ID]).toMatchObject({ requestedAt: at(1), outcome: 'delivered' });
    expect(trackedRowsOf(state).filter((r) => r.kind === 'transmission')).toEqual([]);
  });
});
