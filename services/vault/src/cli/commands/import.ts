import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';

import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';

import { type ImportCounts, type ImportReject, importSubjects } from '../../commands/importSubjects.js';
import { badInput } from '../../domain/errors.js';
import { ndjsonLines } from '../ndjsonLines.js';
import { openCliVault } from '../openCliVault.js';

/** Exit code of a run that finished but refused some lines (1 stays a run that failed). */
export const EXIT_REJECTED = 2;

interface ImportCliOptions {
  rejects?: string;
  concurrency: string;
  planThreads: string;
  maxLineBytes: string;
  json?: boolean;
  progressEvery: string;
}

export function addImportCommand(program: Command): void {
  program
    .command('import')
    .description('Import subjects from NDJSON (one subject per line; see docs/operations.md), `-` for stdin')
    .argument('<file>', 'the NDJSON file, or - to read standard input')
    .option('--rejects <file>', 'write refused lines here as NDJSON: line number, code, path (never a value)')
    .option('--concurrency <n>', 'lines in flight at once', '256')
    .option('--plan-threads <n>', 'threads that validate lines with the domain rules (0: the main thread)', '1')
    .option(
      '--max-line-bytes <n>',
      'longer lines are refused (LINE_TOO_LONG) without being read into memory',
      '8388608',
    )
    .option('--json', 'print the summary as JSON')
    .option('--progress-every <seconds>', 'seconds between progress lines when stderr is not a terminal', '5')
    .action(async (file: string, opts: ImportCliOptions) => {
      const concurrency = positive(opts.concurrency, '--concurrency');
      const planThreads = Number(opts.planThreads);
      if (!Number.isInteger(planThreads) || planThreads < 0 || planThreads > 16)
        throw badInput('--plan-threads must be a whole number from 0 to 16', '--plan-threads');
      const every = positive(opts.progressEvery, '--progress-every');
      const maxLineBytes = positive(opts.maxLineBytes, '--max-line-bytes');
      const summary = await runImport(file, { ...opts, concurrency, planThreads, every, maxLineBytes });
      console.log(opts.json ? JSON.stringify(summary) : summaryLine(summary));
      if (summary.rejected > 0) process.exitCode = EXIT_REJECTED;
    });
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw badInput(`${name} must be a positive number`, name);
  return n;
}

export interface ImportSummary extends Omit<ImportCounts, 'bytes'> {
  seconds: number;
  fieldsPerSecond: number;
  /** Seconds of the run spent after the last append, waiting for the read models to catch up. */
  projectionSeconds: number;
}

async function runImport(
  file: string,
  opts: { rejects?: string; concurrency: number; planThreads: number; every: number; maxLineBytes: number },
): Promise<ImportSummary> {
  const input = file === '-' ? process.stdin : createReadStream(file);
  const total = file === '-' ? undefined : statSync(file).size;
  const rejects = opts.rejects ? createWriteStream(opts.rejects, { mode: 0o600 }) : undefined;
  const vault = await openCliVault();
  const progress = progressReporter(total, opts.every);
  try {
    // Follows the log while lines are appended, so the wait at the end is short.
    await vault.projector.start();
    const started = performance.now();
    const counts = await importSubjects(
      { log: vault.stores.log, keyRing: vault.keyRing, register: vault.register, now: () => vault.now() },
      ndjsonLines(input, opts.maxLineBytes),
      {
        concurrency: opts.concurrency,
        planThreads: opts.planThreads,
        onReject: (r: ImportReject) => rejects?.write(`${JSON.stringify(r)}\n`),
        onProgress: (c) => progress.update(c),
      },
    );
    const appended = performance.now();
    await vault.projector.waitFor(await vault.stores.log.headPosition(), 600_000);
    const seconds = (performance.now() - started) / 1000;
    progress.stop(counts);
    const { bytes: _bytes, ...rest } = counts;
    return {
      ...rest,
      seconds: round(seconds),
      fieldsPerSecond: Math.round(counts.fields / seconds),
      projectionSeconds: round((performance.now() - appended) / 1000),
    };
  } finally {
    progress.stop();
    if (rejects) {
      rejects.end();
      await finished(rejects);
    }
    await vault.close();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

function summaryLine(s: ImportSummary): string {
  return (
    `imported ${s.imported}, existing ${s.existing}, rejected ${s.rejected} of ${s.lines} lines ` +
    `in ${s.seconds.toFixed(2)} s (${s.fields} fields, ${s.fieldsPerSecond} fields/s; ` +
    `read models caught up ${s.projectionSeconds.toFixed(2)} s after the last append)`
  );
}

const counted = (c: ImportCounts) => `imported ${c.imported}, existing ${c.existing}, rejected ${c.rejected}`;

/**
 * A bar with rate and ETA (cli-progress) when stderr is a terminal, against the file's size when
 * there is one; otherwise a plain line every `every` seconds. On stderr: stdout keeps the summary.
 */
function progressReporter(total: number | undefined, every: number) {
  const started = performance.now();
  const elapsed = () => Math.max(0.001, (performance.now() - started) / 1000);
  const rate = (c: ImportCounts) => Math.round(c.lines / elapsed());
  // From the whole run's pace: the input is read in bursts, which a short window would take for stalls.
  const eta = (c: ImportCounts) => {
    if (!total || c.bytes === 0) return '…';
    const s = Math.max(0, Math.round(((total - c.bytes) * elapsed()) / c.bytes));
    return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${s}s`;
  };
  const payload = (c: ImportCounts) => ({ lines: c.lines, rate: rate(c), left: eta(c), counted: counted(c) });
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      stream: process.stderr,
      format:
        total === undefined
          ? '{lines} lines | {rate} lines/s | {counted}'
          : '{bar} {percentage}% | {lines} lines | {rate} lines/s | ETA {left} | {counted}',
      fps: 5,
    });
    bar.start(total ?? 0, 0, { lines: 0, rate: 0, left: '…', counted: '' });
    let stopped = false;
    return {
      update: (c: ImportCounts) => bar.update(Math.min(c.bytes, total ?? 0), payload(c)),
      stop: (c?: ImportCounts) => {
        if (stopped) return;
        if (c) bar.update(total ?? 0, { ...payload(c), left: '0s' });
        stopped = true;
        bar.stop();
      },
    };
  }
  let last = started;
  return {
    update: (c: ImportCounts) => {
      const now = performance.now();
      if (now - last < every * 1000) return;
      last = now;
      const share = total ? ` (${Math.min(100, Math.floor((c.bytes / total) * 100))}%)` : '';
      process.stderr.write(`import: ${c.lines} lines${share}, ${rate(c)} lines/s, ${counted(c)}\n`);
    },
    stop: () => undefined,
  };
}
