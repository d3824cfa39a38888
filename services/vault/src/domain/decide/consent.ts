import { consentGiven } from '../consent.js';
import type { CommandOf, Decider } from './command.js';
import { assertNotErased, checkKnownPurpose } from './guards.js';
import { reactionShreds } from './reactionShreds.js';

/** Consent given and withdrawn (Art. 7); what consent makes lawful is in domain/consent.ts. */

export const giveConsent: Decider<CommandOf<'GiveConsent'>> = (state, command, ctx) => {
  assertNotErased(state);
  return [consentGiven(ctx.register, command, ctx.actor)];
};

/** A withdrawal shreds at once what the register shreds for it, unless a hold keeps it. */
export const withdrawConsent: Decider<CommandOf<'WithdrawConsent'>> = (state, command, { register, now }) => {
  checkKnownPurpose(register, command.purpose, 'purpose');
  // Withdrawn already: nothing new to record (a consent never given may still be refused, and is).
  if (Object.hasOwn(state.consents, command.purpose) && !state.consents[command.purpose]!.given) return [];
  return [
    { type: 'ConsentWithdrawn', data: { purpose: command.purpose } },
    ...reactionShreds(state, register, now, command.purpose, 'onConsentWithdrawn', 'withdrawal'),
  ];
};
