import { VaultError } from '../errors.js';
import type { ValueType } from '../register.js';
import type { FieldState } from '../state.js';
import { validateValue } from '../values.js';
import type { DataItemInput, Writer } from './command.js';

/**
 * Who may change a value (Art. 16; issue 23). A service replaces only a value held for a purpose its
 * token carries: a newsletter service must not replace the email a contract rests on (and so the
 * address a lookup finds). The DPO may; the subject rectifies directly only what it provided
 * (decide/rectificationRequest.ts for the rest).
 */

/** The purpose holding the current value that this writer may not replace, if any. */
export function foreignHolder(writer: Writer | undefined, current: FieldState | undefined): string | undefined {
  if (!current || writer?.role !== 'service') return undefined;
  return writer.purposes.includes(current.purpose) ? undefined : current.purpose;
}

/**
 * Refuses a service's write over a value another purpose holds, unless it writes the same value:
 * then it changes nothing, and the item decides no event (the value stays held as it is). `opened`
 * is the current value as the command side opened it (undefined: not opened, so not the same).
 */
export function sameAsHeld(
  type: ValueType,
  item: DataItemInput,
  holder: string,
  opened: { value: unknown } | undefined,
  path: string,
): true {
  const value = validateValue(type, item.value, `${path}.value`);
  if (opened && canonical(opened.value) === canonical(value)) return true;
  const name = `${item.category}.${item.field}`;
  throw new VaultError(
    'VALUE_HELD',
    `${name} is held for purpose ${holder}, which this token does not carry: only a service holding ${holder} ` +
      'or the DPO may change it',
    { path: `${path}.value`, details: { category: item.category, field: item.field, purpose: holder } },
  );
}

/** JSON with object keys sorted, so two equal values compare equal whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );
}
