import { describe, expect, it } from 'vitest';

import { startEpochSchedule } from './startEpochSchedule.js';

const HOUR = 3_600_000;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A schedule over a fake clock and a fake key ring: which ticks rotate. */
function harness(opts: { now: number; endsAt: number; unfinished?: boolean; epochMs?: number }) {
  const state = { now: opts.now, endsAt: opts.endsAt, unfinished: opts.unfinished ?? false, rotations: 0 };
  const results: unknown[] = [];
  const schedule = startEpochSchedule({
    epochMs: opts.epochMs ?? 24 * HOUR,
    now: () => state.now,
    schedule: async () => ({
      epoch: 1,
      startedAt: new Date(state.endsAt - 24 * HOUR).toISOString(),
      endsAt: new Date(state.endsAt).toISOString(),
    }),
    unfinished: async () => state.unfinished,
    rotate: async () => {
      state.rotations += 1;
      state.unfinished = false;
      state.endsAt += 24 * HOUR;
      return { from: [1], to: 2, keys: 3, secrets: 2, destroyed: [1] };
    },
    onResult: (r) => results.push(r),
  });
  return { state, results, schedule };
}

describe('the key epoch schedule', () => {
  it('does not rotate before the lead time ahead of the epoch end', async () => {
    const h = harness({ now: 0, endsAt: 2 * HOUR });
    await wait(30);
    await h.schedule.stop();
    expect(h.state.rotations).toBe(0);
  });

  it('rotates once within an hour of the stated end, reports it on time, then waits for the next epoch', async () => {
    const h = harness({ now: 0, endsAt: HOUR - 1 });
    await wait(30);
    await h.schedule.stop();
    expect(h.state.rotations).toBe(1);
    expect(h.results).toEqual([expect.objectContaining({ epoch: 2, keys: 3, destroyed: [1], late: false })]);
  });

  it('finishes an interrupted rotation at once, whatever the clock says', async () => {
    const h = harness({ now: 0, endsAt: 20 * HOUR, unfinished: true });
    await wait(30);
    await h.schedule.stop();
    expect(h.state.rotations).toBe(1);
  });

  it('says when a rotation finished after the end it was due by', async () => {
    const h = harness({ now: 5 * HOUR, endsAt: 4 * HOUR });
    await wait(30);
    await h.schedule.stop();
    expect(h.results).toEqual([expect.objectContaining({ late: true })]);
  });
});
