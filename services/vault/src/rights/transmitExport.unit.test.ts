import { describe, expect, it } from 'vitest';

import type { TransmissionAttemptInput } from '../domain/transmissions.js';
import { fixtureRegister } from '../testing/fixtureRegister.js';
import { resumeTransmissions, type TransmitDeps } from './transmitExport.js';

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
