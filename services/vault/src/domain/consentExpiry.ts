import { consentExpiresAt, restsOnConsent } from './consent.js';
import type { ProcessingRegister } from './register.js';
import type { HoldRow, RetentionRow } from './retention.js';
import type { SubjectState } from './state.js';

/**
 * A consent past the validity the register gives its purpose (`consentValidFor`) grounds nothing any more, like a
 * withdrawn one (Art. 17(1)(b)): what rested on it alone is erased. Expiry is a time event, so the retention
 * schedule carries it: a category holding a value recorded on a consent that expires is due when the earliest such
 * consent expires (pushed back by a hold, as the withdrawal's releases are), and the sweep releases it then
 * (`ReleaseExpiredConsents`, decide/consentExpiry.ts). An entry's values count as the category's own do. A category
 * the register shreds for a withdrawal (`onConsentWithdrawn: shred`) is shredded whole by an expiry too. What an
 * expiry erases or shreds has the reason `consentExpired`.
 */

/**
 * The earliest expiry of a consent to one of the category's purposes, where the register shreds the category for a
 * withdrawal (`onConsentWithdrawn: shred`): an expiry shreds it as a withdrawal would. Only a consent that lapses
 * while the category's data is there, as only a withdrawal said then shreds it.
 */
export function shreddingExpiry(
  state: SubjectState,
  register: ProcessingRegister,
  category: string,
): { at: string; purpose: string } | undefined {
  const spec = register.categories[category];
  const c = state.categories[category];
  if (!spec || !c || c.shredded || spec.onConsentWithdrawn !== 'shred') return undefined;
  let first: { at: string; purpose: string } | undefined;
  for (const purpose of spec.purposes) {
    const consent = Object.hasOwn(state.consents, purpose) ? state.consents[purpose] : undefined;
    if (!consent?.given) continue;
    const at = consentExpiresAt(register, purpose, consent.at);
    if (at && at >= c.firstRecordedAt && (!first || at < first.at)) first = { at, purpose };
  }
  return first;
}

/**
 * The earliest time a consent a live value of the category rests on expires (the category's own, or an entry's): for
 * an entry held on its own (`holds` rows naming it), not before that hold ends, and never while it is open.
 */
function valueExpiry(
  state: SubjectState,
  register: ProcessingRegister,
  holds: readonly HoldRow[],
  category: string,
): { at: string; purpose: string } | undefined {
  const c = state.categories[category]!;
  // The category's own values while its key lives, and each live entry's under the entry's key, after its own hold.
  const groups = [
    ...(c.shredded ? [] : [{ fields: Object.values(c.fields), heldUntil: '' }]),
    ...Object.entries(c.entries ?? {}).flatMap(([entry, e]) => {
      if (e.shredded) return [];
      const own = holds.filter((h) => h.category === category && h.entry === entry).map((h) => h.until);
      if (own.includes('open')) return [];
      return [{ fields: Object.values(e.fields), heldUntil: own.reduce((a, b) => (b > a ? b : a), '') }];
    }),
  ];
  let first: { at: string; purpose: string } | undefined;
  for (const { fields, heldUntil } of groups)
    for (const f of fields)
      for (const h of [{ purpose: f.purpose, legalBasis: f.legalBasis }, ...(f.alsoHeldFor ?? [])]) {
        const consent = Object.hasOwn(state.consents, h.purpose) ? state.consents[h.purpose] : undefined;
        if (!consent?.given || !restsOnConsent(register, h.purpose, h.legalBasis)) continue;
        const expires = consentExpiresAt(register, h.purpose, consent.at);
        const at = expires && (heldUntil > expires ? heldUntil : expires);
        if (at && (!first || at < first.at)) first = { at, purpose: h.purpose };
      }
  return first;
}

/**
 * The row of a category's earliest consent expiry, if a live value in it rests on a consent that expires, or the
 * register shreds it for a withdrawal and a consent to one of its purposes expires.
 */
function expiryRow(
  state: SubjectState,
  register: ProcessingRegister,
  holds: readonly HoldRow[],
  category: string,
): RetentionRow | undefined {
  if (!state.categories[category] || !register.categories[category]) return undefined;
  const [a, b] = [valueExpiry(state, register, holds, category), shreddingExpiry(state, register, category)];
  const first = a && b ? (b.at < a.at ? b : a) : (a ?? b);
  if (!first) return undefined;
  let dueAt = first.at;
  let rule = `consent for ${first.purpose} expired (${register.purposes[first.purpose]!.consentValidFor} after given)`;
  for (const h of holds) {
    // A hold on one entry alone moves only that entry's values (valueExpiry).
    if (h.category !== category || h.entry !== undefined) continue;
    if (h.until === 'open') return undefined;
    if (h.until > dueAt) {
      dueAt = h.until;
      rule = `${rule}; held until ${h.until} (${h.basis})`;
    }
  }
  return { subjectId: state.subjectId, category, dueAt, rule };
}

/**
 * The retention rows with each category's consent expiry where it comes first: one row per category, due at the
 * earlier of its retention end and the expiry. Once the sweep released what the expired consent held, the category's
 * own row is back.
 */
export function withConsentExpiry(
  rows: readonly RetentionRow[],
  state: SubjectState,
  register: ProcessingRegister,
  holds: readonly HoldRow[],
): RetentionRow[] {
  const out = [...rows];
  for (const category of Object.keys(state.categories)) {
    const expiry = expiryRow(state, register, holds, category);
    if (!expiry) continue;
    const i = out.findIndex((r) => r.category === category);
    if (i < 0) out.push(expiry);
    else if (expiry.dueAt < out[i]!.dueAt) out[i] = expiry;
  }
  return out;
}
