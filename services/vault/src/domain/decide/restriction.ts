import { assertCode, badInput } from '../errors.js';
import { RESTRICTION_REASONS } from '../events.js';
import type { ProcessingRegister } from '../register.js';
import type { CommandOf, Decider } from './command.js';
import { categorySpec } from './guards.js';

/** Restriction of processing (Art. 18): the data is kept, not used, until the restriction is lifted. */

export const restrictProcessing: Decider<CommandOf<'RestrictProcessing'>> = (_state, command, { register }) => {
  checkCategories(register, command.categories);
  assertCode(RESTRICTION_REASONS, command.reason, 'reason');
  return [{ type: 'ProcessingRestricted', data: { categories: command.categories, reason: command.reason } }];
};

/** Only what is restricted can be lifted; nothing restricted, nothing to record. */
export const liftRestriction: Decider<CommandOf<'LiftRestriction'>> = (state, command, { register }) => {
  checkCategories(register, command.categories);
  const restricted = command.categories.filter((c) => state.restrictions[c]);
  return restricted.length === 0 ? [] : [{ type: 'RestrictionLifted', data: { categories: restricted } }];
};

function checkCategories(register: ProcessingRegister, categories: readonly string[]): void {
  if (categories.length === 0) throw badInput('At least one category is required', 'categories');
  categories.forEach((c, i) => categorySpec(register, c, `categories[${i}]`));
}
