#!/usr/bin/env node
// Debian's Chromium for the browser suites (the privacy centre and the DPO console, issue 27). `ensure` installs the
// package when /usr/bin/chromium is missing and this is root (CI is); otherwise it says why not and still exits 0,
// because those suites then skip with a reason instead of failing the whole run. Never `npx playwright install`:
// browser downloads are unreachable here, and playwright-core drives this binary.
//
//   node scripts/chromium.mjs ensure
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless as root, as ../shared/TOOLCHAIN.md lists; each launch adds a fresh --user-data-dir of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const APT_TIMEOUT_MS = 300_000;

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', ...options });
  if (r.error)
    return `${command}: ${r.error.code === 'ETIMEDOUT' ? `timed out after ${options.timeout} ms` : r.error.message}`;
  if (r.status === 0) return undefined;
  const last = (r.stderr ?? '').trim().split('\n').pop();
  return `${command} ${args[0]} exited with ${r.status ?? r.signal}${last ? `: ${last}` : ''}`;
}

/** Installs chromium through apt-get when it is missing and this process is root. Never throws. */
export function ensure() {
  if (existsSync(CHROMIUM)) return undefined;
  const say = (line) => (console.log(`chromium: ${line}`), line);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return say(
      `${CHROMIUM} is missing and this is not root, so Chromium was not installed; ` +
        'the browser suites will skip (apt-get install chromium to run them)',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const failure =
    run('apt-get', ['update', '-qq'], { env, timeout: APT_TIMEOUT_MS }) ??
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core'], {
      env,
      timeout: APT_TIMEOUT_MS,
    });
  if (failure) return say(`could not install Chromium (${failure}); the browser suites will skip`);
  if (!existsSync(CHROMIUM))
    return say(`chromium installed but ${CHROMIUM} is still missing; the browser suites will skip`);
  return say(`installed chromium with apt-get (${CHROMIUM})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [command] = process.argv.slice(2);
  if (command === 'ensure') ensure();
  else {
    console.error('usage: node scripts/chromium.mjs ensure');
    process.exitCode = 2;
  }
}
