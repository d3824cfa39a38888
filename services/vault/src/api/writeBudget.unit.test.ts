import { describe, expect, it } from 'vitest';

import type { Principal } from '../auth/tokens.js';
import { WriteBudget } from './writeBudget.js';

const crm: Principal = { role: 'service', name: 'crm', purposes: ['contract'] };
const billing: Principal = { role: 'service', name: 'billing', purposes: ['billing'] };

describe('the write budget', () => {
  it('charges commands and items until a minute is spent, refuses a request that does not fit whole', () => {
    let now = 0;
    const budget = new WriteBudget({ commandsPerMinute: 10, itemsPerMinute: 100, now: () => now });
    expect(budget.charge(crm, 6, 60)).toBeUndefined();
    expect(budget.charge(crm, 4, 40)).toBeUndefined();
    // Nothing left: refused, with the seconds until it fits.
    expect(budget.charge(crm, 1, 1)).toBe(6);
    // Another principal has its own.
    expect(budget.charge(billing, 10, 100)).toBeUndefined();
    now += 6_000;
    expect(budget.charge(crm, 1, 10)).toBeUndefined();
    // A refusal charges nothing: after 6 s one more command fits again.
    expect(budget.charge(crm, 1, 5)).toBe(6);
    now += 6_000;
    expect(budget.charge(crm, 1, 5)).toBeUndefined();
  });

  it('refuses on items alone, and turns a budget of 0 off', () => {
    const now = 0;
    const items = new WriteBudget({ commandsPerMinute: 0, itemsPerMinute: 100, now: () => now });
    expect(items.charge(crm, 1_000, 100)).toBeUndefined();
    expect(items.charge(crm, 1, 30)).toBe(18);
    const off = new WriteBudget({ commandsPerMinute: 0, itemsPerMinute: 0, now: () => now });
    for (let i = 0; i < 100; i++) expect(off.charge(crm, 1_000, 1_000_000)).toBeUndefined();
  });
});
