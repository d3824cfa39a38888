import { assertCode, VaultError } from '../errors.js';
import { type DomainEvent, ERASURE_REASONS, type Unsealed } from '../events.js';
import { unknownName } from '../names.js';
import { entryKeyIdFor, keyIdFor } from '../state.js';
import { type CommandOf, type Decider, plain } from './command.js';
import { liveEntryIn } from './entries.js';
import { assertEntryNotHeld, assertNotHeld, categorySpec } from './guards.js';

/**
 * Erasing one field must make its past values unreadable, not just hidden: the category is
 * re-keyed (its other values re-sealed under a new key, the old key shredded), or, when the field
 * was its last one, its key is shredded. With `entry`, the same happens to that entry alone under
 * its own key (one case's value erased, re-keying that case): the category's own values and its
 * other entries are not touched, so the cost is that entry's values, whatever the history.
 */
export const erasePersonalData: Decider<CommandOf<'ErasePersonalData'>> = (state, command, { register, now }) => {
  const spec = categorySpec(register, command.category, 'category');
  if (!Object.hasOwn(spec.fields, command.field)) {
    throw unknownName('field', Object.keys(spec.fields), 'field', `in category ${spec.name}`);
  }
  const { category, field, reason, entry } = command;
  const e = entry === undefined ? undefined : liveEntryIn(state, spec, category, entry, 'entry');
  const c = state.categories[category];
  const fields = e ? e.fields : c && !c.shredded ? c.fields : undefined;
  if (!fields?.[field]) {
    const of = entry === undefined ? '' : ' of that entry';
    throw new VaultError('NOT_FOUND', `Nothing recorded in ${category}.${field}${of}`, { path: 'field' });
  }
  assertCode(ERASURE_REASONS, command.reason, 'reason');
  if (entry === undefined) assertNotHeld(state, spec, category, now);
  else assertEntryNotHeld(state, spec, category, entry, now);
  const at = entry === undefined ? {} : { entry };
  const keyId = e ? e.keyId : c!.keyId;
  const others = Object.keys(fields).filter((f) => f !== field);
  const erased: DomainEvent<Unsealed> = { type: 'PersonalDataErased', data: { category, field, reason, ...at } };
  if (others.length === 0) {
    return [erased, { type: 'CategoryShredded', data: { category, keyIds: [keyId], reason: 'fieldErasure', ...at } }];
  }
  for (const f of others) {
    if (!(f in command.remaining)) {
      throw new VaultError('CONFLICT', `Remaining value of ${category}.${f} was not supplied for re-keying`);
    }
  }
  const newKeyId = e
    ? entryKeyIdFor(state.subjectId, category, entry!, e.generation + 1)
    : keyIdFor(state.subjectId, category, c!.generation + 1);
  const values = others.map((f) => ({ field: f, value: plain(command.remaining[f]) }));
  return [erased, { type: 'CategoryRekeyed', data: { category, oldKeyIds: [keyId], newKeyId, values, ...at } }];
};
