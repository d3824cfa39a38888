import { badInput } from './errors.js';

/** ISO 8601 durations in calendar terms (years, months, weeks, days; time parts optional). */
export interface Duration {
  years: number;
  months: number;
  days: number;
  ms: number;
}

const ISO_DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export function parseDuration(s: string, path = 'duration'): Duration {
  const m = ISO_DURATION.exec(s);
  if (!m || s === 'P' || s.endsWith('T')) throw badInput(`"${s}" is not an ISO 8601 duration such as P30D or P5Y`, path);
  const n = (i: number) => Number(m[i] ?? 0);
  return { years: n(1), months: n(2), days: n(3) * 7 + n(4), ms: ((n(5) * 60 + n(6)) * 60 + n(7)) * 1000 };
}

/**
 * Adds calendar months, clamping to the last day of the target month
 * (Jan 31 + 1 month = Feb 28 or 29), as Art. 12(3) deadlines are counted.
 */
export function addMonths(d: Date, months: number): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const target = new Date(Date.UTC(y, m, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target;
}

export function addDuration(d: Date, dur: Duration): Date {
  const withMonths = addMonths(d, dur.years * 12 + dur.months);
  return new Date(withMonths.getTime() + dur.days * 86_400_000 + dur.ms);
}

export function addIsoDuration(iso: string, duration: string): string {
  return addDuration(new Date(iso), parseDuration(duration)).toISOString();
}

let lastMs = Number.NaN;
let lastIso = '';

/** The current time, ISO 8601. Formatting costs about a microsecond, so one string serves a whole millisecond. */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
