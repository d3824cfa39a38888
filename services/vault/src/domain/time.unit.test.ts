import { afterEach, describe, expect, it, vi } from 'vitest';

import { isoNow, parseInstant } from './time.js';

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
