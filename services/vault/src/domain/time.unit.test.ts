import { afterEach, describe, expect, it, vi } from 'vitest';

import { addDuration, addIsoDuration, isoNow, parseDuration, parseInstant } from './time.js';

describe('isoNow', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is the current time to the millisecond, also when the clock moves by one', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-01T10:00:00.000Z'));
    expect(isoNow()).toBe('2026-03-01T10:00:00.000Z');
    expect(isoNow()).toBe('2026-03-01T10:00:00.000Z');
    vi.setSystemTime(new Date('2026-03-01T10:00:00.001Z'));
    expect(isoNow()).toBe('2026-03-01T10:00:00.001Z');
    vi.setSystemTime(new Date('2025-12-31T23:59:59.999Z'));
    expect(isoNow()).toBe('2025-12-31T23:59:59.999Z');
  });
});

describe('parseInstant', () => {
  it.each([
    ['2026-03-02T11:00:00Z', '2026-03-02T11:00:00.000Z'],
    ['2026-03-02t11:00:00z', '2026-03-02T11:00:00.000Z'],
    ['2026-03-02T11:00:00.5+01:00', '2026-03-02T10:00:00.500Z'],
    ['2026-03-01T23:30:00-01:00', '2026-03-02T00:30:00.000Z'],
    ['2026-03-02T11:00:00.123456789Z', '2026-03-02T11:00:00.123Z'],
    ['2026-03-02T11:00:00.1234567890123Z', '2026-03-02T11:00:00.123Z'],
    ['2026-03-02', '2026-03-02T00:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
  ])('reads %s as %s, the form the stores compare as text', (input, canonical) => {
    expect(parseInstant(input)).toBe(canonical);
  });

  it.each([
    ['a day the calendar does not have', '2099-02-30'],
    ['February 29 of a common year', '2027-02-29T00:00:00Z'],
    ['hour 24', '2026-03-02T24:00:00Z'],
    ['a leap second', '2026-03-02T23:59:60Z'],
    ['no offset', '2026-03-02T11:00:00'],
    ['an offset out of range', '2026-03-02T11:00:00+24:00'],
    ['year 0', '0000-01-01T00:00:00Z'],
    ['a year before 1900', '0099-06-01'],
    ['an expanded year', '+275760-09-13T00:00:00.000Z'],
    ['a negative year', '-271821-04-20T00:00:00.000Z'],
    ['what Date.parse also takes', 'March 2, 2026'],
    ['a time alone', 'T11:00:00Z'],
    ['a year past 9999 once the offset is applied', '9999-12-31T23:00:00-05:00'],
    ['a year before 1900 once the offset is applied', '1900-01-01T00:30:00+01:00'],
  ])('refuses %s (%s)', (_what, input) => {
    expect(parseInstant(input)).toBeUndefined();
  });
});

describe('addIsoDuration, with its recent sums kept', () => {
  it('gives what the calendar arithmetic gives, for thousands of instants more than it keeps, asked twice', () => {
    const durations = ['P30D', 'P1M', 'P1Y6M', 'PT12H', 'P2W'];
    const instants = Array.from({ length: 3_000 }, (_, i) => new Date(Date.UTC(2020, 0, 31) + i * 3_600_000 * 7));
    for (let pass = 0; pass < 2; pass++)
      for (const d of durations)
        for (const at of instants)
          expect(addIsoDuration(at.toISOString(), d)).toBe(addDuration(at, parseDuration(d)).toISOString());
    expect(addIsoDuration('2024-01-31T00:00:00.000Z', 'P1M')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('refuses a malformed duration every time it is asked, and hands out parsed ones that cannot be changed', () => {
    for (let i = 0; i < 2; i++) expect(() => addIsoDuration('2024-01-01T00:00:00Z', 'P1X')).toThrow(/ISO 8601/);
    const d = parseDuration('P1Y2M3DT4H');
    expect(d).toEqual({ years: 1, months: 2, days: 3, ms: 4 * 3_600_000 });
    expect(Object.isFrozen(d)).toBe(true);
    expect(parseDuration('P1Y2M3DT4H')).toEqual(d);
  });
});
