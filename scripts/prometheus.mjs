#!/usr/bin/env node
// promtool for the metrics and alert-rule suites (`promtool check metrics`, `check rules`,
// `test rules`). `ensure` installs Debian's prometheus package when promtool is missing and this is
// root (CI is); otherwise it says why not and still exits 0, because those suites then skip with a
// reason instead of failing the whole run. The package's server is not started by the install.
//
//   node scripts/prometheus.mjs ensure
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const APT_TIMEOUT_MS = 180_000;

/** Runs a command quietly; returns undefined on success, else why it failed (its last stderr line). */
function run(command, args, options = {}) {
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', ...options });
  if (r.error)
    return `${command}: ${r.error.code === 'ETIMEDOUT' ? `timed out after ${options.timeout} ms` : r.error.message}`;
  if (r.status === 0) return undefined;
  const last = (r.stderr ?? '').trim().split('\n').pop();
  return `${command} ${args[0]} exited with ${r.status ?? r.signal}${last ? `: ${last}` : ''}`;
}

/** Whether `promtool` runs from the PATH. */
export const hasPromtool = () => run('promtool', ['--version'], { timeout: 10_000 }) === undefined;

/**
 * Installs prometheus (for promtool) through apt-get when promtool is missing and this process is
 * root. Never throws and never fails the caller: returns the one line it printed (or undefined
 * when promtool was already there).
 */
export function ensure() {
  if (hasPromtool()) return undefined;
  const say = (line) => (console.log(`prometheus: ${line}`), line);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return say(
      'promtool is missing and this is not root, so prometheus was not installed; ' +
        'the promtool checks will skip (apt-get install prometheus to run them)',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const failure =
    run('apt-get', ['update', '-qq'], { env, timeout: APT_TIMEOUT_MS }) ??
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], { env, timeout: APT_TIMEOUT_MS });
  if (failure) return say(`could not install prometheus (${failure}); the promtool checks will skip`);
  if (!hasPromtool()) return say('prometheus installed but promtool does not run; the promtool checks will skip');
  return say('installed prometheus with apt-get (promtool)');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv[2] === 'ensure') ensure();
  else {
    console.error('usage: node scripts/prometheus.mjs ensure');
    process.exit(2);
  }
}
