import { consentExpiresAt, restsOnConsent } from './consent.js';
import type { ProcessingRegister } from './register.js';
import type { HoldRow, RetentionRow } from './retention.js';
import type { SubjectState } from './state.js';

/**
 * A consent past the validity the register gives its purpose (`consentValidFor`) grounds nothing any more, like a
 * withdrawn one (Art. 17(1)(b)): what rested on it alone is erased. Expiry is a time event, so the retention
 * schedule carries it: a category holding a value recorded on a consent that expires is due when the earliest such
 * consent expires (pushed back by a hold, as the withdrawal's releases are), and the sweep releases it then
 * (`ReleaseExpiredConsents`, decide/consentExpiry.ts). An entry's values count as the category's own do.
 */

/** The row of a category's earliest consent expiry, if a live value in it rests on a consent that expires. */
function expiryRow(
  state: SubjectState,
  register: ProcessingRegister,
  holds: readonly HoldRow[],
  category: string,
): RetentionRow | undefined {
  const c = state.categories[category];
  if (!c || !register.categories[category]) return undefined;
  // The category's own values while its key lives, and each live entry's under the entry's key.
  const fields = [
    ...(c.shredded ? [] : Object.values(c.fields)),
    ...Object.values(c.entries ?? {}).flatMap((e) => (e.shredded ? [] : Object.values(e.fields))),
  ];
  let first: { at: string; purpose: string } | undefined;
  for (const f of fields)
    for (const h of [{ purpose: f.purpose, legalBasis: f.legalBasis }, ...(f.alsoHeldFor ?? [])]) {
      const consent = state.consents[h.purpose];
      if (!consent?.given || !restsOnConsent(register, h.purpose, h.legalBasis)) continue;
      const at = consentExpiresAt(register, h.purpose, consent.at);
      if (at && (!first || at < first.at)) first = { at, purpose: h.purpose };
    }
  if (!first) return undefined;
  let dueAt = first.at;
  let rule = `consent for ${first.purpose} expired (${register.purposes[first.purpose]!.consentValidFor} after given)`;
  for (const h of holds) {
    if (h.category !== category) continue;
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
