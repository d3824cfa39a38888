import { VaultError } from '../errors.js';
import { unknownName } from '../names.js';
import type { CategorySpec, ProcessingRegister } from '../register.js';
import { entryHoldOn, holdOn } from '../retention.js';
import type { SubjectState } from '../state.js';

/** Checks several deciders share: names the register must know, an erased subject, a held category. */

export function categorySpec(register: ProcessingRegister, name: string, path: string): CategorySpec {
  if (!Object.hasOwn(register.categories, name)) throw unknownName('category', Object.keys(register.categories), path);
  return register.categories[name]!;
}

export function checkKnownPurpose(register: ProcessingRegister, purpose: string, path: string): void {
  if (!Object.hasOwn(register.purposes, purpose)) throw unknownName('purpose', Object.keys(register.purposes), path);
}

export function checkPurpose(register: ProcessingRegister, spec: CategorySpec, purpose: string, path: string): void {
  checkKnownPurpose(register, purpose, path);
  if (!spec.purposes.includes(purpose)) throw unknownName('purpose', spec.purposes, path, `for category ${spec.name}`);
}

export function assertNotErased(state: SubjectState): void {
  if (state.erasedAt) {
    throw new VaultError('SUBJECT_ERASED', 'Subject was erased', { details: { subjectId: state.subjectId } });
  }
}

export function assertNotHeld(state: SubjectState, spec: CategorySpec, category: string, now: string): void {
  const hold = holdOn(state, spec, category, now);
  if (hold) {
    throw new VaultError('CATEGORY_HELD', `Category ${spec.name} is held until ${hold.until} (${hold.basis})`, {
      details: { category, until: hold.until },
    });
  }
}

/** As assertNotHeld, for one entry of the category: a hold on the category, on the entry alone, or the law's. */
export function assertEntryNotHeld(
  state: SubjectState,
  spec: CategorySpec,
  category: string,
  entry: string,
  now: string,
): void {
  const hold = entryHoldOn(state, spec, category, entry, now);
  if (hold) {
    // The entry id is the caller's: never quoted back.
    throw new VaultError('CATEGORY_HELD', `This entry of ${spec.name} is held until ${hold.until} (${hold.basis})`, {
      details: { category, until: hold.until },
    });
  }
}
