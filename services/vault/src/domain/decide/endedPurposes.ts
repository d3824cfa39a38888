import type { CommandOf, Decider } from './command.js';
import { endedPurposeEvents } from './consentReleases.js';
import { categorySpec } from './guards.js';

/**
 * What purposes that ended keep no longer goes (domain/endedPurposes.ts): what rested on a consent past its validity,
 * and what a hold kept from a withdrawal or an objection once the hold has ended or been released. Run by the
 * retention sweep for a category whose row came due. Nothing where no purpose has ended, a hold keeps the values, or
 * the release was done before.
 */
export const releaseEndedPurposes: Decider<CommandOf<'ReleaseEndedPurposes'>> = (state, command, ctx) => {
  categorySpec(ctx.register, command.category, 'category');
  return endedPurposeEvents(state, ctx.register, command.category, ctx.now, command.remaining);
};
