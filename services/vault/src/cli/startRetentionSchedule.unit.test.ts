import { describe, expect, it, vi } from 'vitest';

import { startRetentionSchedule } from './startRetentionSchedule.js';

describe('the retention schedule', () => {
  it('sweeps on its interval, never twice at once, and stops cleanly', async () => {
    vi.useFakeTimers();
    let inFlight = 0;
    let maxInFlight = 0;
    let release: () => void = () => {};
    const sweep = vi.fn(async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((r) => (release = r));
      inFlight -= 1;
      return { asOf: '', dryRun: false, examined: 3, shredded: 1, items: [] };
    });
    const results: unknown[] = [];
    const schedule = startRetentionSchedule({ intervalMs: 1000, sweep, onResult: (r) => results.push(r) });
    await vi.advanceTimersByTimeAsync(1000); // first tick (min(5 s, interval)) and the first interval
    expect(sweep).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(3000); // still running: no second sweep
    expect(sweep).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sweep).toHaveBeenCalledTimes(2);
    expect(results[0]).toMatchObject({ shredded: 1, examined: 3 });
    const stopping = schedule.stop();
    release();
    await stopping;
    await vi.advanceTimersByTimeAsync(5000);
    expect(sweep).toHaveBeenCalledTimes(2);
    expect(maxInFlight).toBe(1);
    vi.useRealTimers();
  });
});
