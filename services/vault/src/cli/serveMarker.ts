import { chmodSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { VaultError } from '../domain/errors.js';
import { processAlive } from '../support/processAlive.js';

const PREFIX = 'serving.';

/**
 * Marks a data directory as served by this process (`serving.<pid>`) until `remove` is called.
 * Commands that must not run beside a server (`vault rebuild` replaces the embedded read models'
 * file) check for a live marker first.
 */
export function markServing(dataDir: string): { remove(): void } {
  const file = join(dataDir, `${PREFIX}${process.pid}`);
  // Private like every file of the data directory (the start check would report it otherwise);
  // chmod as well, because a marker a crashed process with the same pid left keeps its old mode.
  writeFileSync(file, `${new Date().toISOString()}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { remove: () => rmSync(file, { force: true }) };
}

/** Refuses (CONFLICT) while a live process serves `dataDir`; markers of processes that are gone are removed. */
export function assertNotServed(dataDir: string, what: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dataDir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (pid !== process.pid && processAlive(pid))
      throw new VaultError('CONFLICT', `vault serve (pid ${pid}) is running on ${dataDir}; stop it before ${what}`);
    // A server that died without removing its marker (a crash, SIGKILL).
    if (pid !== process.pid) rmSync(join(dataDir, name), { force: true });
  }
}
