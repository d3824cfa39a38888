import { assertCode, badInput, VaultError } from '../errors.js';
import { HOLD_BASES } from '../events.js';
import { instantInput } from '../time.js';
import type { CommandOf, Decider } from './command.js';
import { categorySpec } from './guards.js';

/** Legal holds the DPO places and releases: a held category is kept past erasure and retention. */

export const placeLegalHold: Decider<CommandOf<'PlaceLegalHold'>> = (state, command, { register, now }) => {
  const spec = categorySpec(register, command.category, 'category');
  assertCode(HOLD_BASES, command.basis, 'basis');
  const until = instantInput(command.until, 'until');
  if (until <= now) throw badInput('until must be in the future', 'until');
  const c = state.categories[command.category];
  if (c?.shredded && !Object.keys(c.fields).length) {
    const message = `Category ${spec.name} is already shredded; there is nothing left to hold`;
    throw new VaultError('KEY_SHREDDED', message, { path: 'category' });
  }
  // One DPO hold a category: a second one may extend it, never shorten it unnoticed (litigation
  // evidence must not go early because an insurance claim ends first). Release it to shorten.
  const held = state.holds[command.category];
  if (held && held.until > until) {
    throw new VaultError(
      'CONFLICT',
      `${spec.name} is already held until ${held.until} (${held.basis}); ` +
        'a hold ending sooner would shorten it: release that hold first',
      { path: 'until' },
    );
  }
  if (held && held.until === until && held.basis === command.basis) return [];
  return [{ type: 'LegalHoldPlaced', data: { category: command.category, basis: command.basis, until } }];
};

export const releaseLegalHold: Decider<CommandOf<'ReleaseLegalHold'>> = (state, command, { register }) => {
  const spec = categorySpec(register, command.category, 'category');
  if (!state.holds[command.category]) {
    throw new VaultError('NOT_FOUND', `No legal hold on ${spec.name}`, { path: 'category' });
  }
  return [{ type: 'LegalHoldReleased', data: { category: command.category } }];
};
