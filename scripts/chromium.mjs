#!/usr/bin/env node
// Debian's Chromium for the browser suites (the privacy centre and the DPO console, issue 27). `ensure` installs the
// package when /usr/bin/chromium is missing and this is root (CI is); otherwise it says why not and still exits 0,
// because those suites then skip with a reason instead of failing the whole run. Never `npx playwright install`:
// browser downloads are unreachable here, and playwright-core drives this binary.
//
//   node scripts/chromium.mjs ensure
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ensurePackages } from './debian.mjs';

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

/** Installs chromium through apt-get when it is missing and this process is root (debian.mjs). Never throws. */
export const ensure = () => ensurePackages(['chromium'])[0];

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [command] = process.argv.slice(2);
  if (command === 'ensure') ensure();
  else {
    console.error('usage: node scripts/chromium.mjs ensure');
    process.exitCode = 2;
  }
}
