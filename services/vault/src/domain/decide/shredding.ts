import { holdOn, holdsOf, retentionOf, shredCause } from '../retention.js';
import type { CommandOf, Decider } from './command.js';
import { assertNotHeld, categorySpec } from './guards.js';

/** Shredding a category's key: on demand, or when its retention has ended. A shredded category shreds nothing more. */

export const shredCategory: Decider<CommandOf<'ShredCategory'>> = (state, command, { register, now }) => {
  const spec = categorySpec(register, command.category, 'category');
  const c = state.categories[command.category];
  if (!c || c.shredded) return [];
  assertNotHeld(state, spec, command.category, now);
  const { category, reason, rule } = command;
  return [{ type: 'CategoryShredded', data: { category, keyIds: [c.keyId], reason, ...(rule ? { rule } : {}) } }];
};

/** Shreds the category if its retention (and any hold) has ended by the decision time; else nothing. */
export const applyRetention: Decider<CommandOf<'ApplyRetention'>> = (state, command, { register, now }) => {
  const { category } = command;
  categorySpec(register, category, 'category');
  const c = state.categories[category];
  if (!c || c.shredded) return [];
  const due = retentionOf(state, register, holdsOf(state, register)).find((r) => r.category === category);
  if (!due || due.dueAt > now || holdOn(state, register.categories[category], category, now)) return [];
  // Shredded for what made it due: its retention period, or an erasure, withdrawal or objection a hold had deferred.
  const reason = shredCause(state, register, category)?.reason ?? 'retention';
  return [{ type: 'CategoryShredded', data: { category, keyIds: [c.keyId], reason, rule: due.rule } }];
};
