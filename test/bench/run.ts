import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import { runApiBench } from './api.bench.js';
import { consoleBundleBench } from './consoleBundle.bench.js';
import { appendBench, erasureBench, rebuildBench, sweepBench } from './core.bench.js';
import { epochBench } from './epoch.bench.js';
import { importBench } from './import.bench.js';
import { limitsBench } from './limits.bench.js';
import { observabilityBench } from './observability.bench.js';
import { observabilityInstructionsBench } from './observabilityInstructions.bench.js';
import { postgresEventLogBench } from './postgresEventLog.bench.js';
import { propagationBench } from './propagation.bench.js';
import { rotationLoadBench } from './rotationLoad.bench.js';

/**
 * `npm run bench`: every benchmark, in one process and one run, so ratios compare figures
 * measured under the same machine load. Figures go to bench-results.json at the repo root,
 * one name per figure with its unit in the name.
 */
const suites: Record<string, () => Promise<Record<string, number>>> = {
  append: appendBench,
  erasure: erasureBench,
  rebuild: rebuildBench,
  sweep: sweepBench,
  epoch: () => epochBench(),
  api: () => runApiBench(),
  limits: limitsBench,
  rotationload: rotationLoadBench,
  import: importBench,
  eventlog: postgresEventLogBench,
  observability: observabilityBench,
  'observability-instructions': observabilityInstructionsBench,
  propagation: propagationBench,
  bundle: consoleBundleBench,
};

const only = process.argv.slice(2);
// The repository root, whether this runs compiled (test/dist-bench/bench) or from source (test/bench).
let root = new URL('..', import.meta.url);
while (!existsSync(new URL('turbo.json', root))) root = new URL('..', root);
const out = new URL('bench-results.json', root);
const results: Record<string, number | string> = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`${name}… `);
  const figures = await run();
  console.log('done');
  for (const [k, v] of Object.entries(figures)) {
    results[k] = Number.isInteger(v) ? v : Number(v.toFixed(3));
    console.log(`  ${k}: ${results[k]}`);
  }
}
results.measured_at = new Date().toISOString();
results.machine = `${(await import('node:os')).cpus().length} cores, node ${process.version}`;
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`written to bench-results.json`);
