import { objectionReaches } from './access.js';
import { consentExpiresAt, restsOnConsent } from './consent.js';
import type { ShredReason } from './events.js';
import type { ProcessingRegister } from './register.js';
import type { HoldRow, RetentionRow } from './retention.js';
import type { SubjectState } from './state.js';

/**
 * A value is kept for the purposes it was recorded and held for (issue 23, case 7), and a purpose that ends lets it
 * go: a consent withdrawn or past the validity the register gives its purpose (`consentValidFor`) grounds nothing
 * any more (Art. 17(1)(b)), nor does direct marketing after an objection (Art. 17(1)(c), 21(3)); what rested on them
 * alone is erased. A withdrawal or an objection releases at once what no hold keeps (decide/consentReleases.ts); an
 * expiry, and whatever a hold kept from a withdrawal or an objection (the category's own values under a hold on the
 * category, a case's under a hold on that case), are time events, so the retention schedule carries them: a category
 * holding such a value is due when the earliest purpose ends, pushed back by the holds that keep the value, and the
 * sweep releases it then (`ReleaseEndedPurposes`, decide/endedPurposes.ts), a hold the DPO releases making it due at
 * once. An entry's values count as the category's own do. A category the register shreds for a withdrawal
 * (`onConsentWithdrawn: shred`) or an objection (`onObjection: shred`) goes whole instead: by its own retention row
 * (retention.ts), and for an expiry too (`shreddingExpiry`). What an expiry erases or shreds has the reason
 * `consentExpired`; a withdrawal's and an objection's keep theirs.
 */

/** When a purpose stopped keeping a value (or will), why, and the rule the schedule shows for it. */
export interface PurposeEnd {
  at: string;
  purpose: string;
  reason: Extract<ShredReason, 'withdrawal' | 'objection' | 'consentExpired'>;
  rule: string;
}

/**
 * When the purpose `holder` keeps a value of `category` for ends, on its own legal basis: the withdrawal of the
 * consent it rests on, that consent's expiry, or a final objection to it as direct marketing, whichever comes first;
 * undefined while none is to come, or where the register shreds the whole category for the withdrawal or objection
 * (its retention row carries that).
 */
export function purposeEnd(
  state: SubjectState,
  register: ProcessingRegister,
  category: string,
  holder: { purpose: string; legalBasis: string },
): PurposeEnd | undefined {
  const { purpose } = holder;
  const consent = Object.hasOwn(state.consents, purpose) ? state.consents[purpose] : undefined;
  const objection = Object.hasOwn(state.objections, purpose) ? state.objections[purpose] : undefined;
  // Most values: a purpose the subject never consented to nor objected to (the projector asks for every value).
  if (!consent && !objection) return undefined;
  const spec = register.categories[category];
  const p = Object.hasOwn(register.purposes, purpose) ? register.purposes[purpose] : undefined;
  const ends: PurposeEnd[] = [];
  if (consent && restsOnConsent(register, purpose, holder.legalBasis)) {
    if (!consent.given) {
      if (spec?.onConsentWithdrawn !== 'shred')
        ends.push({ at: consent.at, purpose, reason: 'withdrawal', rule: `consent for ${purpose} withdrawn` });
    } else {
      const at = consentExpiresAt(register, purpose, consent.at);
      if (at)
        ends.push({
          at,
          purpose,
          reason: 'consentExpired',
          rule: `consent for ${purpose} expired (${p?.consentValidFor} after given)`,
        });
    }
  }
  if (objection && p?.directMarketing && !(spec?.onObjection === 'shred' && objectionReaches(spec, p)))
    ends.push({ at: objection.at, purpose, reason: 'objection', rule: `objection to ${purpose}` });
  return ends.reduce<PurposeEnd | undefined>((a, b) => (!a || b.at < a.at ? b : a), undefined);
}

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
 * The earliest time a purpose keeping a live value of the category ends (the category's own values, or an entry's):
 * for an entry held on its own (`holds` rows naming it), not before that hold ends, and never while it is open.
 */
function valueEnd(
  state: SubjectState,
  register: ProcessingRegister,
  holds: readonly HoldRow[],
  category: string,
): PurposeEnd | undefined {
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
  let first: PurposeEnd | undefined;
  for (const { fields, heldUntil } of groups)
    for (const f of fields)
      for (const h of [{ purpose: f.purpose, legalBasis: f.legalBasis }, ...(f.alsoHeldFor ?? [])]) {
        const end = purposeEnd(state, register, category, h);
        if (!end) continue;
        const at = heldUntil > end.at ? heldUntil : end.at;
        if (!first || at < first.at) first = { ...end, at };
      }
  return first;
}

/**
 * The row of a category's earliest ended purpose, if a live value in it is kept for a purpose that ends (or ended
 * while a hold kept the value), or the register shreds it for a withdrawal and a consent to one of its purposes
 * expires.
 */
function endRow(
  state: SubjectState,
  register: ProcessingRegister,
  holds: readonly HoldRow[],
  category: string,
): RetentionRow | undefined {
  if (!state.categories[category] || !register.categories[category]) return undefined;
  const value = valueEnd(state, register, holds, category);
  const shred = shreddingExpiry(state, register, category);
  let dueAt: string;
  let rule: string;
  if (shred && (!value || shred.at < value.at)) {
    dueAt = shred.at;
    rule = `consent for ${shred.purpose} expired (${register.purposes[shred.purpose]!.consentValidFor} after given)`;
  } else if (value) ({ at: dueAt, rule } = value);
  else return undefined;
  for (const h of holds) {
    // A hold on one entry alone moves only that entry's values (valueEnd).
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
 * The retention rows with each category's earliest ended purpose where it comes first: one row per category, due at
 * the earlier of its retention end and that purpose's end. Once the sweep released what the purpose kept, the
 * category's own row is back.
 */
export function withEndedPurposes(
  rows: readonly RetentionRow[],
  state: SubjectState,
  register: ProcessingRegister,
  holds: readonly HoldRow[],
): RetentionRow[] {
  const out = [...rows];
  for (const category of Object.keys(state.categories)) {
    const end = endRow(state, register, holds, category);
    if (!end) continue;
    const i = out.findIndex((r) => r.category === category);
    if (i < 0) out.push(end);
    else if (end.dueAt < out[i]!.dueAt) out[i] = end;
  }
  return out;
}
