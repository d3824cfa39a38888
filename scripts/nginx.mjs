#!/usr/bin/env node
// nginx for the load-balancer topology suites (test/topology). `ensure` installs the Debian
// package when nginx is missing and this is root (CI is); otherwise it says why not and still
// exits 0, because those suites then skip with a reason instead of failing the whole run. The
// package's own service is never started: the suites run nginx themselves, in the foreground,
// with a configuration and a prefix directory of their own.
//
//   node scripts/nginx.mjs ensure
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const NGINX_BINARY = '/usr/sbin/nginx';

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

/**
 * Installs nginx through apt-get when its binary is missing and this process is root. Never
 * throws and never fails the caller: returns the one line it printed (or undefined when nginx was
 * already there). `policy-rc.d` is not touched: Debian's package does try to start its service,
 * which fails harmlessly where there is no init system and is stopped again where there is one.
 */
export function ensure() {
  if (existsSync(NGINX_BINARY)) return undefined;
  const say = (line) => (console.log(`nginx: ${line}`), line);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return say(
      `${NGINX_BINARY} is missing and this is not root, so nginx was not installed; ` +
        'the load-balancer topology suites will skip (apt-get install nginx to run them)',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const failure =
    run('apt-get', ['update', '-qq'], { env, timeout: APT_TIMEOUT_MS }) ??
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'nginx'], { env, timeout: APT_TIMEOUT_MS });
  if (failure) return say(`could not install nginx (${failure}); the topology suites will skip`);
  if (!existsSync(NGINX_BINARY))
    return say(`nginx installed but ${NGINX_BINARY} is still missing; the suites will skip`);
  // The package's service would hold port 80 for nothing: the suites start their own nginx.
  run('service', ['nginx', 'stop'], { timeout: 30_000 });
  return say(`installed nginx with apt-get (${NGINX_BINARY})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [command] = process.argv.slice(2);
  if (command === 'ensure') {
    ensure();
  } else {
    console.error('usage: node scripts/nginx.mjs ensure');
    process.exit(2);
  }
}
