import { assertCode, badInput, VaultError } from '../errors.js';
import { HOLD_BASES } from '../events.js';
import { instantInput } from '../time.js';
import type { CommandOf, Decider } from './command.js';
import { liveEntryIn } from './entries.js';
import { categorySpec } from './guards.js';

/**
 * Legal holds the DPO places and releases: a held category is kept past erasure and retention. A hold
 * on one entry (`entry`: a debt-collection case in litigation) keeps that entry alone, the category's
 * other entries and its own values going on their clocks.
 */

export const placeLegalHold: Decider<CommandOf<'PlaceLegalHold'>> = (state, command, { register, now }) => {
  const spec = categorySpec(register, command.category, 'category');
  assertCode(HOLD_BASES, command.basis, 'basis');
  const until = instantInput(command.until, 'until');
  if (until <= now) throw badInput('until must be in the future', 'until');
  const { category, entry } = command;
  let held: { basis: string; until: string } | undefined;
  if (entry !== undefined) held = liveEntryIn(state, spec, category, entry, 'entry').hold;
  else {
    const c = state.categories[category];
    if (c?.shredded && !Object.keys(c.fields).length && !Object.values(c.entries ?? {}).some((e) => !e.shredded)) {
      const message = `Category ${spec.name} is already shredded; there is nothing left to hold`;
      throw new VaultError('KEY_SHREDDED', message, { path: 'category' });
    }
    held = state.holds[category];
  }
  // One DPO hold a category (and one an entry): a second one may extend it, never shorten it unnoticed
  // (litigation evidence must not go early because an insurance claim ends first). Release it to shorten.
  if (held && held.until > until) {
    const what = entry === undefined ? spec.name : `This entry of ${spec.name}`;
    throw new VaultError(
      'CONFLICT',
      `${what} is already held until ${held.until} (${held.basis}); ` +
        'a hold ending sooner would shorten it: release that hold first',
      { path: 'until' },
    );
  }
  if (held && held.until === until && held.basis === command.basis) return [];
  const at = entry === undefined ? {} : { entry };
  return [{ type: 'LegalHoldPlaced', data: { category, basis: command.basis, until, ...at } }];
};

export const releaseLegalHold: Decider<CommandOf<'ReleaseLegalHold'>> = (state, command, { register }) => {
  const spec = categorySpec(register, command.category, 'category');
  const { category, entry } = command;
  if (entry !== undefined) {
    if (!liveEntryIn(state, spec, category, entry, 'entry').hold)
      throw new VaultError('NOT_FOUND', `No legal hold on this entry of ${spec.name}`, { path: 'entry' });
    return [{ type: 'LegalHoldReleased', data: { category, entry } }];
  }
  if (!state.holds[category]) {
    throw new VaultError('NOT_FOUND', `No legal hold on ${spec.name}`, { path: 'category' });
  }
  return [{ type: 'LegalHoldReleased', data: { category } }];
};
