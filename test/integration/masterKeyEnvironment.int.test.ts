import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, openVault, type Vault } from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';

import { startServeProcess } from '../support/cliProcess.js';
import { keepLocalKek } from '../support/kekCustody.js';
import { dataItem, tempVault } from '../support/tempVault.js';

// This file tests the master key itself: its vaults keep their KEKs under it whatever TEST_KEK_PROVIDER says.
keepLocalKek();

/**
 * The master key is read once: it leaves the environment (the process's own and, on Linux, the
 * copy `/proc/<pid>/environ` shows) and the loaded configuration, and the vault still opens
 * everything with it.
 */
const actor = { actor: 'test' };
let dirs: string[] = [];
const opened: Vault[] = [];
afterEach(async () => {
  for (const v of opened.splice(0)) await v.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

async function recordEmails(vault: Vault, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { subjectId } = await vault.commands.registerSubject(actor);
    const items = [dataItem('contact', 'email', `p${i}@example.com`, 'contract', 'contract')];
    await vault.execute(subjectId, { type: 'RecordPersonalData', items }, actor);
    ids.push(subjectId);
  }
  return ids;
}

describe('the master key out of the environment and the configuration', () => {
  it('is gone from process.env and from the loaded configuration once a vault opens from the environment', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-env-key-'));
    dirs.push(dataDir);
    const key = Buffer.from(nacl.randomBytes(32)).toString('base64');
    process.env.VAULT_MASTER_KEY = key;
    process.env.VAULT_DATA_DIR = dataDir;
    let config;
    try {
      config = loadConfig();
    } finally {
      delete process.env.VAULT_DATA_DIR;
    }
    expect(process.env.VAULT_MASTER_KEY, 'read once: dropped by loadConfig').toBeUndefined();
    expect(config.masterKey).toBeInstanceOf(Uint8Array);
    const held = config.masterKey as Uint8Array;

    const vault = await openVault(config, { warn: () => {} });
    opened.push(vault);
    expect(process.env.VAULT_MASTER_KEY).toBeUndefined();
    expect('masterKey' in config, 'the loaded configuration no longer holds the key').toBe(false);
    expect(vault.config.masterKey).toBeUndefined();
    expect(
      [...held].every((b) => b === 0),
      'the bytes it held are zeroed',
    ).toBe(true);
    expect(JSON.stringify(vault.config)).not.toContain(key);

    // The custody kept what it needs: 200 subjects written and read back, then again after a restart.
    const ids = await recordEmails(vault, 200);
    await vault.close();
    opened.pop();
    const again = await tempVault({ dataDir, masterKey: key });
    opened.push(again.vault);
    const read = await again.vault.reader.read(ids, { purpose: 'contract', callerPurposes: 'all' });
    ids.forEach((id, i) =>
      expect(read.get(id)!.items.find((x) => x.field === 'email')).toMatchObject({ value: `p${i}@example.com` }),
    );
  });

  it.skipIf(process.platform !== 'linux')(
    'leaves no trace of the key in /proc/<pid>/environ of a vault serve started with it in its environment',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'pdv-env-serve-'));
      dirs.push(dataDir);
      const key = Buffer.from(nacl.randomBytes(32)).toString('base64');
      const { child } = await startServeProcess({
        ...process.env,
        VAULT_DATA_DIR: dataDir,
        VAULT_MASTER_KEY: key,
        VAULT_LOG_LEVEL: 'silent',
        PORT: '0',
      });
      try {
        const environ = readFileSync(`/proc/${child.pid}/environ`);
        expect(environ.includes(key), 'the key').toBe(false);
        expect(environ.includes('VAULT_MASTER_KEY='), 'the variable').toBe(false);
        // The rest of the environment is intact.
        expect(environ.includes(`VAULT_DATA_DIR=${dataDir}`)).toBe(true);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  );
});
