#!/usr/bin/env node
// nginx for the load-balancer topology suites (test/topology). `ensure` installs the Debian
// package when nginx is missing and this is root (CI is); otherwise it says why not and still
// exits 0, because those suites then skip with a reason instead of failing the whole run. The
// package's own service is never started: the suites run nginx themselves, in the foreground,
// with a configuration and a prefix directory of their own.
//
//   node scripts/nginx.mjs ensure
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ensurePackages } from './debian.mjs';

export const NGINX_BINARY = '/usr/sbin/nginx';

/** Installs nginx through apt-get when its binary is missing and this process is root (debian.mjs). Never throws. */
export const ensure = () => ensurePackages(['nginx'])[0];

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [command] = process.argv.slice(2);
  if (command === 'ensure') {
    ensure();
  } else {
    console.error('usage: node scripts/nginx.mjs ensure');
    process.exit(2);
  }
}
