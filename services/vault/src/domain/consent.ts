import { assertCode, badInput } from './errors.js';
import { CONSENT_CHANNELS, type ConsentChannel, type EventOf, type Unsealed } from './events.js';
import { unknownName } from './names.js';
import type { ProcessingRegister } from './register.js';
import type { ConsentProof, ConsentState } from './state.js';
import { addIsoDuration } from './time.js';

/**
 * Consent as the vault relies on it: the rule that makes storing a value on consent lawful, and
 * the proof of each consent given (Art. 7(1): the controller must be able to demonstrate it).
 *
 * The rule, for every write of a value (record and rectify): an item *rests on consent* when it
 * is stored on the legal basis `consent`, or for a purpose the register marks `requiresConsent`.
 * Such an item is stored only while the subject has a standing consent (given, not withdrawn)
 * for the item's purpose, given before the call or in it. Any other item is lawful on the basis
 * it names, which the register must give its category.
 *
 * So a category with several purposes on different bases is stored lawfully when at least one of
 * its purposes rests on a basis other than consent, or has a standing consent: but only for that
 * purpose. Each item names the purpose it is stored for, and that purpose is the one that must be
 * lawful: an email recorded in `contact` for `marketing` needs marketing consent although
 * `contact` is also kept for the contract, while the same email recorded for `contract` needs
 * none. Otherwise a record would claim a consent the vault cannot show.
 */

/** A consent as a command gives it. Who collected it is the principal of the call, never input. */
export interface ConsentInput {
  purpose: string;
  /** The privacy notice shown when the consent was asked: its id (a code, never free text). */
  noticeId: string;
  /** The version of that notice (a code, e.g. `2026-01` or `v3.2`). */
  noticeVersion: string;
  /** How the consent was given: one of CONSENT_CHANNELS. */
  channel: string;
}

export type { ConsentProof, ConsentState } from './state.js';

/**
 * Notice ids and versions travel as plaintext metadata: codes and document names, never prose,
 * addresses or query strings.
 */
const NOTICE_CODE = /^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,127}$/;

function noticeCode(value: unknown, what: string, path: string): string {
  if (typeof value !== 'string' || !NOTICE_CODE.test(value)) {
    throw badInput(
      `A ${what} is a code of at most 128 letters, digits and . _ : / # - ` +
        '(it is stored as plaintext metadata, so never free text)',
      path,
    );
  }
  return value;
}

/** The ConsentGiven event for `input`, collected by `collectedBy`; `prefix` is the input's path (`consents[0].`). */
export function consentGiven(
  register: ProcessingRegister,
  input: ConsentInput,
  collectedBy: string,
  prefix = '',
): EventOf<'ConsentGiven', Unsealed> {
  if (!Object.hasOwn(register.purposes, input.purpose))
    throw unknownName('purpose', Object.keys(register.purposes), `${prefix}purpose`);
  const noticeId = noticeCode(input.noticeId, 'notice id', `${prefix}noticeId`);
  const noticeVersion = noticeCode(input.noticeVersion, 'notice version', `${prefix}noticeVersion`);
  assertCode(CONSENT_CHANNELS, input.channel, `${prefix}channel`);
  return {
    type: 'ConsentGiven',
    data: { purpose: input.purpose, noticeId, noticeVersion, channel: input.channel as ConsentChannel, collectedBy },
  };
}

/**
 * The ConsentWithdrawn event for `purpose`, taken by `collectedBy` through `channel` (one of
 * CONSENT_CHANNELS; undefined: not recorded, as before withdrawals kept it). The purpose is checked by the caller.
 */
export function consentWithdrawn(
  purpose: string,
  channel: string | undefined,
  collectedBy: string,
): EventOf<'ConsentWithdrawn', Unsealed> {
  if (channel !== undefined) assertCode(CONSENT_CHANNELS, channel, 'channel');
  const how = channel === undefined ? {} : { channel: channel as ConsentChannel };
  return { type: 'ConsentWithdrawn', data: { purpose, ...how, collectedBy } };
}

/** The consents a write gives in the same call, as events, one per purpose. */
export function consentsGiven(
  register: ProcessingRegister,
  inputs: readonly ConsentInput[] | undefined,
  collectedBy: string,
): EventOf<'ConsentGiven', Unsealed>[] {
  const seen = new Set<string>();
  return (inputs ?? []).map((input, i) => {
    const event = consentGiven(register, input, collectedBy, `consents[${i}].`);
    if (seen.has(input.purpose))
      throw badInput(`Consent for ${input.purpose} appears twice in one command`, `consents[${i}].purpose`);
    seen.add(input.purpose);
    return event;
  });
}

/** Whether storing an item for `purpose` on `legalBasis` rests on consent (see the rule above). */
export const restsOnConsent = (register: ProcessingRegister, purpose: string, legalBasis: string): boolean =>
  legalBasis === 'consent' ||
  Boolean(Object.hasOwn(register.purposes, purpose) && register.purposes[purpose]!.requiresConsent);

/**
 * When a consent to `purpose` given at `givenAt` expires, under the register's `consentValidFor` for the purpose;
 * null when the register sets none (it lasts until withdrawn) or the time it was given is unknown.
 */
export function consentExpiresAt(register: ProcessingRegister, purpose: string, givenAt: string | null): string | null {
  const validFor = Object.hasOwn(register.purposes, purpose) ? register.purposes[purpose]!.consentValidFor : undefined;
  return validFor && givenAt ? addIsoDuration(givenAt, validFor) : null;
}

/** A consent as it stands at a time: given (and not expired), withdrawn, or past its validity. */
export type ConsentStatus = 'given' | 'withdrawn' | 'expired';

/** The status of the subject's consent `c` to `purpose` at `now` (its last giving is `c.at` while it is given). */
export function consentStatus(
  register: ProcessingRegister,
  purpose: string,
  c: ConsentState,
  now: string,
): ConsentStatus {
  if (!c.given) return 'withdrawn';
  const expiresAt = consentExpiresAt(register, purpose, c.at);
  return expiresAt !== null && expiresAt <= now ? 'expired' : 'given';
}

/** Whether the subject's consent to `purpose` stands at `now`: given, not withdrawn, and not past its validity. */
export const consentStands = (
  consents: Record<string, ConsentState>,
  purpose: string,
  register: ProcessingRegister,
  now: string,
): boolean => Object.hasOwn(consents, purpose) && consentStatus(register, purpose, consents[purpose]!, now) === 'given';

/**
 * The proofs of a purpose's consents. A snapshot from before proofs were kept stands for its one
 * known consent, of unknown provenance.
 */
export function proofsOf(c: ConsentState | undefined): ConsentProof[] {
  if (!c) return [];
  if (c.proofs) return c.proofs;
  return [unknownProof(c.given ? c.at : null, c.given ? null : c.at)];
}

/** `recorded` when the vault kept what was consented to and how; `unknown` for a consent recorded before it did. */
export const provenanceOf = (p: ConsentProof): 'recorded' | 'unknown' =>
  p.noticeId !== null && p.channel !== null && p.collectedBy !== null ? 'recorded' : 'unknown';

const unknownProof = (givenAt: string | null, withdrawnAt: string | null): ConsentProof => ({
  eventId: null,
  givenAt,
  noticeId: null,
  noticeVersion: null,
  channel: null,
  collectedBy: null,
  withdrawnAt,
});

/** Applies ConsentGiven. An event from before proofs were kept gives a proof of unknown provenance. */
export function evolveConsentGiven(
  consents: Record<string, ConsentState>,
  event: EventOf<'ConsentGiven', unknown> & { id: string; at: string },
): void {
  const d = event.data;
  const proofs = proofsOf(consents[d.purpose]);
  proofs.push({
    eventId: event.id,
    givenAt: event.at,
    noticeId: d.noticeId ?? null,
    noticeVersion: d.noticeVersion ?? null,
    channel: d.channel ?? null,
    collectedBy: d.collectedBy ?? null,
    withdrawnAt: null,
  });
  consents[d.purpose] = { given: true, at: event.at, proofs };
}

/**
 * Applies ConsentWithdrawn: every consent standing for the purpose ends. A withdrawal of a consent
 * the vault never recorded (given before it kept consents) is kept as such, of unknown provenance.
 */
export function evolveConsentWithdrawn(
  consents: Record<string, ConsentState>,
  event: EventOf<'ConsentWithdrawn', unknown> & { at: string },
): void {
  const { purpose, channel, collectedBy } = event.data;
  const { at } = event;
  const proofs = proofsOf(consents[purpose]);
  const open = proofs.filter((p) => p.withdrawnAt === null);
  if (open.length === 0 && consents[purpose]?.given !== false) open.push(unknownProof(null, at));
  for (const p of open) {
    if (!proofs.includes(p)) proofs.push(p);
    p.withdrawnAt = at;
    // Absent (not null) in withdrawals recorded before the vault kept how they came, so older proofs keep their shape.
    if (channel !== undefined || collectedBy !== undefined) {
      p.withdrawalChannel = channel ?? null;
      p.withdrawnBy = collectedBy ?? null;
    }
  }
  consents[purpose] = { given: false, at, proofs };
}
