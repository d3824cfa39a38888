import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';

import { VaultError } from '../domain/errors.js';
import { type LooseMode, looseModes, octalMode } from '../support/privateFiles.js';
import type { VaultConfig } from './loadConfig.js';

/** Whether `path` lies inside `dir` (or is it). */
const inside = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

const describe = (l: LooseMode): string => `${l.path} (${l.kind}, mode ${octalMode(l.mode)})`;

/**
 * The start check of the files the vault keeps: the data directory and everything in it, and the
 * local custody's epoch key file wherever it lives. Anything the group or others may read, write
 * or enter is a warning, or with `VAULT_STRICT_PERMISSIONS=true` a refusal (CONFIG_INVALID naming
 * the path and its mode). The vault creates its own files 0600 and directories 0700; a loose one
 * was made by hand, restored from a backup, or left by a version before that.
 *
 * Messages name paths and modes only: the data directory's file names are the vault's own.
 */
export function checkFilePermissions(
  config: Pick<VaultConfig, 'dataDir' | 'kekProvider' | 'kekFile' | 'strictPermissions'>,
  warn: (message: string) => void,
): void {
  const loose = existsSync(config.dataDir) ? looseModes(config.dataDir) : [];
  // The default epoch key file is in the data directory, walked above.
  const kekFile = config.kekFile;
  if (
    (config.kekProvider ?? 'local') === 'local' &&
    kekFile &&
    !inside(config.dataDir, kekFile) &&
    existsSync(kekFile)
  ) {
    loose.push(...looseModes(kekFile));
  }
  if (loose.length === 0) return;
  if (config.strictPermissions) {
    const more = loose.length > 1 ? ` and ${loose.length - 1} more` : '';
    throw new VaultError(
      'CONFIG_INVALID',
      `VAULT_STRICT_PERMISSIONS: ${describe(loose[0]!)}${more} is open to group or others; the vault's files must be ` +
        `0600 and its directories 0700 (chmod 600 the files, chmod 700 the directory)`,
      { details: { path: loose[0]!.path, mode: octalMode(loose[0]!.mode) } },
    );
  }
  for (const l of loose) {
    warn(
      `${describe(l)} is open to group or others; the vault's files should be 0600 and its directories 0700 ` +
        `(VAULT_STRICT_PERMISSIONS=true refuses to start instead)`,
    );
  }
}
