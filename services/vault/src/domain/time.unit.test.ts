import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoNow } from './time.js';

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
