import type { AccessLog } from '@pdv/vault';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface AccessLogFixture {
  store: AccessLog;
  cleanup(): Promise<void>;
}

const day = (d: number) => `2025-01-0${d}T00:00:00.000Z`;

/**
 * The AccessLog contract, run unchanged against every adapter. `create` must return an empty log
 * of its own; `cleanup` closes it and removes whatever it created.
 */
export function accessLogContract(name: string, create: () => Promise<AccessLogFixture>): void {
  describe(`AccessLog contract: ${name}`, () => {
    let fx: AccessLogFixture;
    let log: AccessLog;
    beforeEach(async () => {
      fx = await create();
      log = fx.store;
      await log.append([
        { actor: 'service:crm', purpose: 'contract', subjectId: 's1', categories: ['contact'], at: day(1) },
        {
          actor: 'service:billing',
          purpose: 'billing',
          subjectId: 's1',
          categories: ['accounting', 'contact'],
          at: day(2),
        },
        { actor: 'service:crm', purpose: 'contract', subjectId: 's2', categories: [], at: day(3) },
        { actor: 'service:crm', purpose: 'contract', subjectId: 's1', categories: ['contact'], at: day(4) },
      ]);
      await log.append([]);
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it("lists a subject's entries newest first, since a time and up to a limit", async () => {
      expect((await log.listBySubject('s1')).map((e) => [e.actor, e.at])).toEqual([
        ['service:crm', day(4)],
        ['service:billing', day(2)],
        ['service:crm', day(1)],
      ]);
      expect(await log.listBySubject('s1', { since: day(2), limit: 2 })).toEqual([
        { actor: 'service:crm', purpose: 'contract', subjectId: 's1', categories: ['contact'], at: day(4) },
        {
          actor: 'service:billing',
          purpose: 'billing',
          subjectId: 's1',
          categories: ['accounting', 'contact'],
          at: day(2),
        },
      ]);
      expect((await log.listBySubject('s2'))[0]!.categories).toEqual([]);
    });

    it('pages a subject up to a time, newest first, and counts every entry up to it', async () => {
      const until = '2025-01-03T00:00:00.000Z';
      const page = (offset: number) => log.listBySubject('s1', { until, limit: 1, offset });
      expect((await page(0)).map((e) => e.at)).toEqual([day(2)]);
      expect((await page(1)).map((e) => e.at)).toEqual([day(1)]);
      expect(await page(2)).toEqual([]);
      expect(await log.countBySubject('s1', until)).toBe(2);
      expect(await log.countBySubject('s1', '2025-12-31T00:00:00.000Z')).toBe(3);
      expect(await log.countBySubject('s1', day(1))).toBe(1); // at or before: the report's own time counts
      expect(await log.countBySubject('nobody', '2025-12-31T00:00:00.000Z')).toBe(0);
      // Many entries at one instant page without loss or repeat.
      const burst = Array.from({ length: 250 }, (_, i) => ({
        actor: `service:s${i}`,
        purpose: 'contract',
        subjectId: 's3',
        categories: ['contact'],
        at: day(5),
      }));
      await log.append(burst);
      const seen: string[] = [];
      for (let offset = 0; ; offset += 100) {
        const got = await log.listBySubject('s3', { until: day(5), limit: 100, offset });
        if (got.length === 0) break;
        seen.push(...got.map((e) => e.actor));
      }
      expect(seen.sort()).toEqual(burst.map((e) => e.actor).sort());
      expect(await log.countBySubject('s3', day(5))).toBe(250);
    });

    it('sums recipients per category, actor and purpose up to a time, first read first', async () => {
      expect(await log.recipientsOf('s1', '2025-12-31T00:00:00.000Z')).toEqual([
        {
          category: 'accounting',
          actor: 'service:billing',
          purpose: 'billing',
          firstAt: day(2),
          lastAt: day(2),
          reads: 1,
        },
        { category: 'contact', actor: 'service:crm', purpose: 'contract', firstAt: day(1), lastAt: day(4), reads: 2 },
        {
          category: 'contact',
          actor: 'service:billing',
          purpose: 'billing',
          firstAt: day(2),
          lastAt: day(2),
          reads: 1,
        },
      ]);
      expect((await log.recipientsOf('s1', '2025-01-01T12:00:00.000Z')).map((r) => [r.category, r.reads])).toEqual([
        ['contact', 1],
      ]);
      expect(await log.recipientsOf('s2', '2025-12-31T00:00:00.000Z')).toEqual([]);
    });
  });
}
