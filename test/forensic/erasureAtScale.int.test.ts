import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { auditErasure, getSqliteKeyStore, type Vault } from '@pdv/vault';
import { afterAll, describe, expect, it } from 'vitest';

import { dataItem, tempVault } from '../support/tempVault.js';

/**
 * The attack that found stale keys in keys.db, at the shape that found it: a thousand subjects with
 * four categories (one retained by law), a restart between writing and erasing, concurrent
 * erasures, field erasures, retention shreds and a process killed in the middle of erasing; then
 * every byte of every file carved with the KEKs. Nothing erased may open.
 */
const SUBJECTS = 1000;
const actor = { actor: 'svc:test' };
const CHILD = fileURLToPath(new URL('./eraseChild.ts', import.meta.url));

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function populate(vault: Vault, n: number): Promise<string[]> {
  const ids: string[] = [];
  await pool(
    Array.from({ length: n }, (_, i) => i),
    20,
    async (i) => {
      const { subjectId } = await vault.commands.registerSubject(actor);
      await vault.commands.execute(
        subjectId,
        {
          type: 'GiveConsent',
          purpose: 'marketing',
          noticeId: 'privacy-notice',
          noticeVersion: '2026-01',
          channel: 'webForm',
        },
        actor,
      );
      await vault.commands.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            dataItem('contact', 'email', `carve.${i}@marker-example.com`, 'contract', 'contract'),
            dataItem('contact', 'name', `Carvable Person ${i}`, 'contract', 'contract'),
            dataItem('marketing', 'interests', `marker-interest-${i}`, 'marketing', 'consent'),
            dataItem(
              'accounting',
              'bankAccount',
              `DE89370400440532013${String(i).padStart(3, '0')}`,
              'billing',
              'contract',
            ),
          ],
        },
        actor,
      );
      ids.push(subjectId);
    },
  );
  return ids;
}

describe('forensic erasure at scale on the embedded store', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('leaves no destroyed key or erased value openable after erasures, re-keys, a restart and a crash', async () => {
    const first = await tempVault();
    const { dataDir, masterKey } = first.config;
    dirs.push(dataDir);
    const ids = await populate(first.vault, SUBJECTS);
    await first.vault.projector.catchUp();
    await first.vault.close();
    // A backup of the key store taken before anything is erased: the positive control of the carver.
    const backup = mkdtempSync(join(tmpdir(), 'pdv-keys-backup-'));
    dirs.push(backup);
    copyFileSync(join(dataDir, 'keys.db-slots'), join(backup, 'keys.db-slots'));

    // Restart between writing and erasing.
    const second = await tempVault({ dataDir, masterKey: masterKey! });
    const v = second.vault;
    const [rekeyed, retained, erasedHere, crashed] = [
      ids.slice(0, 100),
      ids.slice(100, 200),
      ids.slice(200, 800),
      ids.slice(800),
    ];
    await pool(rekeyed, 10, (s) =>
      v.execute(
        s,
        { type: 'ErasePersonalData', category: 'contact', field: 'email', reason: 'subjectRequest', remaining: {} },
        actor,
      ),
    );
    await pool(retained, 10, (s) =>
      v.execute(s, { type: 'ShredCategory', category: 'marketing', reason: 'retention' }, actor),
    );
    const certificates = await Promise.all(
      erasedHere.map((s) => v.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' })),
    );
    expect(certificates.every((c) => c.certificate.categoriesRetained.some((r) => r.category === 'accounting'))).toBe(
      true,
    );
    await v.close();

    // A process killed while it erases: some erasures acknowledged, one perhaps half done.
    const list = join(backup, 'crash-ids.txt');
    writeFileSync(list, crashed.join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, list], {
      env: { ...process.env, VAULT_DATA_DIR: dataDir, VAULT_MASTER_KEY: masterKey!, VAULT_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acknowledged = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the erasing process did not get going in 60 s')), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        acknowledged += d.toString().split('\n').filter(Boolean).length;
        if (acknowledged >= 60) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => resolve());
    });
    await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(null)));
    expect(acknowledged).toBeGreaterThanOrEqual(60);

    // The next start finishes what the killed process left; then the rest is erased.
    const third = await tempVault({ dataDir, masterKey: masterKey! });
    await pool(crashed, 20, (s) => third.vault.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' }));
    const kek = third.vault.keyRing.kek;
    await third.vault.close();

    const keys = getSqliteKeyStore({ path: join(dataDir, 'keys.db') });
    const { getLocalKekProvider, parseMasterKeys } = await import('@pdv/vault');
    const custody = getLocalKekProvider({
      path: join(dataDir, 'kek.slots'),
      master: parseMasterKeys(masterKey!, 'test'),
    });
    try {
      expect(kek.kind).toBe('local');
      const live = await auditErasure({ keys, kek: custody, paths: [dataDir] });
      const expectedDestroyed = rekeyed.length + retained.length + (erasedHere.length + crashed.length) * 2;
      expect(live.destroyedKeys).toBeGreaterThanOrEqual(expectedDestroyed);
      expect(live.files).toBeGreaterThanOrEqual(6);
      expect(live.recoveredKeys, 'destroyed keys carved out of the live files').toEqual([]);
      expect(live.recoveredValues).toBe(0);

      // The carver does find keys where they are: in the backup taken before, while its epoch lasts.
      const withBackup = await auditErasure({ keys, kek: custody, paths: [dataDir, backup] });
      expect(withBackup.recoveredKeys.length).toBeGreaterThanOrEqual(expectedDestroyed);
      expect(withBackup.recoveredValues).toBeGreaterThan(0);
      expect(withBackup.recoveredKeys.every((k) => k.file.startsWith(backup))).toBe(true);
    } finally {
      await custody.close();
      await keys.close();
    }

    // Once the epoch in force at the erasures has ended, the backup opens nothing either.
    const fourth = await tempVault({ dataDir, masterKey: masterKey! });
    await fourth.vault.rotateEpoch();
    await fourth.vault.close();
    const keys2 = getSqliteKeyStore({ path: join(dataDir, 'keys.db') });
    const custody2 = getLocalKekProvider({
      path: join(dataDir, 'kek.slots'),
      master: parseMasterKeys(masterKey!, 'test'),
    });
    try {
      const after = await auditErasure({ keys: keys2, kek: custody2, paths: [dataDir, backup] });
      expect(after.recoveredKeys).toEqual([]);
      expect(after.recoveredValues).toBe(0);
    } finally {
      await custody2.close();
      await keys2.close();
    }
  }, 600_000);
});
