import { badInput, type VaultError } from './errors.js';

/**
 * Refuses a name the register does not know (a category, field, purpose, source, lifecycle event,
 * property) with the path of the input and the names allowed there. The name sent is never
 * quoted, however harmless it looks: a caller who put personal data where a name belongs (an
 * email address as a field name) must not have it echoed into logs and error trackers.
 *
 * `where` says what the allowed names belong to (`in category contact`); it must be a name from
 * the register, never one taken from the input unchecked.
 */
export function unknownName(kind: string, allowed: readonly string[], path: string, where?: string): VaultError {
  const list = allowed.length > 0 ? allowed.join(', ') : '(none)';
  return badInput(`Unknown ${kind}${where ? ` ${where}` : ''}; allowed: ${list}`, path, { allowed: [...allowed] });
}
