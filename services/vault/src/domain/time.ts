import { badInput } from './errors.js';

/** ISO 8601 durations in calendar terms (years, months, weeks, days; time parts optional). */
export interface Duration {
  years: number;
  months: number;
  days: number;
  ms: number;
}

const ISO_DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** Durations parsed so far, by their text: a register names a handful, asked for every field of every subject. */
const parsedDurations = new Map<string, Readonly<Duration>>();
const PARSED_DURATIONS_MAX = 1_000;

export function parseDuration(s: string, path = 'duration'): Readonly<Duration> {
  const known = parsedDurations.get(s);
  if (known) return known;
  const m = ISO_DURATION.exec(s);
  if (!m || s === 'P' || s.endsWith('T'))
    throw badInput(`"${s}" is not an ISO 8601 duration such as P30D or P5Y`, path);
  const n = (i: number) => Number(m[i] ?? 0);
  const parsed = Object.freeze({
    years: n(1),
    months: n(2),
    days: n(3) * 7 + n(4),
    ms: ((n(5) * 60 + n(6)) * 60 + n(7)) * 1000,
  });
  // Bounded: durations that come with requests rather than from the register cannot grow it without end.
  if (parsedDurations.size < PARSED_DURATIONS_MAX) parsedDurations.set(s, parsed);
  return parsed;
}

/**
 * Adds calendar months, clamping to the last day of the target month
 * (Jan 31 + 1 month = Feb 28 or 29), as Art. 12(3) deadlines are counted.
 */
export function addMonths(d: Date, months: number): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const target = new Date(
    Date.UTC(y, m, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target;
}

export function addDuration(d: Date, dur: Duration): Date {
  const withMonths = addMonths(d, dur.years * 12 + dur.months);
  return new Date(withMonths.getTime() + dur.days * 86_400_000 + dur.ms);
}

/**
 * Recent sums, by duration and instant: a projection asks the same one for each field a subject recorded at once,
 * and an import for every subject collected at the same time. Cleared when full.
 */
const recentSums = new Map<string, string>();
const RECENT_SUMS_MAX = 4_096;

export function addIsoDuration(iso: string, duration: string): string {
  const key = `${duration} ${iso}`;
  const known = recentSums.get(key);
  if (known !== undefined) return known;
  const sum = addDuration(new Date(iso), parseDuration(duration)).toISOString();
  if (recentSums.size >= RECENT_SUMS_MAX) recentSums.clear();
  recentSums.set(key, sum);
  return sum;
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

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2})))?$/;
/**
 * Earliest and latest years an instant may have: wide enough for any record, narrow enough that no date arithmetic
 * wraps.
 */
export const INSTANT_YEARS = { min: 1900, max: 9999 } as const;

/**
 * An RFC 3339 date-time (`2026-03-02T11:00:00Z`, `…+01:00`, fractions of a second) or a date
 * (`2026-03-02`, midnight UTC) as the canonical UTC form the stores compare as text
 * (`2026-03-02T10:00:00.000Z`); undefined for anything else: another format, a day the calendar
 * does not have (`2099-02-30`), a year outside INSTANT_YEARS.
 */
export function parseInstant(s: string): string | undefined {
  const m = INSTANT.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < INSTANT_YEARS.min || year > INSTANT_YEARS.max) return undefined;
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls over (Feb 30 is Mar 2, 24:00 the next day): a rolled value was not a real date or time.
  if (
    local.getUTCMonth() !== month - 1 ||
    local.getUTCDate() !== day ||
    local.getUTCHours() !== hour ||
    local.getUTCMinutes() !== minute ||
    local.getUTCSeconds() !== second
  )
    return undefined;
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const millis = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const utc = new Date(local.getTime() + millis - offset);
  // The offset can carry a year at the edge past it (9999-12-31T23:00-05:00 is in year 10000).
  if (utc.getUTCFullYear() < INSTANT_YEARS.min || utc.getUTCFullYear() > INSTANT_YEARS.max) return undefined;
  return utc.toISOString();
}

/** `parseInstant` for an input: the canonical form, or BAD_USER_INPUT naming `path` (never the value). */
export function instantInput(value: string, path: string): string {
  const instant = parseInstant(value);
  if (instant === undefined)
    throw badInput(
      `${path} must be a date (2030-01-01) or an RFC 3339 date-time (2030-01-01T00:00:00Z), of a real day in ` +
        `${INSTANT_YEARS.min}–${INSTANT_YEARS.max}`,
      path,
    );
  return instant;
}
