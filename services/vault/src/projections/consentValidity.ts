import { createHash } from 'node:crypto';

import { subjectOf } from '../domain/events.js';
import type { ProcessingRegister } from '../domain/register.js';
import type { EventLog } from '../ports/EventLog.js';
import { emptyBatch, type ViewStore } from '../ports/ViewStore.js';

/**
 * The retention schedule carries each consent's expiry (domain/endedPurposes.ts), and the projector computes a
 * subject's rows when it projects the subject's events. A register that sets, changes or drops a purpose's
 * `consentValidFor` would therefore leave the rows of every subject projected before it as they were, until the
 * subject's next event. So the projector, once it has caught up at start, writes again the rows of every subject
 * who ever gave a consent (found in one read of the log up to its head) from their snapshots, under the register it
 * runs with, whenever the rows were last brought in line with other periods; two checkpoints record it, so a
 * restart, a replica or a later `vault` command with the same periods does nothing (one cut short starts over:
 * writing a row again changes nothing). Read models built from an empty checkpoint were computed under this
 * register already: nothing to write again.
 */

/** Subjects whose rows one transaction writes again. */
export const VALIDITY_BATCH = 500;

/** The checkpoint the last catch-up to any validity periods moved on. */
export const LAST_VALIDITY = 'consentValidity';

/** The checkpoint of these validity periods (an ISO 8601 duration per purpose). */
export function validityCheckpoint(register: ProcessingRegister): string {
  const periods = Object.entries(register.purposes)
    .filter(([, p]) => p.consentValidFor !== undefined)
    .map(([name, p]): [string, string] => [name, p.consentValidFor!])
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `consentValidity:${createHash('sha256').update(JSON.stringify(periods)).digest('hex').slice(0, 16)}`;
}

/**
 * Writes the derived rows of the listed subjects again from their snapshots, under `projection`'s checkpoint
 * (`ViewStore.apply`'s `position` and `expected`). Resolves whether it applied them, and the subjects whose snapshot
 * moved while they were written (another replica projected them meanwhile: written again in the next batch).
 */
export type Rederive = (
  subjectIds: readonly string[],
  projection: string,
  position: number,
  expected: number,
) => Promise<{ applied: boolean; moved: string[] }>;

/** The subjects with a `ConsentGiven` event up to `head`, in id order. */
async function subjectsWithConsent(log: EventLog, head: number): Promise<string[]> {
  const subjects = new Set<string>();
  for (let after = 0; after < head;) {
    const page = await log.readAll({ after, maxCount: 1000 });
    if (page.length === 0) break;
    for (const e of page) {
      if (e.position > head) break;
      const subjectId = e.type === 'ConsentGiven' ? subjectOf(e.streamId) : undefined;
      if (subjectId !== undefined) subjects.add(subjectId);
    }
    after = page[page.length - 1]!.position;
  }
  return [...subjects].sort();
}

/**
 * Brings the retention rows in line with the register's consent validity periods, unless they were last brought in
 * line with these same periods (see above). `fresh`: the read models were projected from an empty checkpoint by this
 * run, under this register. Resolves how many subjects' rows it wrote again (0 when there was nothing to do, or
 * another process is doing it).
 *
 * Two checkpoints say what was done: `consentValidity`, moved on by each catch-up when it ends, and the periods' own
 * (`validityCheckpoint`), moved on by each batch of theirs and set to the same position at the end. The rows follow
 * these periods when both are at the same position: a register that goes back to periods it had before is caught
 * up with again, since another's catch-up has moved `consentValidity` on since.
 */
export async function followConsentValidity(
  deps: { log: EventLog; views: ViewStore; register: ProcessingRegister },
  rederive: Rederive,
  fresh: boolean,
): Promise<number> {
  const { log, views } = deps;
  const name = validityCheckpoint(deps.register);
  const [last, own] = await Promise.all([views.checkpoint(LAST_VALIDITY), views.checkpoint(name)]);
  if (own > 0 && own === last) return 0;
  const subjects = fresh ? [] : await subjectsWithConsent(log, await log.headPosition());
  let at = Math.max(last, own);
  let expected = own;
  let written = 0;
  let carried: string[] = [];
  const retried = new Set<string>();
  for (let i = 0; i < subjects.length || carried.length > 0; i += VALIDITY_BATCH) {
    const batch = [...new Set([...carried, ...subjects.slice(i, i + VALIDITY_BATCH)])];
    const { applied, moved } = await rederive(batch, name, at + 1, expected);
    // Another process moved the checkpoint on: it is writing these rows, and the rest.
    if (!applied) return written;
    expected = at += 1;
    written += batch.length;
    // A subject projected again meanwhile is written once more from its new snapshot (once: its own events keep it).
    carried = moved.filter((s) => !retried.has(s));
    for (const s of carried) retried.add(s);
  }
  if (written === 0 && !(await views.apply(name, emptyBatch(), (at += 1), expected))) return 0;
  await views.apply(LAST_VALIDITY, emptyBatch(), at, last);
  return written;
}
