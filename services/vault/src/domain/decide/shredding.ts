import { VaultError } from '../errors.js';
import type { DomainEvent, Unsealed } from '../events.js';
import type { ProcessingRegister } from '../register.js';
import {
  categoryRetention,
  dueEntries,
  expiringEntries,
  holdOn,
  holdsOf,
  shredCause,
  shreddableKeyIds,
} from '../retention.js';
import { type CategoryState, keyIdFor, type SubjectState } from '../state.js';
import { type CommandOf, type Decider, plain } from './command.js';
import { assertNotHeld, categorySpec } from './guards.js';

/**
 * Shredding a category's key: on demand, or when its retention has ended. A shredded category shreds nothing more. An
 * entry a hold of its own keeps (a DPO hold on one case) stays, its key with it.
 */

export const shredCategory: Decider<CommandOf<'ShredCategory'>> = (state, command, { register, now }) => {
  const spec = categorySpec(register, command.category, 'category');
  const c = state.categories[command.category];
  if (!c || c.shredded) return [];
  assertNotHeld(state, spec, command.category, now);
  const { category, reason, rule } = command;
  const keyIds = shreddableKeyIds(state, register, category, now);
  return [{ type: 'CategoryShredded', data: { category, keyIds, reason, ...(rule ? { rule } : {}) } }];
};

/**
 * Shreds the category if its retention (and any hold) has ended by the decision time; else the keys
 * of the entries whose own period has (each entry alone, the others and the category's own values
 * staying); else nothing.
 */
export const applyRetention: Decider<CommandOf<'ApplyRetention'>> = (state, command, ctx) => {
  const { category } = command;
  const { register, now } = ctx;
  categorySpec(register, category, 'category');
  const c = state.categories[category];
  if (!c) return [];
  const whole = c.shredded ? [] : categoryDue(state, register, c, command, now);
  if (whole.length > 0) return whole;
  return dueEntries(state, register, category, now).map(({ entry, rule, reason }) => ({
    type: 'CategoryShredded',
    data: { category, keyIds: [c.entries![entry]!.keyId], reason, rule, entry },
  }));
};

/** The category's own retention: the whole category shredded (its entries too), or entries by recording re-keyed. */
function categoryDue(
  state: SubjectState,
  register: ProcessingRegister,
  c: CategoryState,
  { category, remaining }: CommandOf<'ApplyRetention'>,
  now: string,
): DomainEvent<Unsealed>[] {
  const due = categoryRetention(state, register, holdsOf(state, register), category);
  if (!due || due.dueAt > now) return [];
  const expiring = expiringEntries(state, register, category, now);
  if (expiring) return expireEntries(state.subjectId, category, c.keyId, c.generation, expiring, remaining);
  if (holdOn(state, register.categories[category], category, now)) return [];
  // Shredded for what made it due: its retention period, or an erasure, withdrawal or objection a hold had deferred.
  const reason = shredCause(state, register, category)?.reason ?? 'retention';
  // An entry a hold of its own keeps stays (its own end comes when the hold does: entryEnds).
  const keyIds = shreddableKeyIds(state, register, category, now);
  return [{ type: 'CategoryShredded', data: { category, keyIds, reason, rule: due.rule } }];
}

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
