import { describe, expect, it } from 'vitest';

import { metadataPurpose } from '../domain/access.js';
import type { PropagationTrigger } from '../domain/propagation.js';
import { RecentTriggers, serviceReadOf } from './recentTriggers.js';

const change = (subjectId: string, at: string, extra: Partial<PropagationTrigger> = {}): PropagationTrigger => ({
  subjectId,
  action: 'erasure',
  categories: ['contact'],
  fields: [],
  at,
  sourceEventId: `e-${subjectId}-${at}`,
  sourcePosition: 1,
  ...extra,
});
const read = (subjectId: string, at: string, purpose = 'contract', categories = ['contact']) => ({
  actor: 'service:crm',
  purpose,
  subjectId,
  categories,
  at,
});

describe('the changes remembered for reads stored after them', () => {
  it('finds the changes a read made at or before them concerns: its subject, categories and purpose', () => {
    const recent = new RecentTriggers(60_000, '2026-01-01T00:00:00.000Z');
    const objection = change('s1', '2026-01-01T00:00:05.000Z', { action: 'objection', purpose: 'marketing' });
    const erasure = change('s1', '2026-01-01T00:00:06.000Z');
    recent.add([objection, erasure, change('s2', '2026-01-01T00:00:06.000Z')], 1_000);
    expect(recent.concerning(read('s1', '2026-01-01T00:00:04.000Z'))).toEqual([erasure]);
    expect(recent.concerning(read('s1', '2026-01-01T00:00:04.000Z', 'marketing'))).toEqual([objection, erasure]);
    expect(recent.concerning(read('s1', '2026-01-01T00:00:06.000Z'))).toEqual([erasure]);
    expect(recent.concerning(read('s1', '2026-01-01T00:00:07.000Z'))).toEqual([]);
    expect(recent.concerning(read('s1', '2026-01-01T00:00:04.000Z', 'contract', ['billing']))).toEqual([]);
    expect(recent.concerning(read('s3', '2026-01-01T00:00:04.000Z'))).toEqual([]);
  });

  it('covers reads after its start and after what it forgot, and forgets what is older than its window', () => {
    const recent = new RecentTriggers(10_000, '2026-01-01T00:00:00.000Z');
    expect(recent.covers('2025-12-31T23:59:59.000Z')).toBe(false);
    expect(recent.covers('2026-01-01T00:00:01.000Z')).toBe(true);
    for (let i = 0; i < 3000; i++)
      recent.add([change(`s${i}`, `2026-01-01T00:01:${String(i % 60).padStart(2, '0')}Z`)], i);
    recent.forget(3000 + 10_000 - 1500);
    // Those examined before 1500 ms are forgotten: a read at or before the latest of them is no longer covered.
    expect(recent.concerning(read('s10', '2026-01-01T00:00:30.000Z'))).toEqual([]);
    expect(recent.concerning(read('s2000', '2026-01-01T00:00:30.000Z'))).toHaveLength(1);
    expect(recent.covers('2026-01-01T00:00:30.000Z')).toBe(false);
    recent.forget(1_000_000);
    expect(recent.concerning(read('s2000', '2026-01-01T00:00:30.000Z'))).toEqual([]);
  });

  it("counts a service's reads of values only, not of shapes, nor anyone else's", () => {
    expect(serviceReadOf(read('s1', 'x'))).toEqual({ service: 'crm' });
    expect(serviceReadOf({ ...read('s1', 'x'), actor: 'dpo:alice' })).toBeUndefined();
    expect(serviceReadOf(read('s1', 'x', metadataPurpose('contract')))).toBeUndefined();
    expect(serviceReadOf(read('s1', 'x', 'contract', []))).toBeUndefined();
  });
});
