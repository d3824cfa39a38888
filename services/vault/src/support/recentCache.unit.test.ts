import { describe, expect, it } from 'vitest';

import { recentCache } from './recentCache.js';

describe('recentCache', () => {
  it('drops the least recently used entry when full, a get counting as a use', () => {
    const c = recentCache<{ n: number }>(2);
    c.set('a', { n: 1 });
    c.set('b', { n: 2 });
    expect(c.get('a')).toEqual({ n: 1 });
    c.set('c', { n: 3 });
    expect(c.has('b')).toBe(false);
    expect([c.get('a'), c.get('c')]).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('keeps nothing with size 0', () => {
    const c = recentCache<{ n: number }>(0);
    c.set('a', { n: 1 });
    expect(c.get('a')).toBeUndefined();
    expect(c.has('a')).toBe(false);
  });
});
