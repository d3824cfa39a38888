import { createHash } from 'node:crypto';

import { subjectOf } from '../domain/events.js';
import type { ProcessingRegister } from '../domain/register.js';
import type { EventLog } from '../ports/EventLog.js';
import { CONSENTS_FILLED, CONSENTS_UNINDEXED, emptyBatch, type ViewStore } from '../ports/ViewStore.js';

/**
 * The retention schedule carries each consent's expiry (domain/endedPurposes.ts), and the projector computes a
 * subject's rows when it projects the subject's events. A register that sets, changes or drops a purpose's
 * `consentValidFor` would therefore leave the rows of every subject projected before it as they were, until the
 * subject's next event. So the projector, once it has caught up at start, writes again the rows of every subject
 * who ever gave a consent from their snapshots, under the register it runs with, whenever the rows were last brought
 * in line with other periods; two checkpoints record it, so a restart, a replica or a later `vault` command with the
 * same periods does nothing (one cut short starts over: writing a row again changes nothing). Read models built from
 * an empty checkpoint were computed under this register already: nothing to write again.
 *
 * The subjects come from the read models' consents index (`ViewStore.listConsentSubjects`), which the projector
 * writes with the rest of each subject's rows, paged in id order: not from the log. Read models made before the
 * index lack the subjects of the events they had projected then (ports/ViewStore.ts, `CONSENTS_UNINDEXED`): the
 * first catch-up that needs them reads the log once up to there (`fillConsentIndex`), and never again.
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

/** Events per read of the log while the consents index of older read models is filled. */
const FILL_PAGE = 1000;

/**
 * Adds to the consents index the subjects who gave a consent in the events read models made before the index had
 * projected (up to `CONSENTS_UNINDEXED`): one read of the log up to there, each page applied under `CONSENTS_FILLED`,
 * so one cut short goes on where it stopped and one done is never read again. `fresh` (this run projected from an
 * empty checkpoint, writing every row) marks it done without reading. Resolves how many events it read.
 */
export async function fillConsentIndex(log: EventLog, views: ViewStore, fresh = false): Promise<number> {
  const [upTo, from] = await Promise.all([views.checkpoint(CONSENTS_UNINDEXED), views.checkpoint(CONSENTS_FILLED)]);
  let filled = from;
  if (fresh && filled < upTo) await views.apply(CONSENTS_FILLED, emptyBatch(), upTo, filled);
  let read = 0;
  while (!fresh && filled < upTo) {
    const page = await log.readAll({ after: filled, maxCount: FILL_PAGE });
    read += page.length;
    const batch = emptyBatch();
    for (const e of page) {
      if (e.position > upTo) break;
      const subjectId = e.type === 'ConsentGiven' ? subjectOf(e.streamId) : undefined;
      if (subjectId !== undefined && batch.consents[batch.consents.length - 1] !== subjectId)
        batch.consents.push(subjectId);
    }
    const at = Math.min(page[page.length - 1]?.position ?? upTo, upTo);
    // Not applied: another process filled this page; go on from where it got.
    filled = (await views.apply(CONSENTS_FILLED, batch, at, filled)) ? at : await views.checkpoint(CONSENTS_FILLED);
  }
  return read;
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
  await fillConsentIndex(log, views, fresh);
  let at = Math.max(last, own);
  let expected = own;
  let written = 0;
  let carried: string[] = [];
  const retried = new Set<string>();
  let after: string | undefined;
  let listed = fresh;
  for (;;) {
    const page = listed
      ? []
      : await views.listConsentSubjects({ ...(after === undefined ? {} : { after }), limit: VALIDITY_BATCH });
    listed ||= page.length < VALIDITY_BATCH;
    after = page[page.length - 1] ?? after;
    if (page.length === 0 && carried.length === 0) break;
    const batch = [...new Set([...carried, ...page])];
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
