import { VaultError } from '../errors.js';
import type { DomainEvent, Unsealed } from '../events.js';
import { expiringEntries, holdOn, holdsOf, retentionOf, shredCause } from '../retention.js';
import { keyIdFor } from '../state.js';
import { type CommandOf, type Decider, plain } from './command.js';
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
  if (!due || due.dueAt > now) return [];
  const expiring = expiringEntries(state, register, category, now);
  if (expiring) return expireEntries(state.subjectId, category, c.keyId, c.generation, expiring, command.remaining);
  if (holdOn(state, register.categories[category], category, now)) return [];
  // Shredded for what made it due: its retention period, or an erasure, withdrawal or objection a hold had deferred.
  const reason = shredCause(state, register, category)?.reason ?? 'retention';
  return [{ type: 'CategoryShredded', data: { category, keyIds: [c.keyId], reason, rule: due.rule } }];
};

/**
 * The entries whose period ended go (each value erased for retention), the others are re-sealed
 * under the category's next key, and the old key is shredded with every value it ever sealed.
 */
function expireEntries(
  subjectId: string,
  category: string,
  keyId: string,
  generation: number,
  { drop, keep }: { drop: string[]; keep: string[] },
  remaining: Record<string, unknown> | undefined,
): DomainEvent<Unsealed>[] {
  const values = keep.map((field) => {
    if (!remaining || !Object.hasOwn(remaining, field))
      throw new VaultError('CONFLICT', `The value of ${category}.${field} to carry over to a new key was not supplied`);
    return { field, value: plain(remaining[field]) };
  });
  return [
    ...drop.map((field): DomainEvent<Unsealed> => ({
      type: 'PersonalDataErased',
      data: { category, field, reason: 'retention' },
    })),
    {
      type: 'CategoryRekeyed',
      data: {
        category,
        oldKeyIds: [keyId],
        newKeyId: keyIdFor(subjectId, category, generation + 1),
        values,
        reason: 'retention',
      },
    },
  ];
}
