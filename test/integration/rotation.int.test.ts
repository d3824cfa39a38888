import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { isVaultError, type Vault } from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';

import { startCliProcess } from '../support/cliProcess.js';
import { keepLocalKek } from '../support/kekCustody.js';
import { dataItem, tempVault } from '../support/tempVault.js';

// This file tests rotating the master key: its vaults keep their KEKs under it whatever TEST_KEK_PROVIDER says.
keepLocalKek();

const key = () => Buffer.from(nacl.randomBytes(32)).toString('base64');
const actor = { actor: 'test' };
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

async function recordSubjects(vault: Vault, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const { subjectId } = await vault.commands.registerSubject(actor);
    await vault.execute(
      subjectId,
      {
        type: 'RecordPersonalData',
        items: [dataItem('contact', 'email', `p${i}@example.com`, 'contract', 'contract')],
      },
      actor,
    );
    ids.push(subjectId);
  }
  return ids;
}

const emailOf = async (vault: Vault, s: string) =>
  (await vault.reader.read([s], { purpose: 'contract', callerPurposes: 'all' }))
    .get(s)!
    .items.find((i) => i.field === 'email');

describe('master key rotation', () => {
  it('re-seals the epoch keys under the new master key, after which the old one opens nothing', async () => {
    const k1 = key();
    const k2 = key();
    const first = await tempVault({ masterKey: k1 });
    const dir = first.config.dataDir;
    dirs.push(dir);
    const [s] = await recordSubjects(first.vault, 1);
    const signingKey = first.vault.signer.publicJwk;
    await first.vault.close();

    const both = await tempVault({ dataDir: dir, masterKey: `v2:${k2},v1:${k1}` });
    expect(await both.vault.keyRing.resealKeks()).toBe(1);
    expect(await both.vault.keyRing.resealKeks(), 'a second run finds nothing left').toBe(0);
    await both.vault.close();

    const onlyNew = await tempVault({ dataDir: dir, masterKey: `v2:${k2}` });
    expect(await emailOf(onlyNew.vault, s!)).toMatchObject({ status: 'VALUE', value: 'p0@example.com' });
    expect(onlyNew.vault.signer.publicJwk).toEqual(signingKey);
    await onlyNew.vault.close();

    const onlyOld = await tempVault({ dataDir: dir, masterKey: k1 }).catch((e: unknown) => e);
    expect(isVaultError(onlyOld, 'MASTER_KEY_MISMATCH')).toBe(true);
  });
});

describe('key epochs', () => {
  it('re-wraps every live key under the next epoch and destroys the old key-encryption key', async () => {
    const t = await tempVault();
    dirs.push(t.config.dataDir);
    const ids = await recordSubjects(t.vault, 40);
    const keyIds = ids.map((s) => `${s}/contact/1`);
    const before = await t.vault.stores.keys.getByIds(keyIds);
    expect(new Set([...before.values()].map((k) => k.kekVersion))).toEqual(new Set([1]));
    const schedule = await t.vault.keyRing.epochSchedule();
    expect(Date.parse(schedule.endsAt) - Date.parse(schedule.startedAt)).toBe(t.vault.keyRing.epochMs);

    const r = await t.vault.rotateEpoch({ pageSize: 7 });
    expect(r).toMatchObject({ from: [1], to: 2, keys: 40, destroyed: [1] });
    expect(r.secrets, 'the signing seed').toBeGreaterThanOrEqual(1);
    expect(await t.vault.keyRing.kek.epochs()).toEqual([2]);
    const after = await t.vault.stores.keys.getByIds(keyIds);
    for (const id of keyIds) {
      expect(after.get(id)!.kekVersion).toBe(2);
      expect(Buffer.from(after.get(id)!.wrapped).equals(Buffer.from(before.get(id)!.wrapped))).toBe(false);
    }
    // The old wrappings are gone from the live files, not only unreadable.
    await t.vault.close();
    const files = readdirSync(t.config.dataDir).map((f) => readFileSync(join(t.config.dataDir, f)));
    for (const k of before.values()) expect(files.some((b) => b.includes(Buffer.from(k.wrapped)))).toBe(false);

    const again = await tempVault({ dataDir: t.config.dataDir, masterKey: t.config.masterKey });
    again.vault.keyRing.clearCache();
    expect(await emailOf(again.vault, ids[39]!)).toMatchObject({ status: 'VALUE', value: 'p39@example.com' });
    const next = await again.vault.keyRing.epochSchedule();
    expect(next.epoch).toBe(2);
    expect(Date.parse(next.endsAt)).toBe(Date.parse(schedule.endsAt) + again.vault.keyRing.epochMs);
    const signed = await again.vault.erase(ids[0]!, { actor: 'dpo:test', reason: 'subjectRequest' });
    expect(signed.certificate).toMatchObject({
      staleCopiesUnreadableBy: next.endsAt,
      kekCustody: 'local',
      keysDestroyedAt: signed.certificate.erasedAt,
    });
    await again.vault.close();
  });

  it('refuses a key store restored from before the epoch ended, and opens nothing erased from it', async () => {
    const t = await tempVault();
    dirs.push(t.config.dataDir);
    const [s] = await recordSubjects(t.vault, 3);
    await t.vault.close();
    // The backup: the key store's files as they were, before the erasure.
    const backup = mkdtempSync(join(tmpdir(), 'pdv-keys-backup-'));
    dirs.push(backup);
    for (const f of readdirSync(t.config.dataDir).filter((f) => f.startsWith('keys.db')))
      copyFileSync(join(t.config.dataDir, f), join(backup, f));

    const live = await tempVault({ dataDir: t.config.dataDir, masterKey: t.config.masterKey });
    await live.vault.erase(s!, { actor: 'dpo:test', reason: 'subjectRequest' });
    await live.vault.rotateEpoch();
    await live.vault.close();

    for (const f of readdirSync(backup)) copyFileSync(join(backup, f), join(t.config.dataDir, f));
    const restored = await tempVault({ dataDir: t.config.dataDir, masterKey: t.config.masterKey }).catch(
      (e: unknown) => e,
    );
    expect(isVaultError(restored, 'KEK_UNAVAILABLE')).toBe(true);
    expect((restored as Error).message).toMatch(/epoch 1/);
  });

  it('finishes a rotation that was killed half-way at the next start, losing no key', async () => {
    const t = await tempVault();
    dirs.push(t.config.dataDir);
    const ids = await recordSubjects(t.vault, 120);
    await t.vault.close();
    const env = {
      ...process.env,
      VAULT_DATA_DIR: t.config.dataDir,
      VAULT_MASTER_KEY: t.config.masterKey,
      VAULT_LOG_LEVEL: 'silent',
    };
    const child = startCliProcess(['rotate-epoch', '--page-size', '2'], env);
    // Killed as soon as the next epoch's key exists: the re-wrapping has begun and not finished.
    const kekFile = join(t.config.dataDir, 'kek.slots');
    const deadline = Date.now() + 30_000;
    while ((readFileSync(kekFile)[128] ?? 0) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const again = await tempVault({ dataDir: t.config.dataDir, masterKey: t.config.masterKey });
    const keyIds = ids.map((s) => `${s}/contact/1`);
    const mixed = new Set([...(await again.vault.stores.keys.getByIds(keyIds)).values()].map((k) => k.kekVersion));
    expect(await again.vault.keyRing.kek.epochs(), 'the kill left two epochs alive').toEqual([1, 2]);
    expect(mixed.has(1), 'some keys were still on the old epoch').toBe(true);
    const r = await again.vault.rotateEpoch();
    expect(r).toMatchObject({ from: [1, 2], to: 2, destroyed: [1] });
    expect(await again.vault.keyRing.kek.epochs()).toEqual([2]);
    again.vault.keyRing.clearCache();
    for (const [i, s] of ids.entries())
      expect(await emailOf(again.vault, s)).toMatchObject({ status: 'VALUE', value: `p${i}@example.com` });
    await again.vault.close();
  });
});
