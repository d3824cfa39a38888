import { restsOnConsent } from '../consent.js';
import { type PurposeEnd, purposeEnd, shreddingExpiry } from '../endedPurposes.js';
import { VaultError } from '../errors.js';
import type { DomainEvent, ShredReason, Unsealed } from '../events.js';
import type { ProcessingRegister } from '../register.js';
import { entryHoldOn, holdOn, shreddableKeyIds } from '../retention.js';
import { entryKeyIdFor, type FieldState, keyIdFor, type SubjectState } from '../state.js';
import { plain } from './command.js';
import { valueName } from './entries.js';

/**
 * Storage limited by each value's purposes (Art. 5(1)(b), 17(1)(b) and (c); issue 23, case 7): a
 * value is kept for the purposes it was recorded for and later also held for, each on its legal
 * basis. Withdrawing consent to a purpose releases every value kept for it on that consent, and an
 * objection to direct marketing (Art. 21(2), final under 21(3)) every value kept for that purpose on
 * any basis; a value that loses its last purpose is erased, and its category re-keyed (or shredded,
 * when nothing is left). An entry's values (a debt-collection case's) are released the same way
 * under the entry's own key: the entry is re-keyed, or its key shredded when nothing of it is left.
 */

/** One category's values a withdrawal reaches: those that lose the purpose but stay, and those erased. */
export interface Release {
  category: string;
  /** The entry whose values these are (re-keyed or shredded under its own key); absent: the category's own. */
  entry?: string;
  /** Fields kept for other purposes too: only the purpose goes. */
  released: string[];
  /** Fields with no purpose left: erased. */
  erase: string[];
  /** The category's other fields, re-sealed under a new key when some are erased. */
  keep: string[];
}

const holdersOf = (f: FieldState) => [{ purpose: f.purpose, legalBasis: f.legalBasis }, ...(f.alsoHeldFor ?? [])];

/**
 * What withdrawing consent to `purpose` releases and erases, per live category. Categories in
 * `shredding` (the register shreds them for the withdrawal) and categories a hold keeps are left
 * as they are: the first go whole, the second stay until the hold ends.
 */
export function consentReleases(
  state: SubjectState,
  register: ProcessingRegister,
  purpose: string,
  now: string,
  shredding: ReadonlySet<string> = new Set(),
): Release[] {
  return releasesWhere(
    state,
    register,
    now,
    shredding,
    (h) => h.purpose === purpose && restsOnConsent(register, h.purpose, h.legalBasis),
  );
}

/**
 * What an objection to `purpose` releases and erases: nothing unless the purpose is direct
 * marketing, whose objection is final (Art. 21(3)) and ends every use of it, whatever the basis. An
 * objection to processing on legitimate interests stops that processing but erases nothing yet: the
 * DPO may still override it on compelling grounds (Art. 21(1)), so the values are restricted, not gone.
 */
export function objectionReleases(
  state: SubjectState,
  register: ProcessingRegister,
  purpose: string,
  now: string,
  shredding: ReadonlySet<string> = new Set(),
): Release[] {
  if (!register.purposes[purpose]?.directMarketing) return [];
  return releasesWhere(state, register, now, shredding, (h) => h.purpose === purpose);
}

/** The releases of the values whose holders `ends` ends, in every live category or in `only`. */
function releasesWhere(
  state: SubjectState,
  register: ProcessingRegister,
  now: string,
  shredding: ReadonlySet<string>,
  ends: (holder: { purpose: string; legalBasis: string }) => boolean,
  only?: string,
): Release[] {
  const out: Release[] = [];
  for (const [category, c] of Object.entries(state.categories)) {
    const spec = register.categories[category];
    if (!spec || shredding.has(category) || (only !== undefined && category !== only)) continue;
    if (!c.shredded && !holdOn(state, spec, category, now)) out.push(...releaseOf({ category }, c.fields, ends));
    // Each entry on its own holds: a hold on the category, on that entry alone (one case in litigation), or the law's.
    for (const [entry, e] of Object.entries(c.entries ?? {}))
      if (!e.shredded && !entryHoldOn(state, spec, category, entry, now))
        out.push(...releaseOf({ category, entry }, e.fields, ends));
  }
  return out;
}

/** The release of one key's values (the category's own, or one entry's); none when nothing is released. */
function releaseOf(
  at: { category: string; entry?: string },
  fields: Record<string, FieldState>,
  ends: (holder: { purpose: string; legalBasis: string }) => boolean,
): Release[] {
  const release: Release = { ...at, released: [], erase: [], keep: [] };
  for (const [field, f] of Object.entries(fields)) {
    const holders = holdersOf(f);
    const left = holders.filter((h) => !ends(h));
    if (left.length === 0) {
      release.erase.push(field);
      continue;
    }
    if (left.length < holders.length) release.released.push(field);
    release.keep.push(field);
  }
  return release.released.length > 0 || release.erase.length > 0 ? [release] : [];
}

/** The name a carried value has in `remaining`: `category.field`, and `@entry` for an entry's. */
export const remainingName = valueName;

/** The values a release's key holds: the category's own, or its entry's. */
export function releasedFields(state: SubjectState, { category, entry }: Release): Record<string, FieldState> {
  const c = state.categories[category]!;
  return entry === undefined ? c.fields : c.entries![entry]!.fields;
}

/** The events of the releases: purposes released, values erased, categories (or entries) re-keyed or shredded. */
export function releaseEvents(
  state: SubjectState,
  purpose: string,
  releases: readonly Release[],
  remaining: Record<string, unknown> | undefined,
  reason: Extract<ShredReason, 'withdrawal' | 'objection' | 'consentExpired'> = 'withdrawal',
): DomainEvent<Unsealed>[] {
  const events: DomainEvent<Unsealed>[] = [];
  for (const release of releases) {
    const { category, entry, released, erase, keep } = release;
    const at = entry === undefined ? {} : { entry };
    for (const field of released)
      events.push({ type: 'PersonalDataReleased', data: { category, field, purpose, ...at } });
    if (erase.length === 0) continue;
    const key = keyOf(state, release);
    if (keep.length === 0) {
      events.push({ type: 'CategoryShredded', data: { category, keyIds: [key.keyId], reason, ...at } });
      continue;
    }
    for (const field of erase) events.push({ type: 'PersonalDataErased', data: { category, field, reason, ...at } });
    const values = keep.map((field) => {
      const name = remainingName(category, field, entry);
      if (!remaining || !Object.hasOwn(remaining, name))
        throw new VaultError(
          'CONFLICT',
          `The value of ${category}.${field} to carry over to a new key was not supplied`,
        );
      return { field, value: plain(remaining[name]) };
    });
    events.push({
      type: 'CategoryRekeyed',
      data: { category, oldKeyIds: [key.keyId], newKeyId: key.next, values, reason, ...at },
    });
  }
  return events;
}

/** The key a release's values are sealed under, and the next one that re-seals those that stay. */
function keyOf(state: SubjectState, { category, entry }: Release): { keyId: string; next: string } {
  const c = state.categories[category]!;
  if (entry === undefined) return { keyId: c.keyId, next: keyIdFor(state.subjectId, category, c.generation + 1) };
  const e = c.entries![entry]!;
  return { keyId: e.keyId, next: entryKeyIdFor(state.subjectId, category, entry, e.generation + 1) };
}

/**
 * What the purposes that ended by `now` release and erase in `category` (domain/endedPurposes.ts): consents past
 * their validity, and a withdrawal or an objection whose releases a hold kept back until it ended. A category the
 * register shreds for a withdrawal (`onConsentWithdrawn: shred`) is shredded whole once a consent to one of its
 * purposes has expired (shreddingExpiry); in another, values kept for another purpose lose only the ended ones, values
 * with none left are erased (the category or entry re-keyed, or its key shredded when nothing is left), for the
 * reason their purposes ended. `remaining`: the values that stay, as for a withdrawal. Nothing once released (a
 * released value no longer holds the purpose), nor while a hold keeps the values.
 */
export function endedPurposeEvents(
  state: SubjectState,
  register: ProcessingRegister,
  category: string,
  now: string,
  remaining?: Record<string, unknown>,
): DomainEvent<Unsealed>[] {
  if (expiryShreds(state, register, category, now)) {
    // As a withdrawal's shred (reactionShreds): an entry held on its own stays, and goes when its hold ends.
    const keyIds = shreddableKeyIds(state, register, category, now);
    return [{ type: 'CategoryShredded', data: { category, keyIds, reason: 'consentExpired' } }];
  }
  const ended = endedBy(state, register, category, now);
  const events: DomainEvent<Unsealed>[] = [];
  const erasing: DomainEvent<Unsealed>[] = [];
  for (const release of endedPurposeReleases(state, register, category, now)) {
    const fields = releasedFields(state, release);
    const at = release.entry === undefined ? {} : { entry: release.entry };
    for (const field of release.released)
      for (const purpose of new Set(holdersOf(fields[field]!).flatMap((h) => (ended(h) ? [h.purpose] : []))))
        events.push({ type: 'PersonalDataReleased', data: { category, field, purpose, ...at } });
    if (release.erase.length === 0) continue;
    // Erased for why their last purposes ended: a withdrawal's or an objection's reason before an expiry's.
    const reasons = release.erase.flatMap((field) => holdersOf(fields[field]!).map((h) => ended(h)!));
    const reason = (['withdrawal', 'objection'] as const).find((r) => reasons.includes(r)) ?? 'consentExpired';
    erasing.push(...releaseEvents(state, '', [{ ...release, released: [] }], remaining, reason));
  }
  return [...events, ...erasing];
}

/**
 * Whether an expired consent shreds the whole category now: the register shreds it for a withdrawal, a consent to one
 * of its purposes has expired while its data was there, and no hold keeps it.
 */
export function expiryShreds(
  state: SubjectState,
  register: ProcessingRegister,
  category: string,
  now: string,
): boolean {
  const expiry = shreddingExpiry(state, register, category);
  return expiry !== undefined && expiry.at <= now && !holdOn(state, register.categories[category], category, now);
}

/**
 * The releases of `endedPurposeEvents`: the category's values kept for a purpose that ended by `now`, none of them
 * under a hold. None where an expiry shreds the whole category (`expiryShreds`): no value of it is carried over.
 */
export function endedPurposeReleases(
  state: SubjectState,
  register: ProcessingRegister,
  category: string,
  now: string,
): Release[] {
  if (expiryShreds(state, register, category, now)) return [];
  const ended = endedBy(state, register, category, now);
  return releasesWhere(state, register, now, new Set(), (h) => ended(h) !== undefined, category);
}

/** Why a value's purpose in `category` no longer keeps it at `now` (purposeEnd), if it does not. */
function endedBy(state: SubjectState, register: ProcessingRegister, category: string, now: string) {
  return (h: { purpose: string; legalBasis: string }): PurposeEnd['reason'] | undefined => {
    const end = purposeEnd(state, register, category, h);
    return end && end.at <= now ? end.reason : undefined;
  };
}
