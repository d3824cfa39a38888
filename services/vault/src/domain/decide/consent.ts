import { consentGiven, consentWithdrawn } from '../consent.js';
import type { CommandOf, Decider } from './command.js';
import { consentReleases, releaseEvents } from './consentReleases.js';
import { assertNotErased, checkKnownPurpose } from './guards.js';
import { reactionShreds } from './reactionShreds.js';

/** Consent given and withdrawn (Art. 7); what consent makes lawful is in domain/consent.ts. */

export const giveConsent: Decider<CommandOf<'GiveConsent'>> = (state, command, ctx) => {
  assertNotErased(state);
  return [consentGiven(ctx.register, command, ctx.actor)];
};

/**
 * A withdrawal shreds at once what the register shreds for it, and erases each value it was the
 * last purpose of (consentReleases.ts), unless a hold keeps it.
 */
export const withdrawConsent: Decider<CommandOf<'WithdrawConsent'>> = (state, command, { register, now, actor }) => {
  checkKnownPurpose(register, command.purpose, 'purpose');
  const withdrawal = consentWithdrawn(command.purpose, command.channel, actor);
  // Withdrawn already: nothing new to record (a consent never given may still be refused, and is).
  if (Object.hasOwn(state.consents, command.purpose) && !state.consents[command.purpose]!.given) return [];
  const shreds = reactionShreds(state, register, now, command.purpose, 'onConsentWithdrawn', 'withdrawal');
  const shredding = new Set(shreds.map((e) => (e.data as { category: string }).category));
  const releases = consentReleases(state, register, command.purpose, now, shredding);
  return [withdrawal, ...shreds, ...releaseEvents(state, command.purpose, releases, command.remaining)];
};
