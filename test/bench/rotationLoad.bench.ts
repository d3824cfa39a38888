import { load, setupApiBench } from './api.bench.js';

/**
 * The API while an epoch ends: record and read p99 at 50 connections with an epoch rotation of
 * `BENCH_ROTATION_KEYS` live data keys (default 1,000,000) running in the server's process, as
 * `vault serve`'s schedule runs it, against the same scenarios without one, in the same run.
 * Target: each p99 during the rotation at most 2x the p99 without it. Rounds of record then read,
 * `BENCH_API_SECONDS` each; the figures are the medians of the rounds that ran entirely while the
 * rotation did (and as many rounds before it).
 */
const KEYS = Math.max(10_000, Number(process.env.BENCH_ROTATION_KEYS ?? 1_000_000));
/** Keys re-wrapped per page (`BENCH_ROTATION_PAGE`); default: the vault's own, as `vault serve` rotates. */
const PAGE = process.env.BENCH_ROTATION_PAGE ? Number(process.env.BENCH_ROTATION_PAGE) : undefined;
const BATCH = 10_000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function rotationLoadBench(): Promise<Record<string, number>> {
  const seconds = Number(process.env.BENCH_API_SECONDS ?? 2);
  const started = performance.now();
  const setup = await setupApiBench(async (vault) => {
    // Live keys of other subjects, as a vault of KEYS keys holds: made and stored in batches.
    for (let i = 0; i < KEYS; i += BATCH)
      await vault.keyRing.ensure(
        Array.from({ length: Math.min(BATCH, KEYS - i) }, (_, j) => `load-${i + j}/contact/1`),
      );
    vault.keyRing.clearCache();
  });
  const setupS = (performance.now() - started) / 1000;
  const { vault, url, token, readers, writers } = setup;
  try {
    const round = async () => ({
      record: await load(url, token, 'record', writers, seconds),
      read: await load(url, token, 'read', readers, seconds),
    });
    // Warm-up, then the rounds without a rotation.
    await round();
    const quiet: Awaited<ReturnType<typeof round>>[] = [];
    for (let i = 0; i < 5; i++) quiet.push(await round());

    let rotating = true;
    const t0 = performance.now();
    const rotation = vault.rotateEpoch(PAGE ? { pageSize: PAGE } : {}).finally(() => (rotating = false));
    const during: typeof quiet = [];
    while (rotating) {
      const r = await round();
      if (rotating) during.push(r);
    }
    const report = await rotation;
    const rotationS = (performance.now() - t0) / 1000;
    if (report.keys < KEYS) throw new Error(`the rotation re-wrapped ${report.keys} keys, expected at least ${KEYS}`);
    if (during.length === 0)
      throw new Error('the rotation ended before one round of load did: raise BENCH_ROTATION_KEYS');

    const p99 = (rs: typeof quiet, k: 'record' | 'read') => median(rs.map((r) => r[k].p99));
    const rps = (rs: typeof quiet, k: 'record' | 'read') => median(rs.map((r) => r[k].rps));
    return {
      rotation_load_keys: report.keys,
      rotation_load_setup_s: setupS,
      rotation_load_rotation_s: rotationS,
      rotation_load_rounds_during: during.length,
      rotation_load_record_p99_ms_quiet: p99(quiet, 'record'),
      rotation_load_record_p99_ms_during: p99(during, 'record'),
      rotation_load_record_p99_ratio: p99(during, 'record') / p99(quiet, 'record'),
      rotation_load_read_p99_ms_quiet: p99(quiet, 'read'),
      rotation_load_read_p99_ms_during: p99(during, 'read'),
      rotation_load_read_p99_ratio: p99(during, 'read') / p99(quiet, 'read'),
      rotation_load_record_rps_ratio: rps(during, 'record') / rps(quiet, 'record'),
      rotation_load_read_rps_ratio: rps(during, 'read') / rps(quiet, 'read'),
    };
  } finally {
    await setup.close();
  }
}
