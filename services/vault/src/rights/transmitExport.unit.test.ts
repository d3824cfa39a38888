import { describe, expect, it } from 'vitest';

import type { TransmissionAttemptInput, TransmissionState } from '../domain/transmissions.js';
import { fixtureRegister } from '../testing/fixtureRegister.js';
import {
  continueTransmission,
  resumeTransmissions,
  type TransmissionClaims,
  type TransmitDeps,
} from './transmitExport.js';

const NOW = '2026-03-02T10:00:02.000Z';

function deps(statuses: number[]) {
  const register = fixtureRegister();
  register.receivingControllers = { acme: { name: 'Acme Energy AS', endpoint: 'http://127.0.0.1:9/imports' } };
  const recorded: TransmissionAttemptInput[] = [];
  const slept: number[] = [];
  const d: TransmitDeps = {
    register,
    accessLog: { append: () => Promise.resolve() } as unknown as TransmitDeps['accessLog'],
    now: () => NOW,
    download: () =>
      Promise.resolve({
        signature: { sha256: 'a'.repeat(64), bytes: 3 } as never,
        jws: 'h.p.s',
        categories: [],
        body: (async function* () {
          yield await Promise.resolve('abc');
        })(),
      }),
    record: (_s, attempt) => {
      recorded.push(attempt);
      return Promise.resolve(NOW);
    },
    fetch: () => Promise.resolve(new Response(null, { status: statuses.shift()! })),
    policy: { attempts: 4, backoffMs: 2_000 },
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  };
  return { d, recorded, slept };
}

const left = { subjectId: 's-1', transmissionId: 't-000001', receiver: 'acme', requestedBy: 'subject:s-1' };

describe('transmissions a stopped vault left retrying', () => {
  it('go on after what is left of the pause, with the attempts the policy still allows', async () => {
    const { d, recorded, slept } = deps([503, 202]);
    // One attempt made 2 s before now: 2 s of its 2 s pause are gone; the next pause is 4 s.
    const r = await resumeTransmissions(d, [{ ...left, made: 1, lastAt: '2026-03-02T10:00:00.000Z' }], 'k');
    expect(r).toEqual({ resumed: 1, delivered: 1, failed: 0 });
    expect(slept).toEqual([0, 4_000]);
    expect(recorded.map((a) => [a.transmissionId, a.attempt, a.status, a.final])).toEqual([
      ['t-000001', 2, 503, false],
      ['t-000001', 3, 202, true],
    ]);
  });

  it('end failed at the policy attempts, and leave alone a receiver gone from the register or none left', async () => {
    const { d, recorded, slept } = deps([503]);
    const r = await resumeTransmissions(
      d,
      [
        { ...left, made: 3, lastAt: '2026-03-02T10:00:01.000Z' },
        { ...left, transmissionId: 't-000002', receiver: 'gone', made: 1, lastAt: NOW },
        { ...left, transmissionId: 't-000003', made: 4, lastAt: NOW },
      ],
      'k',
    );
    expect(r).toEqual({ resumed: 1, delivered: 0, failed: 1 });
    // The pause after a third attempt is 8 s; one of it is gone.
    expect(slept).toEqual([7_000]);
    expect(recorded.map((a) => [a.transmissionId, a.attempt, a.final])).toEqual([['t-000001', 4, true]]);
  });

  it('start no attempt once the vault is stopping', async () => {
    const { d, recorded } = deps([202]);
    const r = await resumeTransmissions(d, [{ ...left, made: 1, lastAt: NOW }], 'k', () => true);
    expect(r).toEqual({ resumed: 1, delivered: 0, failed: 0 });
    expect(recorded).toEqual([]);
  });
});

describe('a sweep of a live process for transmissions another left in a pause', () => {
  it('takes only those overdue by the grace, and none this process is going on with', async () => {
    const { d, recorded } = deps([202, 202]);
    d.running = new Set(['t-000004']);
    // NOW is 10:00:02. Each made one attempt, so its next was due 2 s after it.
    const rows = [
      // Due at 09:59:40, 22 s ago: its process would have made it by now, had it lived.
      { ...left, made: 1, lastAt: '2026-03-02T09:59:38.000Z' },
      // Due at 09:59:50, 12 s ago: its process may be making it still.
      { ...left, transmissionId: 't-000002', made: 1, lastAt: '2026-03-02T09:59:48.000Z' },
      // Asked for 20 s ago, never attempted.
      { ...left, transmissionId: 't-000003', made: 0, lastAt: '2026-03-02T09:59:42.000Z' },
      // Overdue, but this process is going on with it.
      { ...left, transmissionId: 't-000004', made: 1, lastAt: '2026-03-02T09:59:00.000Z' },
    ];
    const r = await resumeTransmissions(d, rows, 'k', () => false, 15_000);
    expect(r).toEqual({ resumed: 2, delivered: 2, failed: 0 });
    expect(recorded.map((a) => [a.transmissionId, a.attempt]).sort()).toEqual([
      ['t-000001', 2],
      ['t-000003', 1],
    ]);
    // What it went on with is no longer its own once ended; the one it was going on with still is.
    expect([...d.running]).toEqual(['t-000004']);
  });
});

/** Claims as a lease store keeps them (taken when free, expired or the holder's own), shared by `holders`. */
function sharedClaims() {
  const leases = new Map<string, { holder: string; until: number }>();
  const held = new Set<string>();
  const of = (holder: string): TransmissionClaims => ({
    take: (id, ttlMs) => {
      const l = leases.get(id);
      if (l && l.holder !== holder && l.until > Date.now()) return Promise.resolve(undefined);
      const first = !held.has(id);
      held.add(id);
      leases.set(id, { holder, until: Date.now() + ttlMs });
      return Promise.resolve({ first });
    },
    release: (id) => {
      if (leases.get(id)?.holder === holder) leases.delete(id);
      return Promise.resolve();
    },
  });
  return { of, leases, held };
}

/** Two processes over one subject's record: an attempt is recorded only as the next one, as the domain decides. */
function twoProcesses(statuses: number[]) {
  const log: TransmissionAttemptInput[] = [];
  const claims = sharedClaims();
  const sent: number[] = [];
  const state = (): TransmissionState => ({
    transmissionId: left.transmissionId,
    receiver: 'acme',
    requestedBy: left.requestedBy,
    requestedAt: NOW,
    outcome: log.some((a) => a.delivered) ? 'delivered' : log.some((a) => a.final) ? 'failed' : 'retrying',
    attempts: log.map(() => ({ at: NOW, status: null, sha256: 'a'.repeat(64), bytes: 3 })),
  });
  const processOf = (name: string) => {
    const { d } = deps([]);
    d.fetch = async () => {
      sent.push(log.length + 1);
      // The receiver takes a moment: the other process runs meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 5));
      return new Response(null, { status: statuses.shift()! });
    };
    d.record = (_s, attempt) => {
      if (attempt.attempt !== log.length + 1) return Promise.reject(new Error(`attempt ${attempt.attempt} again`));
      log.push(attempt);
      return Promise.resolve(NOW);
    };
    d.claims = claims.of(name);
    d.recorded = () => Promise.resolve(state());
    d.policy = { ...d.policy, recheckMs: 1 };
    // Real timers, a millisecond at most: a process waiting for a claim lets the other one run.
    d.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 1)));
    return d;
  };
  return { processOf, log, sent, claims };
}

describe('a transmission several processes may go on with', () => {
  it('is sent once per attempt when two processes resume it at once', async () => {
    const { processOf, log, sent } = twoProcesses([503, 202]);
    const row = [{ ...left, made: 0, lastAt: NOW }];
    const [a, b] = await Promise.all([
      resumeTransmissions(processOf('a'), row, 'k'),
      resumeTransmissions(processOf('b'), row, 'k'),
    ]);
    expect(sent).toEqual([1, 2]);
    expect(log.map((x) => [x.attempt, x.status, x.final])).toEqual([
      [1, 503, false],
      [2, 202, true],
    ]);
    expect(a.delivered + b.delivered).toBeGreaterThanOrEqual(1);
  });

  it('is sent once per attempt when a process resumes what another is still retrying live', async () => {
    const { processOf, log, sent } = twoProcesses([503, 503, 202]);
    const live = transmitExportForTest(processOf('live'));
    // The second process starts while the first pauses after its first attempt, and resumes from the record.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const resumed = resumeTransmissions(processOf('late'), [{ ...left, made: log.length, lastAt: NOW }], 'k');
    const [answer] = await Promise.all([live, resumed]);
    expect(sent).toEqual([1, 2, 3]);
    expect(log.map((x) => x.attempt)).toEqual([1, 2, 3]);
    expect(answer?.attempts.length).toBe(3);
  });

  it('waits for a claim a dead process holds to expire, then makes the attempt it left unrecorded', async () => {
    const { processOf, log, sent, claims } = twoProcesses([202]);
    claims.leases.set(left.transmissionId, { holder: 'dead', until: Date.now() + 50 });
    claims.held.add(left.transmissionId);
    const started = Date.now();
    const r = await resumeTransmissions(processOf('b'), [{ ...left, made: 0, lastAt: NOW }], 'k');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(r).toEqual({ resumed: 1, delivered: 1, failed: 0 });
    expect(sent).toEqual([1]);
    expect(log.map((x) => [x.attempt, x.delivered])).toEqual([[1, true]]);
  });
});

/** The live call on `d`, its pauses a little longer than the other process's start. */
function transmitExportForTest(d: TransmitDeps) {
  d.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 100)));
  const { transmissionId, receiver, requestedBy } = left;
  return continueTransmission(d, 's-1', { transmissionId, receiver, requestedBy }, 'k');
}
