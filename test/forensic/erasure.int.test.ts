import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { keepLocalKek } from '../support/kekCustody.js';
import { tempVault } from '../support/tempVault.js';

// This file tests carving with the master key: its vaults keep their KEKs under it whatever TEST_KEK_PROVIDER says.
keepLocalKek();

/** Every encoding of `needle` an investigator could grep for: raw, base64/base64url at each alignment, hex. */
function encodings(needle: Buffer): Buffer[] {
  const out = [needle, Buffer.from(needle.toString('hex')), Buffer.from(needle.toString('hex').toUpperCase())];
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), needle]);
    for (const enc of ['base64', 'base64url'] as const) {
      const s = padded.toString(enc).replace(/=+$/, '');
      // Drop the characters mixed with the unknown neighbouring bytes.
      const start = shift === 0 ? 0 : Math.ceil((shift * 4) / 3);
      out.push(Buffer.from(s.slice(start, s.length - 2)));
    }
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function findings(dir: string, needles: Map<string, Buffer>): string[] {
  const hits: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    for (const [name, needle] of needles) {
      for (const form of encodings(needle)) {
        if (form.length >= 8 && bytes.includes(form)) hits.push(`${name} in ${file.slice(dir.length + 1)}`);
      }
    }
  }
  return [...new Set(hits)];
}

describe('forensic erasure on the embedded store', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('leaves no marker value and no destroyed key byte in any file of the data directory', async () => {
    const { vault, config, cleanup } = await tempVault();
    cleanups.push(cleanup);
    const markers = {
      email: 'zebra.quokka.7731@marker-example.com',
      name: 'Xylophone Marker-Quillfeather',
      phone: '+31 6 8765 4321',
      interests: 'collects-rare-marker-umbrellas-4491',
    };
    const actor = { actor: 'test' };
    const { subjectId } = await vault.commands.registerSubject(actor);
    await vault.execute(
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
    await vault.execute(
      subjectId,
      {
        type: 'RecordPersonalData',
        items: [
          {
            category: 'contact',
            field: 'email',
            value: markers.email,
            purpose: 'contract',
            legalBasis: 'contract',
            source: 'subject',
          },
          {
            category: 'contact',
            field: 'name',
            value: markers.name,
            purpose: 'contract',
            legalBasis: 'contract',
            source: 'subject',
          },
          {
            category: 'contact',
            field: 'phone',
            value: markers.phone,
            purpose: 'contract',
            legalBasis: 'contract',
            source: 'subject',
          },
          {
            category: 'marketing',
            field: 'interests',
            value: markers.interests,
            purpose: 'marketing',
            legalBasis: 'consent',
            source: 'subject',
          },
        ],
      },
      actor,
    );
    // A lookup works before erasure: the blind index exists.
    const hash = await vault.blindIndex.hash(`email:${markers.email}`);
    expect(await vault.stores.views.findByBlindIndex([hash])).toHaveLength(1);

    const needles = new Map(Object.entries(markers).map(([k, v]) => [`marker ${k}`, Buffer.from(v)]));
    needles.set('marker phone (E.164)', Buffer.from('+31687654321'));
    expect(findings(config.dataDir, needles), 'only ciphertext is stored before erasure').toEqual([]);

    const state = await vault.commands.load(subjectId);
    const keyIds = Object.values(state.categories).map((c) => c.keyId);
    // Copies: the key ring zeroes its own arrays of the keys it shreds, and the scan needs the bytes.
    const raw = new Map([...(await vault.keyRing.get(keyIds))].map(([id, key]) => [id, Uint8Array.from(key)]));
    const wrapped = await vault.stores.keys.getByIds(keyIds);
    expect(raw.size).toBe(keyIds.length);
    // The scanner must be able to see what it looks for: the wrapped keys are on disk until erasure.
    const wrappedNeedles = new Map(
      [...wrapped.values()].map((k) => [`wrapped key ${k.keyId}`, Buffer.from(k.wrapped)]),
    );
    expect(findings(config.dataDir, wrappedNeedles).length).toBeGreaterThan(0);

    const signed = await vault.erase(subjectId, { actor: 'dpo:test', reason: 'subjectRequest' });
    expect(signed.certificate.keyIdsDestroyed.sort()).toEqual(keyIds.sort());
    expect(await vault.stores.views.findByBlindIndex([hash])).toEqual([]);
    const read = (await vault.reader.read([subjectId], { purpose: 'contract', callerPurposes: 'all' })).get(subjectId)!;
    expect(read.items.every((i) => i.status === 'ERASED')).toBe(true);
    await vault.close();

    for (const id of keyIds) {
      needles.set(`data key ${id}`, Buffer.from(raw.get(id)!));
      needles.set(`wrapped key ${id}`, Buffer.from(wrapped.get(id)!.wrapped));
    }
    needles.set('blind index hash', Buffer.from(hash.slice(hash.indexOf(':') + 1), 'hex'));
    needles.set('blind index hash (hex text)', Buffer.from(hash));
    expect(findings(config.dataDir, needles)).toEqual([]);
  });

  it('destroys a key made for a write the log refused, which no event names', async () => {
    const { vault, config, cleanup } = await tempVault();
    cleanups.push(cleanup);
    const actor = { actor: 'test' };
    const { subjectId } = await vault.commands.registerSubject(actor);
    await vault.execute(
      subjectId,
      {
        type: 'RecordPersonalData',
        items: [
          {
            category: 'contact',
            field: 'name',
            value: 'Stray Keyholder',
            purpose: 'contract',
            legalBasis: 'contract',
            source: 'subject',
          },
        ],
      },
      actor,
    );
    // What a write to a new category leaves when its append is refused: the category's first key, and no event.
    const stray = `${subjectId}/accounting/1`;
    await vault.keyRing.ensure([stray]);
    const wrapped = (await vault.stores.keys.getByIds([stray])).get(stray)!.wrapped;
    const contactKey = (await vault.commands.load(subjectId)).categories.contact!.keyId;

    const signed = await vault.erase(subjectId, { actor: 'dpo:test', reason: 'subjectRequest' });
    expect(signed.certificate.keyIdsDestroyed.sort()).toEqual([contactKey, stray].sort());
    expect((await vault.stores.keys.getByIds([stray])).size).toBe(0);
    expect(await vault.stores.keys.listTombstones({ keyIds: [stray] })).toHaveLength(1);
    // The same certificate when asked again, from the log.
    expect(
      (
        await vault.erase(subjectId, { actor: 'dpo:test', reason: 'subjectRequest' })
      ).certificate.keyIdsDestroyed.sort(),
    ).toEqual([contactKey, stray].sort());
    await vault.close();
    expect(findings(config.dataDir, new Map([['stray wrapped key', Buffer.from(wrapped)]]))).toEqual([]);
  });

  it('does not let a restart resurrect anything', async () => {
    const first = await tempVault();
    cleanups.push(first.cleanup);
    const { subjectId } = await first.vault.commands.registerSubject({ actor: 'test' });
    await first.vault.execute(
      subjectId,
      {
        type: 'RecordPersonalData',
        items: [
          {
            category: 'contact',
            field: 'name',
            value: 'Restart Marker',
            purpose: 'contract',
            legalBasis: 'contract',
            source: 'subject',
          },
        ],
      },
      { actor: 'test' },
    );
    await first.vault.erase(subjectId, { actor: 'dpo:test', reason: 'subjectRequest' });
    await first.vault.close();
    const again = await tempVault({ dataDir: first.config.dataDir, masterKey: first.config.masterKey });
    cleanups.push(async () => {
      await again.vault.close();
      rmSync(first.config.dataDir, { recursive: true, force: true });
    });
    await again.vault.projector.rebuild();
    const read = (await again.vault.reader.read([subjectId], { purpose: 'contract', callerPurposes: 'all' })).get(
      subjectId,
    )!;
    expect(read.erasedAt).not.toBeNull();
    expect(read.items).toEqual([expect.objectContaining({ status: 'ERASED', category: 'contact' })]);
  });
});
