import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { checkFilePermissions } from './checkFilePermissions.js';
import { loadConfig } from './loadConfig.js';

describe('checkFilePermissions', () => {
  let root: string;
  let dataDir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pdv-perm-'));
    dataDir = join(root, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    chmodSync(dataDir, 0o700);
    for (const name of ['events.db', 'keys.db', 'kek.slots']) {
      writeFileSync(join(dataDir, name), 'x');
      chmodSync(join(dataDir, name), 0o600);
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const check = (over: { strictPermissions?: boolean; kekFile?: string } = {}) => {
    const warnings: string[] = [];
    checkFilePermissions({ dataDir, ...over }, (m) => warnings.push(m));
    return warnings;
  };

  it('says nothing about a directory of 0600 files in a 0700 directory', () => {
    expect(check()).toEqual([]);
    expect(check({ strictPermissions: true })).toEqual([]);
  });

  it('warns about each file and directory open to group or others, naming the path and the mode', () => {
    chmodSync(join(dataDir, 'keys.db'), 0o640);
    chmodSync(dataDir, 0o755);
    expect(check()).toEqual([
      expect.stringContaining(`${dataDir} (directory, mode 0755)`),
      expect.stringContaining(`${join(dataDir, 'keys.db')} (file, mode 0640)`),
    ]);
  });

  it('refuses with VAULT_STRICT_PERMISSIONS, naming the path and the mode', () => {
    chmodSync(join(dataDir, 'events.db'), 0o604);
    expect(() => check({ strictPermissions: true })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(`${join(dataDir, 'events.db')} (file, mode 0604)`),
        details: { path: join(dataDir, 'events.db'), mode: '0604' },
      }),
    );
  });

  it('checks an epoch key file kept outside the data directory, and nothing else there', () => {
    const kekFile = join(root, 'kek.slots');
    writeFileSync(kekFile, 'x');
    chmodSync(kekFile, 0o644);
    writeFileSync(join(root, 'unrelated'), 'x');
    chmodSync(join(root, 'unrelated'), 0o644);
    expect(check({ kekFile })).toEqual([expect.stringContaining(`${kekFile} (file, mode 0644)`)]);
  });

  it('does not follow a symbolic link out of the data directory', () => {
    writeFileSync(join(root, 'elsewhere'), 'x');
    chmodSync(join(root, 'elsewhere'), 0o644);
    symlinkSync(join(root, 'elsewhere'), join(dataDir, 'link'));
    expect(check()).toEqual([]);
  });

  it('has nothing to say before the data directory exists', () => {
    rmSync(dataDir, { recursive: true });
    expect(check({ strictPermissions: true })).toEqual([]);
  });
});

describe('VAULT_STRICT_PERMISSIONS', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['0', false],
    ['true', true],
    ['TRUE', true],
    ['1', true],
  ])('reads %s as %s', (raw, strict) => {
    expect(loadConfig(raw === undefined ? {} : { VAULT_STRICT_PERMISSIONS: raw }).strictPermissions).toBe(strict);
  });

  it('refuses any other value, naming the variable', () => {
    expect(() => loadConfig({ VAULT_STRICT_PERMISSIONS: 'yes' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('VAULT_STRICT_PERMISSIONS') }),
    );
  });
});
