import { endedPurposeReleases, expiryShreds } from '../domain/decide/consentReleases.js';
import { isVaultError, VaultError } from '../domain/errors.js';
import type { ProcessingRegister } from '../domain/register.js';
import { dueEntries, entryEvent, expiringEntries, isEntryRule } from '../domain/retention.js';
import { decide } from '../domain/subject.js';
import { instantInput } from '../domain/time.js';
import type { RetentionView, ViewStore } from '../ports/ViewStore.js';
import type { SubjectCommands } from './SubjectCommands.js';

export interface SweepOptions {
  /** Shred what is due at this time. Default: now. Later than now only with `dryRun`. */
  asOf?: string;
  /** List what would be shredded and why, changing nothing. Default false. */
  dryRun?: boolean;
  /** Due rows read per page. Default 500. */
  pageSize?: number;
  /** Commands in flight at once (their appends and key shreds commit together). Default 32. */
  concurrency?: number;
  /** Default `system:retention`. */
  actor?: string;
}

export type SweepOutcome = 'shredded' | 'wouldShred' | 'kept';

export interface SweepItem {
  subjectId: string;
  category: string;
  dueAt: string;
  rule: string;
  outcome: SweepOutcome;
  /**
   * Where the category's period runs per entry (a debt-collection case): the entries whose own end had
   * come by the sweep's time, each shredded alone while the category's other entries stay. Absent
   * otherwise, and where none was due (the category's own values went, or nothing did).
   */
  entries?: string[];
}

export interface SweepReport {
  asOf: string;
  dryRun: boolean;
  /** Due rows examined. */
  examined: number;
  shredded: number;
  items: SweepItem[];
}

export interface SweepDeps {
  views: ViewStore;
  commands: SubjectCommands;
  register: ProcessingRegister;
  now: () => string;
}

/**
 * The retention sweep. The schedule (a read model) proposes; the subject's fresh state decides
 * (`ApplyRetention`): a stale row, a new hold or a shred that another sweep got to first turns
 * into "kept" or nothing. Two sweeps at once meet optimistic concurrency on the subject's
 * stream, so nothing is shredded twice and nothing due is missed.
 */
export async function sweepRetention(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepReport> {
  const now = deps.now();
  const asOf = options.asOf ? instantInput(options.asOf, 'asOf') : now;
  const dryRun = options.dryRun ?? false;
  if (!dryRun && asOf > now)
    throw new VaultError(
      'BAD_USER_INPUT',
      'A future as-of date is only allowed with a dry run: nothing is shredded before it is due',
      { path: 'asOf' },
    );
  const pageSize = options.pageSize ?? 500;
  const concurrency = options.concurrency ?? 32;
  const actor = options.actor ?? 'system:retention';
  const report: SweepReport = { asOf, dryRun, examined: 0, shredded: 0, items: [] };

  let after: { dueAt: string; subjectId: string; category: string } | undefined;
  for (;;) {
    const page = await deps.views.listDueRetention(asOf, { limit: pageSize, ...(after ? { after } : {}) });
    if (page.length === 0) break;
    report.examined += page.length;
    // One unit of work per subject: its due categories one after another (they share a stream,
    // so running them at once would only meet optimistic-concurrency conflicts), subjects in parallel.
    const bySubject = new Map<string, RetentionView[]>();
    for (const row of page) bySubject.set(row.subjectId, [...(bySubject.get(row.subjectId) ?? []), row]);
    const outcomes = new Map<RetentionView, SweepOutcome>();
    const entries = new Map<RetentionView, string[]>();
    await mapLimited([...bySubject.values()], concurrency, async (rows) => {
      for (const row of rows) {
        const due = await entriesDue(deps, row, asOf);
        if (due.length > 0) entries.set(row, due);
        outcomes.set(row, dryRun ? await preview(deps, row, asOf) : await apply(deps, row, actor));
      }
    });
    for (const row of page) {
      const outcome = outcomes.get(row)!;
      if (outcome === 'shredded') report.shredded += 1;
      report.items.push({
        subjectId: row.subjectId,
        category: row.category,
        dueAt: row.dueAt,
        rule: row.rule,
        outcome,
        ...(outcome !== 'kept' && entries.has(row) ? { entries: entries.get(row) } : {}),
      });
    }
    const last = page[page.length - 1]!;
    after = { dueAt: last.dueAt, subjectId: last.subjectId, category: last.category };
    if (page.length < pageSize) break;
  }
  return report;
}

/**
 * The entries of the row's category due by `asOf`. Only a row due for an entry (its rule names one, in a
 * category whose period runs per entry) loads the subject: every other row costs what it did.
 */
async function entriesDue(deps: SweepDeps, row: RetentionView, asOf: string): Promise<string[]> {
  if (!isEntryRule(row.rule) || !entryEvent(deps.register.categories[row.category])) return [];
  const state = await deps.commands.load(row.subjectId);
  return dueEntries(state, deps.register, row.category, asOf).map((e) => e.entry);
}

async function preview(deps: SweepDeps, row: RetentionView, asOf: string): Promise<SweepOutcome> {
  const state = await deps.commands.load(row.subjectId);
  // Values resting on a purpose that ended (a consent past its validity; a withdrawal or objection a hold deferred):
  // erased as a withdrawal would erase them, or the whole category where the register shreds it for a withdrawal
  // (endedPurposes.ts).
  if (expiryShreds(state, deps.register, row.category, asOf)) return 'wouldShred';
  const releases = endedPurposeReleases(state, deps.register, row.category, asOf);
  if (releases.some((r) => r.erase.length > 0)) return 'wouldShred';
  // Entries that would go by re-keying: the decision needs their neighbours' values, which a dry run does not open.
  if (expiringEntries(state, deps.register, row.category, asOf)) return 'wouldShred';
  const events = decide(
    state,
    { type: 'ApplyRetention', category: row.category },
    { register: deps.register, now: asOf, actor: 'system:retention' },
  );
  return events.length > 0 ? 'wouldShred' : 'kept';
}

async function apply(deps: SweepDeps, row: RetentionView, actor: string): Promise<SweepOutcome> {
  try {
    // First what rested on purposes that ended (nothing on most rows: the decision is made, no key opened).
    const ended = await deps.commands.execute(
      row.subjectId,
      { type: 'ReleaseEndedPurposes', category: row.category },
      { actor, maxAttempts: 10 },
    );
    const result = await deps.commands.execute(
      row.subjectId,
      { type: 'ApplyRetention', category: row.category },
      { actor, maxAttempts: 10 },
    );
    const erased = ended.events.some((e) => e.type !== 'PersonalDataReleased');
    return erased || result.events.length > 0 ? 'shredded' : 'kept';
  } catch (e) {
    // A subject deleted from the register's categories, or held meanwhile: keep, report, go on.
    if (isVaultError(e, 'BAD_USER_INPUT') || isVaultError(e, 'CATEGORY_HELD')) return 'kept';
    throw e;
  }
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
