import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';

import type { RecordedEvent, Vault } from '@pdv/vault';
import { expect } from 'vitest';

import { startCliProcess } from '../support/cliProcess.js';

/** What the `vault import` suites share: the lines they feed it, running it, and what its log must hold after. */

export const T = '2021-03-01T00:00:00Z';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `vault import` to its end (a loaded machine starts tsx slowly: two minutes before a hang fails the test). */
export async function runImport(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<Run> {
  const child = startCliProcess(['import', ...args], env);
  if (stdin !== undefined) child.stdin.end(stdin);
  return collect(child, 120_000);
}

function collect(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

export const summaryOf = (run: Run) => JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, number>;

export const field = (category: string, name: string, value: unknown, purpose: string, basis: string, at = T) => ({
  category,
  field: name,
  value,
  purpose,
  legalBasis: basis,
  source: 'subject',
  collectedAt: at,
});
const newsletterConsent = {
  purpose: 'newsletter',
  noticeId: 'privacy-notice',
  noticeVersion: '2021-01',
  channel: 'webForm',
  givenAt: T,
};

/** A valid line: name and email on contract; every third also subscribed to the newsletter on consent. */
export function validLine(i: number): object {
  const fields = [
    field('contact', 'name', `Person ${i}`, 'contract', 'contract'),
    field('contact', 'email', `p${i}@example.com`, 'contract', 'contract'),
  ];
  if (i % 3 !== 0) return { externalId: `crm-${i}`, fields };
  fields.push(field('newsletterSubscription', 'email', `n${i}@example.com`, 'newsletter', 'consent'));
  return {
    externalId: `crm-${i}`,
    fields,
    consents: [newsletterConsent],
    lifecycle: [{ event: 'relationshipEnded', at: '2023-01-01T00:00:00Z' }],
  };
}

/** Writes `count` lines of `validLine` (1 to `count`) to `file`. */
export function writeValidLines(file: string, count: number): void {
  writeFileSync(file, Array.from({ length: count }, (_, i) => JSON.stringify(validLine(i + 1))).join('\n'));
}

/** Every event of the log, read in pages. */
export async function allEvents(vault: Vault): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for (;;) {
    const page = await vault.stores.log.readAll({ after: out.at(-1)?.position ?? 0, maxCount: 5_000 });
    if (page.length === 0) return out;
    out.push(...page);
  }
}

/** A test that kills and resumes an import runs two CLI processes, each allowed two minutes on a loaded machine. */
export const KILL_AND_RESUME_MS = 300_000;

/**
 * Starts `vault import <file>`, kills it with SIGKILL once it has reported progress (some lines in, most not), then
 * runs it again to its end over the same file; returns the second run, which must have found the first's subjects.
 */
export async function importKilledAndResumed(file: string, count: number, env: NodeJS.ProcessEnv): Promise<Run> {
  const child = startCliProcess(['import', file, '--progress-every', '0.2'], env);
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no progress within 120 s: ${stderr}`)), 120_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/import: \d+ lines/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));

  const resumed = await runImport([file, '--json'], env);
  expect(resumed.code, resumed.stderr).toBe(0);
  const summary = summaryOf(resumed);
  expect(summary.existing, 'the first run had imported some').toBeGreaterThan(0);
  expect(summary.imported, 'the kill left some to import').toBeGreaterThan(0);
  expect(summary.imported! + summary.existing!).toBe(count);
  return resumed;
}

/** The log holds `count` subjects of `validLine`, each registered once and written whole, nothing else. */
export function expectEverySubjectOnce(events: readonly RecordedEvent[], count: number): void {
  const perStream = new Map<string, string[]>();
  for (const e of events) perStream.set(e.streamId, [...(perStream.get(e.streamId) ?? []), e.type]);
  expect(events.filter((e) => e.type === 'SubjectRegistered')).toHaveLength(count);
  expect(perStream.size).toBe(count);
  // Whole subjects only: registered, recorded, and for the subscribers the consent and the lifecycle event.
  const shapes = new Set([...perStream.values()].map((types) => types.join(',')));
  expect(shapes).toEqual(
    new Set([
      'SubjectRegistered,PersonalDataRecorded,PersonalDataRecorded',
      [
        'SubjectRegistered',
        'ConsentGiven',
        ...Array<string>(3).fill('PersonalDataRecorded'),
        'LifecycleEventRecorded',
      ].join(','),
    ]),
  );
}
