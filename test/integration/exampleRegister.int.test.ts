import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { addIsoDuration, loadRegister, type ProcessingRegister, type Translations, type Vault } from '@pdv/vault';
import { describe, expect, it } from 'vitest';

import { dataItem as item, useTempVaults } from '../support/tempVault.js';

// The example registers under services/vault/register/examples/ start a vault as the shipped one
// does, and keep the promises they quote. The collection agency's (issue 23, case 6): customer data
// at most 3 years after the relationship ended, where the shipped register keeps it 8 years;
// accounting still 10 years, through an erasure.

const EXAMPLES = fileURLToPath(new URL('../../services/vault/register/examples/', import.meta.url));
const T0 = '2026-03-02T08:00:00.000Z';
const shift = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();
const N = 100;
const vaults = useTempVaults();

async function status(vault: Vault, subjectId: string, category: string): Promise<string> {
  const c = (await vault.commands.load(subjectId)).categories[category];
  return !c ? 'ABSENT' : c.shredded ? `ERASED:${c.shredded.reason}` : 'LIVE';
}

/**
 * Every English text of the register the readable report quotes, with where it is and its translations: purposes',
 * categories' and retention rules' descriptions, recipients' purposes, safeguards, the keeping law and the logic of
 * automated decisions.
 */
function reportTexts(register: ProcessingRegister): [path: string, translations: Translations | undefined][] {
  const out: [string, Translations | undefined][] = [];
  for (const [name, p] of Object.entries(register.purposes)) out.push([`purposes.${name}`, p.descriptions]);
  for (const [name, c] of Object.entries(register.categories)) {
    const at = `categories.${name}`;
    out.push([at, c.descriptions]);
    if (c.retention.description) out.push([`${at}.retention`, c.retention.descriptions]);
    if (c.erasure.mode === 'keep') {
      out.push([`${at}.erasure.law`, c.erasure.lawTranslations]);
      if (c.erasure.retention.description) out.push([`${at}.erasure.retention`, c.erasure.retention.descriptions]);
    }
    c.recipients.forEach((r, i) => r.purpose && out.push([`${at}.recipients.${i}`, r.purposeTranslations]));
    c.transfers.forEach((t, i) => out.push([`${at}.transfers.${i}`, t.safeguardTranslations]));
    if (c.automatedDecisionMaking) out.push([`${at}.automatedDecisionMaking`, c.automatedDecisionMakingTranslations]);
  }
  return out;
}

describe('the example registers', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

  it.each(files)('%s is valid as it ships', async (file) => {
    const register = await loadRegister(`${EXAMPLES}${file}`);
    expect(Object.keys(register.categories).length).toBeGreaterThan(0);
  });

  it.each(files)('%s gives every text the report quotes in Norwegian and Danish, as the shipped one', async (file) => {
    for (const register of [await loadRegister(), await loadRegister(`${EXAMPLES}${file}`)]) {
      const texts = reportTexts(register);
      expect(texts.length).toBeGreaterThan(5);
      const languages = ['nb', 'da'] as const;
      const missing = texts.flatMap(([path, t]) => languages.filter((l) => !t?.[l]).map((l) => `${path} ${l}`));
      expect(missing).toEqual([]);
    }
  });

  it('a collection agency anonymises client data 3 years after the relationship, not 8', async () => {
    const register = await loadRegister(`${EXAMPLES}collection-agency.yaml`);
    const clock = { now: T0 };
    const { vault } = await vaults.open({ register, now: () => clock.now });
    const actor = { actor: 'crm' };
    const clients: string[] = [];
    for (let i = 0; i < N; i++) {
      const { subjectId } = await vault.commands.registerSubject(actor);
      await vault.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            item('contact', 'name', `Contact ${i}`, 'contract', 'contract'),
            item('contact', 'email', `contact${i}@creditor${i}.example`, 'contract', 'contract'),
            item('customer', 'customerNumber', `C-${i}`, 'contract', 'contract'),
            item('accounting', 'invoiceReference', `INV-${i}`, 'billing', 'contract'),
          ],
        },
        actor,
      );
      clients.push(subjectId);
    }
    // A year in, half the clients leave; one in ten of those also asks to be erased at once.
    const endedAt = addIsoDuration(T0, 'P1Y');
    clock.now = endedAt;
    const leaving = clients.slice(0, N / 2);
    for (const s of leaving)
      await vault.execute(s, { type: 'RecordLifecycleEvent', event: 'relationshipEnded' }, actor);
    const erased = leaving.filter((_, i) => i % 10 === 0);
    for (const s of erased) await vault.erase(s, { actor: 'dpo:anna', reason: 'subjectRequest' });

    const due = addIsoDuration(endedAt, 'P3Y');
    const preview = await vault.sweepRetention({ asOf: shift(due, -1), dryRun: true });
    expect(preview.items.filter((i) => i.outcome === 'wouldShred')).toEqual([]);
    clock.now = shift(due, 1);
    const sweep = await vault.sweepRetention();
    const shredded = sweep.items.filter((i) => i.outcome === 'shredded');
    const stillHeld = leaving.filter((s) => !erased.includes(s));
    expect(shredded.map((i) => `${i.subjectId}/${i.category}`).sort()).toEqual(
      stillHeld.flatMap((s) => [`${s}/contact`, `${s}/customer`]).sort(),
    );
    for (const s of stillHeld) {
      expect(await status(vault, s, 'contact')).toBe('ERASED:retention');
      expect(await status(vault, s, 'customer')).toBe('ERASED:retention');
      expect(await status(vault, s, 'accounting')).toBe('LIVE');
    }
    for (const s of clients.slice(N / 2)) expect(await status(vault, s, 'contact')).toBe('LIVE');
    for (const s of erased) {
      expect(await status(vault, s, 'contact')).toBe('ERASED:erasure');
      // Bookkeeping law: kept 10 years from the entry, the erasure notwithstanding.
      expect(await status(vault, s, 'accounting')).toBe('LIVE');
    }
    // Ten years from the entries, accounting goes for everyone.
    clock.now = shift(addIsoDuration(T0, 'P10Y'), 1);
    await vault.sweepRetention();
    for (const s of clients) expect(await status(vault, s, 'accounting')).toMatch(/^ERASED:/);
  });
});
