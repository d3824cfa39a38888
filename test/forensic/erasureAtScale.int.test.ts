import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { auditErasure, getSqliteKeyStore } from '@pdv/vault';
import { afterAll, describe, expect, it } from 'vitest';

import { keepLocalKek } from '../support/kekCustody.js';
import { tempVault } from '../support/tempVault.js';
import { destroyedBy, eraseAndCrash, eraseThreeWays, pool, populate, splitForErasure } from './scenario.js';

// This file tests carving with the master key: its vaults keep their KEKs under it whatever TEST_KEK_PROVIDER says.
keepLocalKek();

/**
 * The attack that found stale keys in keys.db, at the shape that found it: a thousand subjects with
 * four categories (one retained by law), a restart between writing and erasing, concurrent
 * erasures, field erasures, retention shreds and a process killed in the middle of erasing; then
 * every byte of every file carved with the KEKs. Nothing erased may open.
 */
const SUBJECTS = 1000;

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
    const second = await tempVault({ dataDir, masterKey: masterKey });
    const v = second.vault;
    const split = splitForErasure(ids);
    const certificates = await eraseThreeWays(v, split);
    expect(certificates.every((c) => c.certificate.categoriesRetained.some((r) => r.category === 'accounting'))).toBe(
      true,
    );
    await v.close();

    // A process killed while it erases: some erasures acknowledged, one perhaps half done.
    const env = { VAULT_DATA_DIR: dataDir, VAULT_MASTER_KEY: masterKey };
    expect(await eraseAndCrash(split.crashed, join(backup, 'crash-ids.txt'), env, 60)).toBeGreaterThanOrEqual(60);

    // The next start finishes what the killed process left; then the rest is erased.
    const third = await tempVault({ dataDir, masterKey: masterKey });
    await pool(split.crashed, 20, (s) => third.vault.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' }));
    const kek = third.vault.keyRing.kek;
    await third.vault.close();

    const keys = getSqliteKeyStore({ path: join(dataDir, 'keys.db') });
    const { getLocalKekProvider, parseMasterKeys } = await import('@pdv/vault');
    const custody = getLocalKekProvider({
      path: join(dataDir, 'kek.slots'),
      master: parseMasterKeys(masterKey, 'test'),
    });
    try {
      expect(kek.kind).toBe('local');
      const live = await auditErasure({ keys, kek: custody, paths: [dataDir] });
      const expectedDestroyed = destroyedBy(split);
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
    const fourth = await tempVault({ dataDir, masterKey: masterKey });
    await fourth.vault.rotateEpoch();
    await fourth.vault.close();
    const keys2 = getSqliteKeyStore({ path: join(dataDir, 'keys.db') });
    const custody2 = getLocalKekProvider({
      path: join(dataDir, 'kek.slots'),
      master: parseMasterKeys(masterKey, 'test'),
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
