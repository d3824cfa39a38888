import type { SweepReport } from '../commands/sweepRetention.js';

export interface RetentionScheduleOptions {
  /** Time between sweeps, in ms. */
  intervalMs: number;
  /** Runs one sweep (normally `vault.sweepRetention`). */
  sweep: () => Promise<SweepReport>;
  /** Told each sweep's counts (never subject ids) or its failure. */
  onResult: (result: { shredded: number; examined: number; ms: number } | { error: unknown }) => void;
}

/**
 * Runs the retention sweep inside `vault serve`: once soon after start, then every interval,
 * never two at once in this process (other replicas may sweep too: the sweep is safe to overlap).
 */
export function startRetentionSchedule(options: RetentionScheduleOptions): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped || running) return;
    const started = Date.now();
    running = options
      .sweep()
      .then((r) => options.onResult({ shredded: r.shredded, examined: r.examined, ms: Date.now() - started }))
      .catch((error: unknown) => options.onResult({ error }))
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(tick, Math.min(5_000, options.intervalMs));
  const timer = setInterval(tick, options.intervalMs);
  first.unref();
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
