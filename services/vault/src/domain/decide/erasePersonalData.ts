import { assertCode, VaultError } from '../errors.js';
import { type DomainEvent, ERASURE_REASONS, type Unsealed } from '../events.js';
import { unknownName } from '../names.js';
import { keyIdFor } from '../state.js';
import { type CommandOf, type Decider, plain } from './command.js';
import { assertNotHeld, categorySpec } from './guards.js';

/**
 * Erasing one field must make its past values unreadable, not just hidden: the category is
 * re-keyed (its other values re-sealed under a new key, the old key shredded), or, when the field
 * was its last one, its key is shredded.
 */
export const erasePersonalData: Decider<CommandOf<'ErasePersonalData'>> = (state, command, { register, now }) => {
  const spec = categorySpec(register, command.category, 'category');
  if (!Object.hasOwn(spec.fields, command.field)) {
    throw unknownName('field', Object.keys(spec.fields), 'field', `in category ${spec.name}`);
  }
  const c = state.categories[command.category];
  if (!c || c.shredded || !c.fields[command.field]) {
    throw new VaultError('NOT_FOUND', `Nothing recorded in ${command.category}.${command.field}`, { path: 'field' });
  }
  assertCode(ERASURE_REASONS, command.reason, 'reason');
  assertNotHeld(state, spec, command.category, now);
  const { category, field, reason } = command;
  const others = Object.keys(c.fields).filter((f) => f !== field);
  const erased: DomainEvent<Unsealed> = { type: 'PersonalDataErased', data: { category, field, reason } };
  if (others.length === 0) {
    return [erased, { type: 'CategoryShredded', data: { category, keyIds: [c.keyId], reason: 'fieldErasure' } }];
  }
  for (const f of others) {
    if (!(f in command.remaining)) {
      throw new VaultError('CONFLICT', `Remaining value of ${category}.${f} was not supplied for re-keying`);
    }
  }
  const newKeyId = keyIdFor(state.subjectId, category, c.generation + 1);
  const values = others.map((f) => ({ field: f, value: plain(command.remaining[f]) }));
  return [erased, { type: 'CategoryRekeyed', data: { category, oldKeyIds: [c.keyId], newKeyId, values } }];
};
