import { objectionReaches } from './access.js';
import type { ShredReason } from './events.js';
import type { CategorySpec, ProcessingRegister, RetentionTrigger } from './register.js';
import { type CategoryState, type EntryState, liveEntryOf, type SubjectState } from './state.js';
import { addIsoDuration } from './time.js';

/**
 * Retention and holds as pure functions of a subject's state and the register: the projection
 * stores their results as the schedule, and the sweep decides again from fresh state.
 */

export interface HoldRow {
  subjectId: string;
  category: string;
  /** The entry held alone (a DPO hold on one case, or the law's period of one entry); absent: the whole category. */
  entry?: string;
  basis: string;
  /** ISO time, or `open` while the trigger that starts the legal period has not happened. */
  until: string;
  source: 'register' | 'dpo';
}

export interface RetentionRow {
  subjectId: string;
  category: string;
  /** When retention ends: the category may be shredded from then on. */
  dueAt: string;
  /** The rule, e.g. `P30D after recorded`. */
  rule: string;
}

export const describeTrigger = (t: RetentionTrigger): string =>
  t.kind === 'lifecycle' ? `after ${t.event}` : `after ${t.kind === 'recorded' ? 'recorded' : 'last activity'}`;

/**
 * A period that starts at recording runs for each entry (each value as recorded) from its own
 * recording, not from the category's first: two invoices recorded years apart are kept 10 years
 * each. The values of a category share one key, so an entry whose period ends while others go on
 * is destroyed by re-keying: the values that stay are re-sealed under a new key and the old key,
 * with every value ever sealed under it, is shredded (`expiringEntries`). Erasure still shreds one
 * key per category.
 */
function entryDuration(state: SubjectState, spec: CategorySpec): string | undefined {
  if (state.erasedAt && spec.erasure.mode === 'keep')
    return spec.erasure.retention.trigger.kind === 'recorded' ? spec.erasure.retention.duration : undefined;
  return spec.retention.trigger.kind === 'recorded' ? spec.retention.duration : undefined;
}

/** When the oldest value still sealed under the category's key was recorded. */
const oldestEntry = (c: CategoryState): string => c.keySince ?? c.firstRecordedAt;

/** When the category's newest current value was recorded: its last entry. */
function newestEntry(c: CategoryState): string {
  let newest = oldestEntry(c);
  for (const f of Object.values(c.fields)) if (f.updatedAt > newest) newest = f.updatedAt;
  return newest;
}

/**
 * When the oldest entry's period ends, if that comes before the whole category's (so it goes by
 * re-keying), pushed back by a DPO hold; undefined when the category has no per-entry period.
 */
function entryDue(state: SubjectState, spec: CategorySpec, category: string): ShredCause | undefined {
  const c = state.categories[category];
  const duration = entryDuration(state, spec);
  if (!c || c.shredded || !duration) return undefined;
  let at = addIsoDuration(oldestEntry(c), duration);
  if (at >= addIsoDuration(newestEntry(c), duration)) return undefined;
  const dpo = state.holds[category];
  let rule = `${duration} after recorded (each entry)`;
  if (dpo && dpo.until > at) {
    at = dpo.until;
    rule = `${rule}; held until ${dpo.until} (${dpo.basis})`;
  }
  return { at, rule, reason: 'retention' };
}

/**
 * The entries of a live category whose own period has ended by `now` while others' goes on: the
 * current values to drop and those to carry over to a new key (every value the old key sealed,
 * superseded ones included, goes with it). Undefined when no entry is due, when a DPO hold keeps
 * the category, or when every value is due (then the whole category is shredded as usual).
 */
export function expiringEntries(
  state: SubjectState,
  register: ProcessingRegister,
  category: string,
  now: string,
): { drop: string[]; keep: string[] } | undefined {
  const spec = register.categories[category];
  const c = state.categories[category];
  const duration = spec && entryDuration(state, spec);
  if (!c || c.shredded || !duration || addIsoDuration(oldestEntry(c), duration) > now) return undefined;
  const dpo = state.holds[category];
  if (dpo && dpo.until > now) return undefined;
  const drop: string[] = [];
  const keep: string[] = [];
  for (const [field, f] of Object.entries(c.fields))
    (addIsoDuration(f.updatedAt, duration) <= now ? drop : keep).push(field);
  return keep.length > 0 ? { drop, keep } : undefined;
}

/**
 * Each current value's own end in a category kept after erasure for a period that runs per entry
 * (trigger `recorded`): its recording plus the period, or a DPO hold's end where that is later, as
 * the sweep will shred it (`expiringEntries`). For the erasure certificate; undefined where the
 * category's period does not run per entry. Ordered by end, then field.
 */
export function retainedEntries(
  state: SubjectState,
  spec: CategorySpec | undefined,
  category: string,
): { field: string; until: string }[] | undefined {
  const c = state.categories[category];
  if (!c || c.shredded || spec?.erasure.mode !== 'keep') return undefined;
  const { trigger, duration } = spec.erasure.retention;
  if (trigger.kind !== 'recorded') return undefined;
  const held = state.holds[category]?.until;
  return Object.entries(c.fields)
    .map(([field, f]) => {
      const own = addIsoDuration(f.updatedAt, duration);
      return { field, until: held && held > own ? held : own };
    })
    .sort((a, b) => a.until.localeCompare(b.until) || a.field.localeCompare(b.field));
}

/**
 * Every hold on the subject's live categories: DPO holds and the register's legal periods, and where the period runs
 * per entry, each live entry's own (a DPO hold on one case; the law's period of each entry, from its own trigger).
 */
export function holdsOf(state: SubjectState, register: ProcessingRegister): HoldRow[] {
  const rows: HoldRow[] = [];
  const subjectId = state.subjectId;
  for (const [category, h] of Object.entries(state.holds)) {
    rows.push({ subjectId, category, basis: h.basis, until: h.until, source: 'dpo' });
  }
  for (const [category, c] of Object.entries(state.categories)) {
    const spec = register.categories[category];
    // The category's own values (none, '', where it only ever had entries).
    if (!c.shredded && c.keyId && spec?.erasure.mode === 'keep') {
      const from = triggerTime(state, category, spec.erasure.retention.trigger);
      rows.push({
        subjectId,
        category,
        basis: spec.erasure.law,
        until: from ? addIsoDuration(from, spec.erasure.retention.duration) : 'open',
        source: 'register',
      });
    }
    if (!spec || !entryEvent(spec)) continue;
    for (const [entry, e] of Object.entries(c.entries ?? {})) {
      if (e.shredded) continue;
      if (e.hold) rows.push({ subjectId, category, entry, basis: e.hold.basis, until: e.hold.until, source: 'dpo' });
      const legal = entryLegalHold(state, spec, e);
      if (legal) rows.push({ subjectId, category, entry, basis: legal.basis, until: legal.until, source: 'register' });
    }
  }
  return rows;
}

/**
 * When each live category may be shredded: its retention end, pushed back by any hold, or an entry's
 * own end where that comes first (only the entry goes then). No row while no trigger has happened
 * (the relationship goes on, no case closed) or a hold has no end yet.
 */
export function retentionOf(state: SubjectState, register: ProcessingRegister, holds: HoldRow[]): RetentionRow[] {
  const rows: RetentionRow[] = [];
  for (const category of Object.keys(state.categories)) {
    const own = categoryRetention(state, register, holds, category);
    const entry = entryEnds(state, register, category).find((e) => e.at !== 'open');
    if (entry && (!own || entry.at < own.dueAt))
      rows.push({ subjectId: state.subjectId, category, dueAt: entry.at, rule: entry.rule });
    else if (own) rows.push(own);
  }
  return rows;
}

/** The category's own row (its values and any re-key of entries by recording), entries of its own apart. */
export function categoryRetention(
  state: SubjectState,
  register: ProcessingRegister,
  holds: HoldRow[],
  category: string,
): RetentionRow | undefined {
  const end = shredCause(state, register, category);
  if (!end) return undefined;
  let { at: dueAt, rule } = end;
  let open = false;
  for (const h of holds) {
    // An entry's own hold keeps that entry alone (entryEnds), not the category's values.
    if (h.category !== category || h.entry !== undefined) continue;
    if (h.until === 'open') open = true;
    else if (h.until > dueAt) {
      dueAt = h.until;
      rule = `${rule}; held until ${h.until} (${h.basis})`;
    }
  }
  // An entry whose own period ends first makes the row due then (see expiringEntries).
  const spec = register.categories[category];
  const entry = spec && entryDue(state, spec, category);
  if (entry && (open || entry.at < dueAt))
    return { subjectId: state.subjectId, category, dueAt: entry.at, rule: entry.rule };
  return open ? undefined : { subjectId: state.subjectId, category, dueAt, rule };
}

/**
 * The lifecycle event whose clock runs for each entry of the category on its own (the values of one
 * debt-collection case, gone 3 years after that case closed): its retention trigger's. Values are
 * recorded under an entry only in such a category.
 */
export function entryEvent(spec: CategorySpec | undefined): string | undefined {
  // Where a law keeps the category after erasure too: each entry is then kept for the law's period from its own
  // trigger (entryLegalHold), as the category's own values are from the subject's.
  return spec?.retention.trigger.kind === 'lifecycle' ? spec.retention.trigger.event : undefined;
}

/** One live entry's end: an ISO time, or `open` while its own event (or a period that keeps it) has not started. */
export interface EntryEnd {
  entry: string;
  at: string;
  rule: string;
  /** Why it goes then: its period, the subject's erasure, or a withdrawal or objection the register shreds for. */
  reason: ShredCause['reason'];
}

/**
 * When a trigger's clock started for one entry: the entry's own lifecycle event where the trigger is the event the
 * category's entries run from (or that event recorded for the whole subject, which reaches every entry, if earlier),
 * another lifecycle event as the subject's, its newest value's recording, or its last activity.
 */
function entryTriggerTime(
  state: SubjectState,
  e: EntryState,
  trigger: RetentionTrigger,
  event: string | undefined,
): string | undefined {
  switch (trigger.kind) {
    case 'recorded': {
      let newest = e.firstRecordedAt;
      for (const f of Object.values(e.fields)) if (f.updatedAt > newest) newest = f.updatedAt;
      return newest;
    }
    case 'lastActivity':
      return e.lastActivityAt;
    case 'lifecycle': {
      const subject = state.lifecycle[trigger.event];
      const own = trigger.event === event ? e.lifecycle[trigger.event] : undefined;
      return own && (!subject || own < subject) ? own : subject;
    }
  }
}

/**
 * The register's hold on one entry of a category a law keeps after erasure (`erasure: keep`): the law's period from
 * the entry's own trigger (e.g. 5 years after that relationship ended), `open` until it happens. Undefined where no
 * law keeps the category.
 */
function entryLegalHold(state: SubjectState, spec: CategorySpec, e: EntryState): Hold | undefined {
  if (spec.erasure.mode !== 'keep') return undefined;
  const { trigger, duration } = spec.erasure.retention;
  const from = entryTriggerTime(state, e, trigger, entryEvent(spec));
  return { basis: spec.erasure.law, until: from ? addIsoDuration(from, duration) : 'open', source: 'register' };
}

/** Every hold on one live entry, ended or not: the DPO's on its category, the DPO's on the entry, the law's. */
function entryHolds(state: SubjectState, spec: CategorySpec, category: string, e: EntryState): Hold[] {
  const out: Hold[] = [];
  const dpo = state.holds[category];
  if (dpo) out.push({ basis: dpo.basis, until: dpo.until, source: 'dpo' });
  if (e.hold) out.push({ basis: e.hold.basis, until: e.hold.until, source: 'dpo' });
  const legal = entryLegalHold(state, spec, e);
  if (legal) out.push(legal);
  return out;
}

/**
 * The hold that keeps one live entry now, if any: a DPO hold on its category or on the entry alone, or the law's
 * period of the entry (`open` while it has not started). The later end wins.
 */
export function entryHoldOn(
  state: SubjectState,
  spec: CategorySpec | undefined,
  category: string,
  entry: string,
  now: string,
): Hold | undefined {
  const e = liveEntryOf(state.categories[category], entry);
  if (!spec || !e) return undefined;
  return latestHold(entryHolds(state, spec, category, e).filter((h) => h.until === 'open' || h.until > now));
}

/**
 * The entry's own holds that keep it now (the DPO's on the entry, the law's period of the entry), not its category's:
 * what a shred of the whole category leaves.
 */
function ownHoldOn(state: SubjectState, spec: CategorySpec | undefined, e: EntryState, now: string): Hold | undefined {
  if (!spec) return undefined;
  const holds: Hold[] = [];
  if (e.hold && e.hold.until > now) holds.push({ basis: e.hold.basis, until: e.hold.until, source: 'dpo' });
  const legal = entryLegalHold(state, spec, e);
  if (legal && (legal.until === 'open' || legal.until > now)) holds.push(legal);
  return latestHold(holds);
}

/**
 * The keys shredding the whole category destroys at `now`: its own (unless gone) and each live entry's that no hold
 * of the entry's own keeps (a DPO hold on that case, the law's period of the entry). A hold on the category keeps it
 * all, which the caller checks (holdOn).
 */
export function shreddableKeyIds(
  state: SubjectState,
  register: ProcessingRegister,
  category: string,
  now: string,
): string[] {
  const c = state.categories[category];
  if (!c) return [];
  const spec = register.categories[category];
  return [
    ...(c.shredded || !c.keyId ? [] : [c.keyId]),
    ...Object.values(c.entries ?? {}).flatMap((e) => (e.shredded || ownHoldOn(state, spec, e, now) ? [] : [e.keyId])),
  ];
}

/** The hold that ends last (`open` latest of all), if any. */
export const latestHold = (holds: readonly Hold[]): Hold | undefined =>
  holds.length === 0
    ? undefined
    : holds.reduce((a, b) => (a.until === 'open' || (b.until !== 'open' && a.until >= b.until) ? a : b));

/** The rule of an entry's end names the entry so: a schedule row with such a rule is due for an entry. */
const entryRule = (entry: string) => `(entry ${entry})`;
export const isEntryRule = (rule: string): boolean => rule.includes('(entry ');

/**
 * When each live entry of the category goes: its own event plus the category's period (or a withdrawal or objection
 * the register shreds the category for, if earlier), pushed back by any hold on it (the DPO's on the category or on
 * the entry alone, the law's period of the entry); `open` while its event, or a period that keeps it, has not
 * started. Once the subject is erased, every entry goes with the erasure (when its holds end). Each entry has its own
 * key, so it goes by shredding that key alone, whatever the category's history. Ordered by end (open last), then entry.
 */
export function entryEnds(state: SubjectState, register: ProcessingRegister, category: string): EntryEnd[] {
  const spec = register.categories[category];
  const event = entryEvent(spec);
  const c = state.categories[category];
  if (!spec || !event || !c?.entries) return [];
  const out: EntryEnd[] = [];
  for (const [entry, e] of Object.entries(c.entries)) {
    if (e.shredded) continue;
    const end = entryOwnEnd(state, register, spec, event, entry, e);
    if (end.at === 'open') {
      out.push(end);
      continue;
    }
    const held = latestHold(entryHolds(state, spec, category, e).filter((h) => h.until === 'open' || h.until > end.at));
    if (held?.until === 'open') out.push({ ...end, at: 'open' });
    else if (held) out.push({ ...end, at: held.until, rule: `${end.rule}; held until ${held.until} (${held.basis})` });
    else out.push(end);
  }
  const rank = (x: EntryEnd) => (x.at === 'open' ? Infinity : Date.parse(x.at));
  return out.sort((a, b) => rank(a) - rank(b) || (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0));
}

/** An entry's end before holds: the erasure, a withdrawal or objection the register shreds for, or its period. */
function entryOwnEnd(
  state: SubjectState,
  register: ProcessingRegister,
  spec: CategorySpec,
  event: string,
  entry: string,
  e: EntryState,
): EntryEnd {
  if (state.erasedAt)
    return { entry, at: state.erasedAt, rule: `erased by request ${entryRule(entry)}`, reason: 'erasure' };
  const reaction = standingReaction(state, register, spec, e.firstRecordedAt);
  const from = entryTriggerTime(state, e, spec.retention.trigger, event);
  const rule = `${spec.retention.duration} after ${event} ${entryRule(entry)}`;
  const at = from ? addIsoDuration(from, spec.retention.duration) : 'open';
  if (reaction && (at === 'open' || reaction.at < at))
    return { entry, at: reaction.at, rule: `${reaction.rule} ${entryRule(entry)}`, reason: reaction.reason };
  return { entry, at, rule, reason: 'retention' };
}

/** The entries whose end has come by `now`: the sweep shreds each one's key. */
export const dueEntries = (state: SubjectState, register: ProcessingRegister, category: string, now: string) =>
  entryEnds(state, register, category).filter((e) => e.at !== 'open' && e.at <= now);

/** The end of the category's retention by its register rule; undefined while its trigger has not happened. */
function retentionEnd(state: SubjectState, category: string, spec: CategorySpec): ShredCause | undefined {
  const from = triggerTime(state, category, spec.retention.trigger);
  return from
    ? {
        at: addIsoDuration(from, spec.retention.duration),
        rule: `${spec.retention.duration} ${describeTrigger(spec.retention.trigger)}`,
        reason: 'retention',
      }
    : undefined;
}

/**
 * Why and from when a live category is to be shredded, before holds: when it is due, the rule that
 * says so, and the shred's reason.
 */
export interface ShredCause {
  at: string;
  rule: string;
  reason: Extract<ShredReason, 'erasure' | 'withdrawal' | 'objection' | 'retention'>;
}

/**
 * Once the subject asked for erasure, or withdrew a consent or objected where the register shreds
 * for that, only a hold keeps a category: it goes when the hold ends, for that reason. Otherwise its
 * register rule ends it; undefined while that rule's trigger has not happened.
 */
export function shredCause(
  state: SubjectState,
  register: ProcessingRegister,
  category: string,
): ShredCause | undefined {
  const spec = register.categories[category];
  const c = state.categories[category];
  // A category that only ever had entries has nothing of its own to shred: its entries run on their own (entryEnds).
  if (!spec || !c || c.shredded || !c.keyId) return undefined;
  if (state.erasedAt) return { at: state.erasedAt, rule: 'erased by request', reason: 'erasure' };
  return standingReaction(state, register, spec, c.firstRecordedAt) ?? retentionEnd(state, category, spec);
}

/**
 * The earliest withdrawal of consent or objection, still standing, for which the register shreds
 * this category (`onConsentWithdrawn` / `onObjection: shred`). Acted on at once unless a hold kept
 * the category; then the retention schedule carries it to the hold's end.
 */
function standingReaction(
  state: SubjectState,
  register: ProcessingRegister,
  spec: CategorySpec,
  since: string,
): ShredCause | undefined {
  let first: ShredCause | undefined;
  const consider = (at: string, rule: string, reason: 'withdrawal' | 'objection') => {
    // Only a no said while this data was there: what was recorded after it (on another purpose's
    // consent) is not its to take.
    if (at >= since && (!first || at < first.at)) first = { at, rule, reason };
  };
  for (const purpose of spec.purposes) {
    const consent = state.consents[purpose];
    if (spec.onConsentWithdrawn === 'shred' && consent && !consent.given)
      consider(consent.at, `consent for ${purpose} withdrawn`, 'withdrawal');
    const objection = state.objections[purpose];
    if (spec.onObjection === 'shred' && objection && objectionReaches(spec, register.purposes[purpose]))
      consider(objection.at, `objection to ${purpose}`, 'objection');
  }
  return first;
}

export interface Hold {
  basis: string;
  until: string;
  source: 'register' | 'dpo';
}

/**
 * The hold that keeps a category now, if any: a DPO hold with an end date in the future, or a
 * register rule (a law keeps the category for a period after its trigger). The later end wins.
 * A hold on one entry, or the law's period of one entry, keeps that entry alone (entryHoldOn).
 */
export function holdOn(
  state: SubjectState,
  spec: CategorySpec | undefined,
  category: string,
  now: string,
): Hold | undefined {
  const holds: Hold[] = [];
  const dpo = state.holds[category];
  if (dpo && dpo.until > now) holds.push({ basis: dpo.basis, until: dpo.until, source: 'dpo' });
  if (spec?.erasure.mode === 'keep') {
    const from = triggerTime(state, category, spec.erasure.retention.trigger);
    if (from) {
      const until = addIsoDuration(from, spec.erasure.retention.duration);
      if (until > now) holds.push({ basis: spec.erasure.law, until, source: 'register' });
    } else {
      // The trigger has not happened yet (e.g. the relationship goes on): kept until it does.
      holds.push({ basis: spec.erasure.law, until: 'open', source: 'register' });
    }
  }
  return latestHold(holds);
}

/** When the clock of a trigger started for this subject and category, or undefined if not yet. */
export function triggerTime(
  state: SubjectState,
  category: string,
  trigger: CategorySpec['retention']['trigger'],
): string | undefined {
  const c = state.categories[category];
  switch (trigger.kind) {
    case 'recorded':
      // Per entry: the whole category's period runs from its newest entry (see entryDuration).
      return c && newestEntry(c);
    case 'lastActivity':
      return c?.lastActivityAt;
    case 'lifecycle':
      return state.lifecycle[trigger.event];
  }
}
