#!/usr/bin/env node
// SoftHSM2 for the PKCS#11 suites. `ensure` installs the Debian package when it is missing and
// this is root (CI is); otherwise it says why not and still exits 0, because those suites then
// skip with a reason instead of failing the whole run. `initToken` gives a run a token of its own.
//
//   node scripts/softhsm.mjs ensure
//   node scripts/softhsm.mjs init-token <dir>     prints { conf, label, pin } as JSON
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ensurePackages, run } from './debian.mjs';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const TEST_TOKEN = { label: 'pdv-test', pin: '1234', soPin: '5678' };

/** Installs softhsm2 through apt-get when its module is missing and this process is root (debian.mjs). */
export const ensure = () => ensurePackages(['softhsm'])[0];

/**
 * Initialises a fresh token in `dir` (its own token directory, so runs never share state).
 * Point SOFTHSM2_CONF at the returned `conf` before the module is initialised.
 * @returns {{ conf: string, label: string, pin: string }}
 */
export function initToken(dir) {
  const tokens = join(resolve(dir), 'tokens');
  mkdirSync(tokens, { recursive: true });
  const conf = join(resolve(dir), 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  const failure = run(
    'softhsm2-util',
    ['--init-token', '--free', '--label', TEST_TOKEN.label, '--pin', TEST_TOKEN.pin, '--so-pin', TEST_TOKEN.soPin],
    { env: { ...process.env, SOFTHSM2_CONF: conf }, timeout: 30_000 },
  );
  if (failure) throw new Error(`softhsm2-util could not initialise a token in ${tokens}: ${failure}`);
  return { conf, label: TEST_TOKEN.label, pin: TEST_TOKEN.pin };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [command, dir] = process.argv.slice(2);
  if (command === 'ensure') {
    ensure();
  } else if (command === 'init-token' && dir) {
    console.log(JSON.stringify(initToken(dir)));
  } else {
    console.error('usage: node scripts/softhsm.mjs ensure | init-token <dir>');
    process.exit(2);
  }
}
