import { badInput } from '../errors.js';

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
