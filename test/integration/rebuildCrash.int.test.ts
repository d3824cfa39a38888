import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { importSubjects, type Vault } from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';

import { startCliProcess } from '../support/cliProcess.js';
import { tempVault } from '../support/tempVault.js';
import { validLine } from './importRuns.js';

const COUNT = 10_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function* lines(count: number): AsyncGenerator<string> {
  for (let i = 1; i <= count; i++) yield JSON.stringify(validLine(i));
}

/** What the read models answer: every subject's snapshot, the lookups by email, due retention, the consents index. */
async function answers(vault: Vault) {
  const hashes = await Promise.all(
    Array.from({ length: COUNT }, (_, i) => vault.blindIndex.hash(`email:p${i + 1}@example.com`)),
  );
  const index = await vault.stores.views.findByBlindIndex(hashes);
  const ids = [...new Set(index.map((e) => e.subjectId))].sort();
  const subjects = await vault.stores.views.getSubjects(ids);
  return {
    index,
    states: ids.map((id) => subjects.get(id)?.state),
    due: await vault.stores.views.listDueRetention('2200-01-01T00:00:00.000Z', { limit: 10 * COUNT }),
    consents: await vault.stores.views.listConsentSubjects({ limit: 10 * COUNT }),
  };
}

describe('vault rebuild killed mid-way', () => {
  it('leaves nothing half-written: the next open drops its file and projects the log again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdv-rebuild-crash-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const masterKey = Buffer.from(nacl.randomBytes(32)).toString('base64');
    const first = await tempVault({ dataDir, masterKey });
    const { vault } = first;
    const counts = await importSubjects(
      { log: vault.stores.log, keyRing: vault.keyRing, register: vault.register, now: () => vault.now() },
      lines(COUNT),
    );
    expect(counts.imported).toBe(COUNT);
    await vault.projector.catchUp();
    const before = await answers(vault);
    expect(before.index).toHaveLength(COUNT);
    expect(before.consents).toHaveLength(Math.floor(COUNT / 3));
    expect(before.due.length).toBeGreaterThan(0);
    await vault.close();

    // The rebuild writes aside, into views.db.rebuild.<pid>: killed once a megabyte of it is written.
    const env = { ...process.env, VAULT_DATA_DIR: dataDir, VAULT_MASTER_KEY: masterKey, VAULT_LOG_LEVEL: 'silent' };
    const child = startCliProcess(['rebuild'], env);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const aside = join(dataDir, `views.db.rebuild.${child.pid}`);
    const deadline = Date.now() + 60_000;
    while ((statSync(aside, { throwIfNoEntry: false })?.size ?? 0) < 2 ** 20 && Date.now() < deadline) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGKILL');
    await exited;
    // Killed mid-way: its reset had deleted views.db, and its own file was never swapped in.
    expect(child.signalCode).toBe('SIGKILL');
    expect(existsSync(join(dataDir, 'views.db'))).toBe(false);
    expect(existsSync(aside)).toBe(true);

    const again = await tempVault({ dataDir, masterKey });
    try {
      expect(readdirSync(dataDir).filter((f) => f.includes('.rebuild.'))).toEqual([]);
      // The open made views.db anew and projected the log into it again.
      await again.vault.projector.catchUp();
      expect(await answers(again.vault)).toEqual(before);
    } finally {
      await again.vault.close();
    }
  }, 120_000);
});
