#!/usr/bin/env node
// The Debian packages the suites drive (SoftHSM2, Chromium, promtool, nginx), installed in one apt-get round when
// missing and this is root (CI is). Otherwise it says why not per package and still exits 0: the suites that need a
// missing one skip with that reason instead of failing the whole run. softhsm.mjs, chromium.mjs, prometheus.mjs and
// nginx.mjs keep each package's own helpers and an `ensure` of their own built on this.
//
//   node scripts/debian.mjs ensure [softhsm|chromium|prometheus|nginx ...]    (default: all of them)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const APT_TIMEOUT_MS = 300_000;

/** Runs a command quietly; returns undefined on success, else why it failed (its last stderr line). */
export function run(command, args, options = {}) {
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', ...options });
  if (r.error)
    return `${command}: ${r.error.code === 'ETIMEDOUT' ? `timed out after ${options.timeout} ms` : r.error.message}`;
  if (r.status === 0) return undefined;
  const last = (r.stderr ?? '').trim().split('\n').pop();
  return `${command} ${args[0]} exited with ${r.status ?? r.signal}${last ? `: ${last}` : ''}`;
}

/**
 * What each suite needs: the packages to install, how to tell they work, which suites skip without them, and what to
 * do once installed.
 */
export const PACKAGES = {
  softhsm: {
    packages: ['softhsm2'],
    present: () => existsSync('/usr/lib/softhsm/libsofthsm2.so'),
    what: '/usr/lib/softhsm/libsofthsm2.so',
    skips: 'the PKCS#11 suites',
  },
  chromium: {
    packages: ['chromium', 'fonts-dejavu-core'],
    present: () => existsSync('/usr/bin/chromium'),
    what: '/usr/bin/chromium',
    skips: 'the browser suites',
  },
  prometheus: {
    packages: ['prometheus'],
    present: () => run('promtool', ['--version'], { timeout: 10_000 }) === undefined,
    what: 'promtool',
    skips: 'the promtool checks',
  },
  nginx: {
    packages: ['nginx'],
    present: () => existsSync('/usr/sbin/nginx'),
    what: '/usr/sbin/nginx',
    skips: 'the load-balancer topology suites',
    // The package's service would hold port 80 for nothing: the suites start their own nginx.
    installed: () => run('service', ['nginx', 'stop'], { timeout: 30_000 }),
  },
};

/**
 * Installs the named packages that are missing, with one `apt-get update` and one `apt-get install`. Never throws and
 * never fails the caller: returns the lines it printed (none when everything was there).
 */
export function ensurePackages(names = Object.keys(PACKAGES)) {
  const missing = names.map((name) => [name, PACKAGES[name]]).filter(([, p]) => !p.present());
  if (missing.length === 0) return [];
  const said = [];
  const say = (name, line) => (console.log(`${name}: ${line}`), said.push(`${name}: ${line}`));
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    for (const [name, p] of missing)
      say(
        name,
        `${p.what} is missing and this is not root, so ${p.packages[0]} was not installed; ${p.skips} will ` +
          `skip (apt-get install ${p.packages.join(' ')} to run them)`,
      );
    return said;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const failure =
    run('apt-get', ['update', '-qq'], { env, timeout: APT_TIMEOUT_MS }) ??
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing.flatMap(([, p]) => p.packages)], {
      env,
      timeout: APT_TIMEOUT_MS,
    });
  for (const [name, p] of missing) {
    if (failure) say(name, `could not install ${p.packages[0]} (${failure}); ${p.skips} will skip`);
    else if (!p.present()) say(name, `${p.packages[0]} installed but ${p.what} does not work; ${p.skips} will skip`);
    else {
      p.installed?.();
      say(name, `installed ${p.packages.join(', ')} with apt-get (${p.what})`);
    }
  }
  return said;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [command, ...names] = process.argv.slice(2);
  const unknown = names.filter((n) => !Object.hasOwn(PACKAGES, n));
  if (command === 'ensure' && unknown.length === 0) ensurePackages(names.length > 0 ? names : undefined);
  else {
    console.error(`usage: node scripts/debian.mjs ensure [${Object.keys(PACKAGES).join('|')} ...]`);
    process.exit(2);
  }
}
