import { randomUUID } from 'node:crypto';

import { NO_STREAM, sealDecision, streamOf, uuidv7, type Vault } from '@pdv/vault';

import { tempVault } from '../support/tempVault.js';

type Figures = Record<string, number>;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** CPU time of this process so far, every thread's, in seconds. */
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/**
 * A registered subject with `history` personal-data events in its stream (one category, so both
 * sizes shred the same one key), written straight to the log in batches of 500.
 */
async function subjectWithHistory(vault: Vault, history: number): Promise<string> {
  const { subjectId } = await vault.commands.registerSubject({ actor: 'bench' });
  let revision = 0;
  for (let done = 0; done < history;) {
    const n = Math.min(500, history - done);
    const decision = Array.from({ length: n }, (_, i) => ({
      type: 'PersonalDataRecorded' as const,
      data: {
        category: 'contact',
        field: 'name',
        keyId: `${subjectId}/contact/1`,
        value: { plain: `Name ${done + i}` },
        purpose: 'contract',
        legalBasis: 'contract' as const,
        source: 'subject' as const,
      },
    }));
    const events = await sealDecision(subjectId, decision, vault.keyRing, {
      actor: 'bench',
      at: new Date().toISOString(),
    });
    const r = await vault.stores.log.append(streamOf(subjectId), events, revision);
    revision = r.nextRevision;
    done += n;
  }
  await vault.projector.catchUp();
  return subjectId;
}

export async function erasureBench(): Promise<Figures> {
  const { vault, cleanup } = await tempVault();
  try {
    const rounds = 7;
    const small: string[] = [];
    const large: string[] = [];
    for (let i = 0; i < rounds; i++) {
      small.push(await subjectWithHistory(vault, 1));
      large.push(await subjectWithHistory(vault, 10_000));
    }
    const time = async (id: string) => {
      const t = performance.now();
      await vault.erase(id, { actor: 'dpo:bench', reason: 'subjectRequest' });
      return performance.now() - t;
    };
    const s: number[] = [];
    const l: number[] = [];
    // Interleaved, so drift in machine load hits both sides alike.
    for (let i = 0; i < rounds; i++) {
      s.push(await time(small[i]!));
      l.push(await time(large[i]!));
    }
    return {
      erasure_1_event_median_ms: median(s),
      erasure_10000_events_median_ms: median(l),
      erasure_ratio_10000_vs_1: median(l) / median(s),
    };
  } finally {
    await cleanup();
  }
}

export async function appendBench(): Promise<Figures> {
  const { vault, cleanup } = await tempVault();
  try {
    const log = vault.stores.log;
    // Event ids as the vault makes them (time-ordered UUIDv7).
    const event = () => ({
      id: uuidv7(),
      type: 'BenchEvent',
      data: { v: 'x'.repeat(100) },
      metadata: { actor: 'bench', at: new Date().toISOString() },
    });
    // Baseline: one writer, one event per append, each waiting for its commit.
    const soloCount = 1_000;
    let t = performance.now();
    for (let i = 0; i < soloCount; i++) await log.append(`bench-solo-${i}`, [event()], NO_STREAM);
    const solo = soloCount / ((performance.now() - t) / 1000);

    const writers = 50;
    const perWriter = 1_000;
    t = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) await log.append(`bench-${w}-${i}`, [event()], NO_STREAM);
      }),
    );
    const concurrent = (writers * perWriter) / ((performance.now() - t) / 1000);
    return {
      append_1_writer_events_per_s: Math.round(solo),
      append_50_writers_events_per_s: Math.round(concurrent),
      append_ratio_50_writers_vs_1: concurrent / solo,
    };
  } finally {
    await cleanup();
  }
}

export async function rebuildBench(): Promise<Figures> {
  const setup = await tempVault();
  let { vault, cleanup } = setup;
  try {
    const subjects = 10_000;
    const at = new Date().toISOString();
    const appends: Promise<unknown>[] = [];
    // 5 events a subject: registered, then email (a lookup field: decrypted on rebuild), name, phone, consent.
    for (let i = 0; i < subjects; i += 1) {
      const subjectId = randomUUID();
      const decision = [
        { type: 'SubjectRegistered' as const, data: { subjectId } },
        ...(['email', 'name', 'phone'] as const).map((field) => ({
          type: 'PersonalDataRecorded' as const,
          data: {
            category: 'contact',
            field,
            keyId: `${subjectId}/contact/1`,
            value: {
              plain:
                field === 'email'
                  ? `p${i}@example.com`
                  : field === 'phone'
                    ? `+3120${String(1000000 + i)}`
                    : `Person ${i}`,
            },
            purpose: 'contract',
            legalBasis: 'contract' as const,
            source: 'subject' as const,
          },
        })),
        {
          type: 'ConsentGiven' as const,
          data: {
            purpose: 'marketing',
            noticeId: 'privacy-notice',
            noticeVersion: '2026-01',
            channel: 'webForm' as const,
            collectedBy: 'service:bench',
          },
        },
      ];
      const events = await sealDecision(subjectId, decision, vault.keyRing, { actor: 'bench', at });
      appends.push(vault.stores.log.append(streamOf(subjectId), events, NO_STREAM));
    }
    await Promise.all(appends);
    // Measured as `vault rebuild` runs: on a data directory that was closed, in a settled process.
    await vault.close();
    ({ vault } = await tempVault({ dataDir: setup.config.dataDir, masterKey: setup.config.masterKey }));
    cleanup = async () => {
      await vault.close();
      await setup.cleanup();
    };
    globalThis.gc?.();
    // Baseline in the same run: reading and parsing the same log without projecting it.
    let t = performance.now();
    let cpu = cpuSeconds();
    let scanned = 0;
    for (let after = 0; ;) {
      const page = await vault.stores.log.readAll({ after, maxCount: 5000 });
      if (page.length === 0) break;
      scanned += page.length;
      after = page[page.length - 1]!.position;
    }
    const scanRate = scanned / ((performance.now() - t) / 1000);
    const scanCpuRate = scanned / (cpuSeconds() - cpu);
    // Median of three rebuilds, each with a cold key cache: the decryption is part of the figure.
    const rates: number[] = [];
    const cpuRates: number[] = [];
    let count = 0;
    for (let i = 0; i < 3; i++) {
      vault.keyRing.clearCache();
      globalThis.gc?.();
      t = performance.now();
      cpu = cpuSeconds();
      count = await vault.projector.rebuild();
      rates.push(count / ((performance.now() - t) / 1000));
      cpuRates.push(count / (cpuSeconds() - cpu));
    }
    const rate = median(rates);
    return {
      rebuild_events: count,
      rebuild_events_per_s: Math.round(rate),
      log_scan_events_per_s: Math.round(scanRate),
      rebuild_ratio_vs_log_scan: rate / scanRate,
      // Per second of CPU (every thread of the process): what the work costs, whatever else the cores run.
      rebuild_events_per_cpu_s: Math.round(median(cpuRates)),
      log_scan_events_per_cpu_s: Math.round(scanCpuRate),
      rebuild_cpu_ratio_vs_log_scan: median(cpuRates) / scanCpuRate,
    };
  } finally {
    await cleanup();
  }
}

/** A sweep over 100,000 subjects of which 10% are due: wall time and memory. */
export async function sweepBench(): Promise<Figures> {
  const now = new Date();
  const { vault, cleanup } = await tempVault({ now: () => now.toISOString() });
  try {
    const subjects = 100_000;
    const old = new Date(now.getTime() - 60 * 86_400_000).toISOString();
    const fresh = now.toISOString();
    let appends: Promise<unknown>[] = [];
    for (let i = 0; i < subjects; i++) {
      const subjectId = randomUUID();
      const decision = [
        { type: 'SubjectRegistered' as const, data: { subjectId } },
        {
          type: 'PersonalDataRecorded' as const,
          data: {
            category: 'callRecordings',
            field: 'recording',
            keyId: `${subjectId}/callRecordings/1`,
            value: { plain: { mediaType: 'audio/ogg', contentBase64: 'T2dnUw==' } },
            purpose: 'customerService',
            legalBasis: 'legitimateInterest' as const,
            source: 'subject' as const,
          },
        },
      ];
      // Every tenth call was recorded 60 days ago: past its 30-day retention.
      const events = await sealDecision(subjectId, decision, vault.keyRing, {
        actor: 'bench',
        at: i % 10 === 0 ? old : fresh,
      });
      appends.push(vault.stores.log.append(streamOf(subjectId), events, NO_STREAM));
      if (appends.length >= 1000) {
        await Promise.all(appends);
        appends = [];
      }
    }
    await Promise.all(appends);
    await vault.projector.catchUp();
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => {
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }, 20);
    const t = performance.now();
    const report = await vault.sweepRetention();
    const seconds = (performance.now() - t) / 1000;
    clearInterval(sampler);
    if (report.shredded !== subjects / 10)
      throw new Error(`sweep shredded ${report.shredded}, expected ${subjects / 10}`);
    return {
      sweep_100k_subjects_10pct_due_s: seconds,
      sweep_shreds_per_s: Math.round(report.shredded / seconds),
      sweep_heap_growth_mb: (heapPeak - heapBefore) / 1024 / 1024,
      sweep_max_rss_mb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await cleanup();
  }
}
