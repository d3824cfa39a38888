import {
  ANY,
  type EventLog,
  isVaultError,
  type NewEvent,
  NO_STREAM,
  type RecordedEvent,
  STREAM_EXISTS,
} from '@pdv/vault';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { expectEveryEventOnceInOrder, type HoldAppend } from './eventLogProcesses.js';

export interface EventLogFixture {
  log: EventLog;
  cleanup(): Promise<void>;
  /** The environment with which `test/support/eventLogAppender.ts` opens this same log in another process. */
  processEnv: Record<string, string>;
  /**
   * Opens an append that commits only when told: given where a position is taken before commit
   * (PostgreSQL), so that an append can commit after others that hold higher positions.
   */
  holdAppend?: HoldAppend;
}

let counter = 0;
/** A fresh event with a unique id; its payload is plain test data, no personal data. */
export const newEvent = (type = 'TestHappened', data: unknown = { n: counter }): NewEvent => ({
  id: `evt-${process.pid}-${Date.now()}-${++counter}`,
  type,
  data,
  metadata: { actor: 'contract-test', at: '2024-01-01T00:00:00.000Z' },
});

const events = (n: number): NewEvent[] => Array.from({ length: n }, (_, i) => newEvent('TestHappened', { i }));

async function expectCode(
  p: Promise<unknown>,
  code: 'CONFLICT' | 'DUPLICATE_EVENT' | 'STORE_UNAVAILABLE',
): Promise<void> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a ${code} error`).toBeDefined();
  expect(isVaultError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

const strip = (e: RecordedEvent): NewEvent => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata });

/**
 * The EventLog contract, run unchanged against every adapter. `create` must return an empty log
 * of its own; `cleanup` closes it and removes whatever it created.
 */
export function eventLogContract(name: string, create: () => Promise<EventLogFixture>): void {
  describe(`EventLog contract: ${name}`, () => {
    let fx: EventLogFixture;
    let log: EventLog;
    beforeEach(async () => {
      fx = await create();
      log = fx.log;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    describe('expected revision', () => {
      it('appends to a new stream with ANY', async () => {
        const r = await log.append('s-any-new', events(2), ANY);
        expect(r.nextRevision).toBe(1);
      });

      it('appends to an existing stream with ANY', async () => {
        await log.append('s-any', events(1), NO_STREAM);
        const r = await log.append('s-any', events(1), ANY);
        expect(r.nextRevision).toBe(1);
      });

      it('appends to a new stream with NO_STREAM', async () => {
        const r = await log.append('s-ns', events(3), NO_STREAM);
        expect(r.nextRevision).toBe(2);
      });

      it('rejects NO_STREAM on an existing stream with CONFLICT', async () => {
        await log.append('s-ns-x', events(1), NO_STREAM);
        await expectCode(log.append('s-ns-x', events(1), NO_STREAM), 'CONFLICT');
      });

      it('appends to an existing stream with STREAM_EXISTS', async () => {
        await log.append('s-se', events(1), NO_STREAM);
        const r = await log.append('s-se', events(1), STREAM_EXISTS);
        expect(r.nextRevision).toBe(1);
      });

      it('rejects STREAM_EXISTS on a new stream with CONFLICT', async () => {
        await expectCode(log.append('s-se-new', events(1), STREAM_EXISTS), 'CONFLICT');
        expect(await log.readStream('s-se-new')).toEqual([]);
      });

      it('appends when the exact expected revision is right', async () => {
        await log.append('s-exact', events(2), NO_STREAM);
        const r = await log.append('s-exact', events(1), 1);
        expect(r.nextRevision).toBe(2);
      });

      it('rejects a wrong exact expected revision with CONFLICT', async () => {
        await log.append('s-wrong', events(2), NO_STREAM);
        await expectCode(log.append('s-wrong', events(1), 0), 'CONFLICT');
        await expectCode(log.append('s-wrong', events(1), 2), 'CONFLICT');
      });

      it('rejects an exact expected revision on a new stream with CONFLICT', async () => {
        await expectCode(log.append('s-exact-new', events(1), 0), 'CONFLICT');
      });

      it('leaves the stream unchanged after a conflict', async () => {
        const first = events(2);
        await log.append('s-unchanged', first, NO_STREAM);
        const headBefore = await log.headPosition();
        await expectCode(log.append('s-unchanged', events(3), 0), 'CONFLICT');
        const stored = await log.readStream('s-unchanged');
        expect(stored.map(strip)).toEqual(first);
        expect(await log.headPosition()).toBe(headBefore);
      });
    });

    describe('idempotent event ids', () => {
      it('stores a retried append once and returns the same result', async () => {
        const batch = events(3);
        const first = await log.append('s-idem', batch, NO_STREAM);
        const again = await log.append('s-idem', batch, NO_STREAM);
        expect(again).toEqual(first);
        expect(await log.readStream('s-idem')).toHaveLength(3);
        expect(await log.headPosition()).toBe(first.position);
      });

      it('returns the original result for a retry even after the stream moved on', async () => {
        const batch = events(1);
        const first = await log.append('s-idem-2', batch, NO_STREAM);
        await log.append('s-idem-2', events(1), 0);
        expect(await log.append('s-idem-2', batch, NO_STREAM)).toEqual(first);
        expect(await log.readStream('s-idem-2')).toHaveLength(2);
      });

      it('rejects an event id already stored in another stream with DUPLICATE_EVENT', async () => {
        const batch = events(1);
        await log.append('s-dup-a', batch, NO_STREAM);
        await expectCode(log.append('s-dup-b', batch, ANY), 'DUPLICATE_EVENT');
        expect(await log.readStream('s-dup-b')).toEqual([]);
      });

      it('rejects an append whose ids are only partly stored with DUPLICATE_EVENT', async () => {
        const batch = events(2);
        await log.append('s-dup-part', [batch[0]!], NO_STREAM);
        await expectCode(log.append('s-dup-part', batch, ANY), 'DUPLICATE_EVENT');
        expect(await log.readStream('s-dup-part')).toHaveLength(1);
      });

      it('rejects an append that repeats an id within itself with DUPLICATE_EVENT', async () => {
        const e = newEvent();
        await expectCode(log.append('s-dup-self', [e, e], NO_STREAM), 'DUPLICATE_EVENT');
        expect(await log.readStream('s-dup-self')).toEqual([]);
      });
    });

    describe('reading', () => {
      it('reads back what was appended, with 0-based revisions and the data as given', async () => {
        const batch = [newEvent('A', { nested: { list: [1, 'two', null] } }), newEvent('B', null)];
        await log.append('s-read', batch, NO_STREAM);
        const stored = await log.readStream('s-read');
        expect(stored.map(strip)).toEqual(batch);
        expect(stored.map((e) => [e.streamId, e.revision])).toEqual([
          ['s-read', 0],
          ['s-read', 1],
        ]);
      });

      it('reads a stream from a revision and at most maxCount events', async () => {
        await log.append('s-range', events(10), NO_STREAM);
        expect((await log.readStream('s-range', { fromRevision: 4 })).map((e) => e.revision)).toEqual([
          4, 5, 6, 7, 8, 9,
        ]);
        expect((await log.readStream('s-range', { fromRevision: 2, maxCount: 3 })).map((e) => e.revision)).toEqual([
          2, 3, 4,
        ]);
        expect((await log.readStream('s-range', { maxCount: 2 })).map((e) => e.revision)).toEqual([0, 1]);
        expect(await log.readStream('s-range', { fromRevision: 10 })).toEqual([]);
      });

      it('returns an empty list for an unknown stream', async () => {
        expect(await log.readStream('s-never-written')).toEqual([]);
      });

      it('reads the whole log after a position, at most maxCount events', async () => {
        await log.append('s-all-a', events(3), NO_STREAM);
        await log.append('s-all-b', events(3), NO_STREAM);
        const all = await log.readAll();
        expect(all).toHaveLength(6);
        const after = all[1]!.position;
        const page = await log.readAll({ after, maxCount: 3 });
        expect(page.map((e) => e.position)).toEqual(all.slice(2, 5).map((e) => e.position));
        expect(await log.readAll({ after: all[5]!.position })).toEqual([]);
        expect(await log.readAll({ maxCount: 1 })).toHaveLength(1);
      });

      it('reports the head position, 0 for an empty log', async () => {
        expect(await log.headPosition()).toBe(0);
        const r = await log.append('s-head', events(2), NO_STREAM);
        expect(await log.headPosition()).toBe(r.position);
      });

      it('gives 1-based positions that strictly increase across streams', async () => {
        const r1 = await log.append('s-pos-a', events(2), NO_STREAM);
        const r2 = await log.append('s-pos-b', events(1), NO_STREAM);
        const r3 = await log.append('s-pos-a', events(1), 1);
        expect(r1.position).toBeLessThan(r2.position);
        expect(r2.position).toBeLessThan(r3.position);
        const all = await log.readAll();
        expect(all[0]!.position).toBeGreaterThanOrEqual(1);
        for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);
        expect(all.map((e) => e.streamId)).toEqual(['s-pos-a', 's-pos-a', 's-pos-b', 's-pos-a']);
      });
    });

    describe('concurrency', () => {
      it('lets exactly one of many concurrent appends with the same expected revision win', async () => {
        await log.append('s-race', events(1), NO_STREAM);
        const results = await Promise.allSettled(Array.from({ length: 10 }, () => log.append('s-race', events(1), 0)));
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(9);
        for (const l of lost) expect(isVaultError(l.reason, 'CONFLICT')).toBe(true);
        expect(await log.readStream('s-race')).toHaveLength(2);
      });

      it('lands every one of many concurrent appends to different streams', async () => {
        const n = 50;
        const results = await Promise.all(
          Array.from({ length: n }, (_, i) => log.append(`s-many-${i}`, events(2), NO_STREAM)),
        );
        const positions = results.map((r) => r.position);
        expect(new Set(positions).size).toBe(n);
        expect(await log.readAll({ maxCount: 10_000 })).toHaveLength(2 * n);
        for (let i = 0; i < n; i++) expect(await log.readStream(`s-many-${i}`)).toHaveLength(2);
      });

      it('fails only the conflicting append among concurrent ones', async () => {
        await log.append('s-mixed', events(1), NO_STREAM);
        const [ok1, bad, ok2] = await Promise.allSettled([
          log.append('s-mixed-a', events(1), NO_STREAM),
          log.append('s-mixed', events(1), 5),
          log.append('s-mixed-b', events(1), NO_STREAM),
        ]);
        expect(ok1.status).toBe('fulfilled');
        expect(ok2.status).toBe('fulfilled');
        expect(bad.status === 'rejected' && isVaultError(bad.reason, 'CONFLICT')).toBe(true);
      });
    });

    describe('subscription', () => {
      it('catches up from a checkpoint in order, then follows live appends', async () => {
        await log.append('s-sub-a', events(3), NO_STREAM);
        const checkpoint = (await log.append('s-sub-b', events(2), NO_STREAM)).position;
        await log.append('s-sub-a', events(4), 2);
        const seen: RecordedEvent[] = [];
        const batches: number[] = [];
        const sub = log.subscribe({
          after: checkpoint,
          batchSize: 3,
          onEvents: (batch) => {
            batches.push(batch.length);
            seen.push(...batch);
          },
        });
        try {
          const caughtUp = await log.headPosition();
          await sub.waitFor(caughtUp, 5000);
          expect(seen.map((e) => e.revision)).toEqual([3, 4, 5, 6]);
          expect(seen.every((e) => e.position > checkpoint)).toBe(true);
          expect(Math.max(...batches)).toBeLessThanOrEqual(3);

          const live = await log.append('s-sub-c', events(2), NO_STREAM);
          await sub.waitFor(live.position, 5000);
          expect(sub.position).toBe(live.position);
          expect(seen.map((e) => e.streamId)).toEqual([
            's-sub-a',
            's-sub-a',
            's-sub-a',
            's-sub-a',
            's-sub-c',
            's-sub-c',
          ]);
          for (let i = 1; i < seen.length; i++) expect(seen[i]!.position).toBeGreaterThan(seen[i - 1]!.position);
        } finally {
          await sub.stop();
        }
      });

      it('delivers batches one at a time, waiting for the handler', async () => {
        let active = 0;
        let overlapped = false;
        const seen: number[] = [];
        const sub = log.subscribe({
          batchSize: 1,
          onEvents: async (batch) => {
            active += 1;
            if (active > 1) overlapped = true;
            await new Promise((r) => setTimeout(r, 2));
            seen.push(...batch.map((e) => e.position));
            active -= 1;
          },
        });
        try {
          let last = 0;
          for (let i = 0; i < 5; i++) last = (await log.append(`s-serial-${i}`, events(2), NO_STREAM)).position;
          await sub.waitFor(last, 5000);
          expect(overlapped).toBe(false);
          expect(seen).toEqual([...seen].sort((a, b) => a - b));
          expect(seen).toHaveLength(10);
        } finally {
          await sub.stop();
        }
      });

      it('rejects waitFor with STORE_UNAVAILABLE when the position is not reached in time', async () => {
        const sub = log.subscribe({ onEvents: () => undefined });
        try {
          await expectCode(sub.waitFor(1_000_000, 50), 'STORE_UNAVAILABLE');
        } finally {
          await sub.stop();
        }
      });

      it('stops on a handler error, reports it once through onError, and stop still resolves', async () => {
        await log.append('s-sub-err', events(2), NO_STREAM);
        const errors: unknown[] = [];
        const boom = new Error('handler failed');
        const sub = log.subscribe({
          onEvents: () => {
            throw boom;
          },
          onError: (e) => errors.push(e),
        });
        await expect(sub.waitFor(2, 5000)).rejects.toBeDefined();
        await sub.stop();
        expect(errors).toEqual([boom]);
      });

      it('resolves stop once the loop has ended, delivering nothing afterwards', async () => {
        const seen: RecordedEvent[] = [];
        const sub = log.subscribe({ onEvents: (b) => void seen.push(...b) });
        await sub.stop();
        await log.append('s-after-stop', events(1), NO_STREAM);
        await new Promise((r) => setTimeout(r, 50));
        expect(seen).toEqual([]);
      });
    });

    describe('writers in several processes', () => {
      it('delivers every event once, in order, while two processes append', async () => {
        await expectEveryEventOnceInOrder(log, fx.processEnv);
      }, 120_000);

      it('never skips an append that commits late under a lower position', async (ctx) => {
        if (!fx.holdAppend) ctx.skip('this log commits appends one at a time, in position order');
        await expectEveryEventOnceInOrder(log, fx.processEnv, fx.holdAppend);
      }, 120_000);
    });
  });
}
