import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { Vault } from '@pdv/vault';

import { dataItem } from '../support/tempVault.js';

/**
 * The shape that found stale keys in the key store, shared by the forensic suites of each store: a
 * thousand subjects with three categories (one retained by law), then field erasures, retention
 * shreds and whole erasures, and a process killed while it erases.
 */

export const actor = { actor: 'svc:test' };
const CHILD = fileURLToPath(new URL('./eraseChild.ts', import.meta.url));

/** Runs `work` over `items`, `width` at a time. */
export async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** `n` subjects, 20 at a time: marketing consent, an email and a name (contact), interests, a bank account. */
export async function populate(vault: Vault, n: number): Promise<string[]> {
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
      const account = `DE89370400440532013${String(i).padStart(3, '0')}`;
      await vault.commands.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            dataItem('contact', 'email', `carve.${i}@marker-example.com`, 'contract', 'contract'),
            dataItem('contact', 'name', `Carvable Person ${i}`, 'contract', 'contract'),
            dataItem('marketing', 'interests', `marker-interest-${i}`, 'marketing', 'consent'),
            dataItem('accounting', 'bankAccount', account, 'billing', 'contract'),
          ],
        },
        actor,
      );
      ids.push(subjectId);
    },
  );
  return ids;
}

/** A thousand subjects split by how their keys go: re-keyed, shredded for retention, erased, erased in a crash. */
export const splitForErasure = (ids: readonly string[]) => ({
  rekeyed: ids.slice(0, 100),
  retained: ids.slice(100, 200),
  erasedHere: ids.slice(200, 800),
  crashed: ids.slice(800),
});

/** Keys the split destroys: one per re-key and retention shred, two per erasure (accounting is kept). */
export const destroyedBy = (s: ReturnType<typeof splitForErasure>): number =>
  s.rekeyed.length + s.retained.length + (s.erasedHere.length + s.crashed.length) * 2;

/** Field erasures (re-keying contact), retention shreds (marketing) and concurrent erasures; the certificates. */
export async function eraseThreeWays(v: Vault, s: ReturnType<typeof splitForErasure>) {
  await pool(s.rekeyed, 10, (id) =>
    v.execute(
      id,
      { type: 'ErasePersonalData', category: 'contact', field: 'email', reason: 'subjectRequest', remaining: {} },
      actor,
    ),
  );
  await pool(s.retained, 10, (id) =>
    v.execute(id, { type: 'ShredCategory', category: 'marketing', reason: 'retention' }, actor),
  );
  const certificates: Awaited<ReturnType<Vault['erase']>>[] = [];
  await pool(s.erasedHere, 20, async (id) =>
    certificates.push(await v.erase(id, { actor: 'dpo:test', reason: 'subjectRequest' })),
  );
  return certificates;
}

/**
 * A process (eraseChild.ts, configured by `env`) that erases `ids` and is killed with SIGKILL once
 * `atLeast` erasures were acknowledged: some done, one perhaps half done. Resolves with how many were.
 */
export async function eraseAndCrash(ids: readonly string[], list: string, env: NodeJS.ProcessEnv, atLeast: number) {
  writeFileSync(list, ids.join('\n'));
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, list], {
    env: { ...process.env, ...env, VAULT_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let acknowledged = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the erasing process did not get going in 90 s')), 90_000);
    child.stdout.on('data', (d: Buffer) => {
      acknowledged += d.toString().split('\n').filter(Boolean).length;
      if (acknowledged >= atLeast) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(null)));
  return acknowledged;
}
