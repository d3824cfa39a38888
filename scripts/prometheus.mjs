#!/usr/bin/env node
// promtool for the metrics and alert-rule suites (`promtool check metrics`, `check rules`,
// `test rules`). `ensure` installs Debian's prometheus package when promtool is missing and this is
// root (CI is); otherwise it says why not and still exits 0, because those suites then skip with a
// reason instead of failing the whole run. The package's server is not started by the install.
//
//   node scripts/prometheus.mjs ensure
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ensurePackages, PACKAGES } from './debian.mjs';

/** Whether `promtool` runs from the PATH. */
export const hasPromtool = () => PACKAGES.prometheus.present();

/** Installs prometheus (for promtool) through apt-get when promtool is missing and this is root (debian.mjs). */
export const ensure = () => ensurePackages(['prometheus'])[0];

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv[2] === 'ensure') ensure();
  else {
    console.error('usage: node scripts/prometheus.mjs ensure');
    process.exit(2);
  }
}
