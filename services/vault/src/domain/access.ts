import { consentStatus } from './consent.js';
import { type CategorySpec, OBJECTION_BASES, type ProcessingRegister, type PurposeSpec } from './register.js';
import { entryOf, type SubjectState } from './state.js';

export const DENIAL_REASONS = [
  'PURPOSE_NOT_ALLOWED',
  'RESTRICTED',
  'OBJECTED',
  'CONSENT_WITHDRAWN',
  'NO_CONSENT',
  'CONSENT_EXPIRED',
  'CONTESTED',
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

/**
 * Art. 18(1)(a): a value whose accuracy the subject contests is kept, not used, while the DPO checks
 * it: a service reads it as denied (CONTESTED); the DPO and the subject itself still see it.
 */
export const contestedFor = (
  state: SubjectState,
  category: string,
  field: string,
  callerPurposes: readonly string[] | 'all',
  entry?: string,
): boolean => {
  if (callerPurposes === 'all') return false;
  const c = state.categories[category];
  const f = entry === undefined ? c?.fields[field] : entryOf(c, entry)?.fields[field];
  return Boolean(f?.contested);
};

/**
 * The categories a caller's purposes reach: those the register processes for at least one purpose
 * the caller holds. A service learns that a subject exists, and sees the shape of its data (fields,
 * times, denials, erasures), only through these (need to know); `all` for the DPO and the subject
 * itself. Kept per purpose list: a service's list is the same array for as long as its token is.
 */
export function reachedCategories(
  register: ProcessingRegister,
  callerPurposes: readonly string[] | 'all',
): ReadonlySet<string> | 'all' {
  if (callerPurposes === 'all') return 'all';
  let byList = reachCache.get(register);
  if (!byList) reachCache.set(register, (byList = new WeakMap()));
  let reached = byList.get(callerPurposes);
  if (!reached) {
    reached = new Set(
      Object.entries(register.categories)
        .filter(([, c]) => c.purposes.some((p) => callerPurposes.includes(p)))
        .map(([name]) => name),
    );
    byList.set(callerPurposes, reached);
  }
  return reached;
}
const reachCache = new WeakMap<ProcessingRegister, WeakMap<readonly string[], ReadonlySet<string>>>();

/**
 * The access log records what a read disclosed under its purpose; what it disclosed only about the
 * data (that the subject exists, field names, times, denials, erasures), not its values, is
 * recorded under the purpose with this prefix. Purpose names cannot hold a colon, so the two never meet.
 */
export const METADATA_PURPOSE_PREFIX = 'metadata:';
export const metadataPurpose = (purpose: string): string => `${METADATA_PURPOSE_PREFIX}${purpose}`;

/**
 * May a caller holding `callerPurposes` use a category of this subject for `purpose`?
 * Checked in order: the caller's token, the register, a restriction (Art. 18, or an erasure that
 * had to keep the category), an objection (Art. 21), consent where the purpose needs it (and, given
 * `now`, its validity under the register's `consentValidFor`).
 */
export function accessDecision(
  state: SubjectState,
  register: ProcessingRegister,
  category: string,
  purpose: string,
  callerPurposes: readonly string[] | 'all',
  now?: string,
): { allowed: true } | { allowed: false; reason: DenialReason } {
  const p = register.purposes[purpose];
  if (!p || (callerPurposes !== 'all' && !callerPurposes.includes(purpose)))
    return { allowed: false, reason: 'PURPOSE_NOT_ALLOWED' };
  if (!register.categories[category]?.purposes.includes(purpose))
    return { allowed: false, reason: 'PURPOSE_NOT_ALLOWED' };
  if (state.restrictions[category]) return { allowed: false, reason: 'RESTRICTED' };
  // What an erasure had to keep (a law or a hold) is kept, not used (Art. 17(3), 18): services no
  // longer read it; the DPO (audits, claims) and the subject itself still do.
  if (state.erasedAt && callerPurposes !== 'all') return { allowed: false, reason: 'RESTRICTED' };
  if (objectedTo(state, register, category, purpose)) return { allowed: false, reason: 'OBJECTED' };
  if (p.requiresConsent) {
    const c = state.consents[purpose];
    if (!c) return { allowed: false, reason: 'NO_CONSENT' };
    if (!c.given) return { allowed: false, reason: 'CONSENT_WITHDRAWN' };
    // Past the validity the register gives consents to the purpose: none stands until it is given again.
    if (now !== undefined && consentStatus(register, purpose, c, now) === 'expired')
      return { allowed: false, reason: 'CONSENT_EXPIRED' };
  }
  return { allowed: true };
}

/**
 * Whether an objection to a purpose reaches a category (Art. 21): always for direct marketing,
 * otherwise only where the category is processed on legitimate interests or a public task, not
 * where only a contract, a law or consent grounds it.
 */
export const objectionReaches = (spec: CategorySpec | undefined, purpose: PurposeSpec | undefined): boolean =>
  Boolean(purpose?.directMarketing) || Boolean(spec?.legalBasis.some((b) => OBJECTION_BASES.includes(b)));

/**
 * The subject objected to this use: to the purpose where the objection reaches the category, or to
 * any direct marketing when this is direct marketing.
 */
export function objectedTo(
  state: SubjectState,
  register: ProcessingRegister,
  category: string,
  purpose: string,
): boolean {
  const p = register.purposes[purpose];
  if (p?.directMarketing && Object.keys(state.objections).some((o) => register.purposes[o]?.directMarketing))
    return true;
  return Boolean(state.objections[purpose]) && objectionReaches(register.categories[category], p);
}
