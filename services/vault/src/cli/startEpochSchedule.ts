import type { EpochRotation, EpochSchedule } from '../crypto/keyRing.js';

export interface EpochScheduleOptions {
  /** How long an epoch lasts, in ms (`VAULT_KEY_EPOCH`). */
  epochMs: number;
  /** The current epoch's schedule (normally `keyRing.epochSchedule`). */
  schedule: () => Promise<EpochSchedule>;
  /** Whether more than one epoch is alive: a rotation that a crash or a stop interrupted. */
  unfinished: () => Promise<boolean>;
  /** Runs one rotation (normally `vault.rotateEpoch`: keys, blind index, old KEK destroyed). */
  rotate: () => Promise<EpochRotation>;
  /** Told each rotation's counts, or its failure (never key material). */
  onResult: (
    result: { epoch: number; keys: number; destroyed: number[]; ms: number; late: boolean } | { error: unknown },
  ) => void;
  /** Clock; default Date.now. */
  now?: () => number;
}

/**
 * Ends each key epoch on time inside `vault serve`. A rotation starts a lead before the epoch's
 * stated end (a twenty-fourth of the epoch, at most an hour), so that the old KEK is gone by the
 * time an erasure certificate promised; one that a crash interrupted is finished at the first
 * tick. Never two at once in this process; another replica's concurrent rotation is safe.
 */
export function startEpochSchedule(options: EpochScheduleOptions): { stop(): Promise<void> } {
  const now = options.now ?? Date.now;
  const lead = Math.min(options.epochMs / 24, 3_600_000);
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped || running) return;
    running = (async () => {
      const due = (await options.unfinished()) || now() >= Date.parse((await options.schedule()).endsAt) - lead;
      if (!due || stopped) return;
      const endsAt = Date.parse((await options.schedule()).endsAt);
      const started = now();
      const r = await options.rotate();
      options.onResult({
        epoch: r.to,
        keys: r.keys,
        destroyed: r.destroyed,
        ms: now() - started,
        late: now() > endsAt,
      });
    })()
      .catch((error: unknown) => options.onResult({ error }))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, Math.max(50, Math.min(lead / 4, 60_000)));
  timer.unref();
  const first = setTimeout(tick, 0);
  first.unref();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
