import { badInput, VaultError } from '../errors.js';
import type { CategorySpec } from '../register.js';
import { entryEvent } from '../retention.js';
import { type EntryState, liveEntryOf, type SubjectState } from '../state.js';

/**
 * An entry id names an entry of a category (e.g. the debt-collection case its values came with). It
 * travels as plaintext metadata, so it is an opaque id of the service's choosing, never a personal
 * value: letters, digits and `._:-`, at most 64, starting with a letter or digit. The id sent is
 * never quoted back, in case a caller put personal data there.
 */
const ENTRY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function checkEntryId(entry: string, path: string): void {
  if (!ENTRY_ID.test(entry))
    throw badInput('An entry id is an opaque id: letters, digits and ._:- (at most 64), never personal data', path);
}

/** A well-formed entry id, in a category whose period runs per entry (else BAD_USER_INPUT at `path`). */
export function checkEntryOf(spec: CategorySpec, entry: string, path: string): void {
  checkEntryId(entry, path);
  if (!entryEvent(spec))
    throw badInput(`The period of ${spec.name} does not run per entry: name no entry for it`, path);
}

/**
 * The live entry a command names: a well-formed id, in a category whose period runs per entry, under which the
 * subject has live values; UNKNOWN_ENTRY otherwise, so a mistyped case reference is not taken for another.
 */
export function liveEntryIn(
  state: SubjectState,
  spec: CategorySpec,
  category: string,
  entry: string,
  path: string,
): EntryState {
  checkEntryOf(spec, entry, path);
  const e = liveEntryOf(state.categories[category], entry);
  if (!e)
    throw new VaultError('UNKNOWN_ENTRY', `The subject has no live entry of that id in ${spec.name}`, {
      path,
      details: { categories: [category] },
    });
  return e;
}

/** The name a value the command side opens for a decision goes by: `category.field`, `@entry` for an entry's. */
export const valueName = (category: string, field: string, entry?: string): string =>
  entry === undefined ? `${category}.${field}` : `${category}.${field}@${entry}`;
