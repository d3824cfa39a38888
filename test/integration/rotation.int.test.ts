import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import { isVaultError } from '@pdv/vault';
import { tempVault } from '../support/tempVault.js';

const key = () => Buffer.from(nacl.randomBytes(32)).toString('base64');
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('master key rotation', () => {
  it('re-wraps every key under the new master key, after which the old one can go', async () => {
    const k1 = key();
    const k2 = key();
    const first = await tempVault({ masterKey: k1 });
    const dir = first.config.dataDir;
    dirs.push(dir);
    const { subjectId: s } = await first.vault.commands.registerSubject({ actor: 'test' });
    await first.vault.execute(
      s,
      { type: 'RecordPersonalData', items: [{ category: 'contact', field: 'email', value: 'rot@example.com', purpose: 'contract', legalBasis: 'contract', source: 'subject' }] },
      { actor: 'test' },
    );
    const signingKey = first.vault.signer.publicJwk;
    const oldWrapping = (await first.vault.stores.keys.getByIds([`${s}/contact/1`])).get(`${s}/contact/1`)!.wrapped;
    await first.vault.close();

    const both = await tempVault({ dataDir: dir, masterKey: `v2:${k2},v1:${k1}` });
    expect(await both.vault.keyRing.rotate()).toEqual({ keys: 1, secrets: 2 });
    expect(await both.vault.keyRing.rotate(), 'a second run finds nothing left').toEqual({ keys: 0, secrets: 0 });
    await both.vault.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('keys.db'));
    for (const f of files) expect(readFileSync(join(dir, f)).includes(Buffer.from(oldWrapping)), `old wrapping in ${f}`).toBe(false);

    const onlyNew = await tempVault({ dataDir: dir, masterKey: `v2:${k2}` });
    const read = (await onlyNew.vault.reader.read([s], { purpose: 'contract', callerPurposes: 'all' })).get(s)!;
    expect(read.items).toEqual([expect.objectContaining({ status: 'VALUE', value: 'rot@example.com' })]);
    expect(onlyNew.vault.signer.publicJwk).toEqual(signingKey);
    expect(await onlyNew.vault.stores.views.findByBlindIndex([onlyNew.vault.blindIndex.hash('email:rot@example.com')])).toHaveLength(1);
    await onlyNew.vault.close();

    const onlyOld = await tempVault({ dataDir: dir, masterKey: k1 }).catch((e: unknown) => e);
    expect(isVaultError(onlyOld, 'MASTER_KEY_MISMATCH')).toBe(true);
  });
});
