import { badInput } from '../domain/errors.js';
import { checkText } from '../domain/values.js';

/** Longest free text an argument may carry (reasons, bases, channels, methods). */
export const MAX_TEXT = 500;

/** Free text: trimmed, not empty, bounded. Never echoed back: a caller's mistake could put anything in it. */
export function text(value: string, path: string): string {
  const s = value.trim();
  if (s.length === 0) throw badInput(`${path} must not be empty`, path);
  if (s.length > MAX_TEXT) throw badInput(`${path} must be at most ${MAX_TEXT} characters`, path);
  return checkText(s, 'text', path, { lines: true });
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A `YYYY-MM` month, or undefined when absent. */
export function month(value: string | null | undefined, path: string): string | undefined {
  if (value == null) return undefined;
  if (!MONTH.test(value)) throw badInput(`${path} must be a month as YYYY-MM`, path);
  return value;
}
