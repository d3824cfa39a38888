import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../testing/fixtureRegister.js';
import { inlinePlanner, threadPlanner } from './importPlanner.js';

const register = fixtureRegister();
const NOW = '2026-12-06T12:00:00.000Z';
const secret = new Uint8Array(32).fill(7);
const T = '2021-03-01T00:00:00Z';
const field = (name: string, value: unknown) => ({
  category: 'contact',
  field: name,
  value,
  purpose: 'contract',
  legalBasis: 'contract',
  source: 'subject',
  collectedAt: T,
});

const lines = [
  JSON.stringify({ externalId: 'crm-1', fields: [field('name', 'Ada'), field('email', 'ada@example.com')] }),
  '{"externalId":"crm-2","fields":[',
  JSON.stringify({ externalId: 'crm-3', fields: [field('email', 'not an address')] }),
  JSON.stringify({ externalId: 'crm-4', fields: [{ ...field('name', 'Bo'), collectedAt: '2999-01-01T00:00:00Z' }] }),
  JSON.stringify({ fields: [field('name', 'Cy')] }),
];

describe('import planner thread', () => {
  it('decides lines as the calling thread does: the same plans, and the same refusals by code and path', async () => {
    const threaded = threadPlanner(register, secret, 1);
    try {
      const [here, there] = await Promise.all([
        inlinePlanner(register, secret).plan(lines, NOW),
        threaded.plan(lines, NOW),
      ]);
      expect(there).toEqual(here);
      expect(there.map((p) => ('rejected' in p ? `${p.rejected.code} ${p.rejected.path}` : 'planned'))).toEqual([
        'planned',
        'MALFORMED_LINE ',
        'BAD_USER_INPUT fields[0].value',
        'TIME_OUT_OF_RANGE fields[0].collectedAt',
        'BAD_USER_INPUT externalId',
      ]);
      // Batches in flight at once are each answered with their own plans.
      const batches = await Promise.all(
        [0, 1, 2, 3].map((i) => threaded.plan([lines[0]!.replace('crm-1', `x-${i}`)], NOW)),
      );
      expect(new Set(batches.map((b) => ('subjectId' in b[0]! ? b[0].subjectId : '')))).toHaveProperty('size', 4);
    } finally {
      await threaded.close();
    }
  });

  it('refuses a name of Object.prototype in the thread too (its name maps keep no prototype)', async () => {
    const line = JSON.stringify({ externalId: 'crm-5', fields: [{ ...field('name', 'Di'), category: 'constructor' }] });
    const threaded = threadPlanner(register, secret, 1);
    try {
      const [plan] = await threaded.plan([line], NOW);
      expect(plan).toMatchObject({ rejected: { code: 'BAD_USER_INPUT', path: 'fields[0].category' } });
    } finally {
      await threaded.close();
    }
  });
});
