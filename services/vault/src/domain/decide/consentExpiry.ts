import type { CommandOf, Decider } from './command.js';
import { expiryEvents } from './consentReleases.js';
import { categorySpec } from './guards.js';

/**
 * A consent past its validity erases what rested on it alone, as its withdrawal would (domain/consentExpiry.ts);
 * run by the retention sweep for a category whose row came due. Nothing where no consent has expired, a hold
 * keeps the category, or the release was done before.
 */
export const releaseExpiredConsents: Decider<CommandOf<'ReleaseExpiredConsents'>> = (state, command, ctx) => {
  categorySpec(ctx.register, command.category, 'category');
  return expiryEvents(state, ctx.register, command.category, ctx.now, command.remaining);
};
