import type { PoolClient } from 'pg';

import { type PostgresHandle, toVaultError } from '../connect.js';
import type { KeySql } from './statements.js';

const PARTITION = /^keys_p[0-9]{3}$/;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Options of the scrubber. */
export interface ScrubberOptions {
  /**
   * How long a shred waits for its partitions to be rewritten before it returns anyway (the
   * rewrite goes on in the background), in ms. Default 10,000.
   */
  waitMs?: number;
  /** How often a partition that an older snapshot still holds back is tried again, in ms. Default 1,000. */
  retryMs?: number;
  /** Told (without data) when a rewrite fails; it is tried again at the next round. */
  warn?: (message: string) => void;
}

export interface Scrubber {
  /**
   * Rewrites every marked partition that can be rewritten now; resolves when this round (or the
   * next) has run, with whether no mark is left waiting.
   */
  scrub(): Promise<boolean>;
  /** Runs rounds until no mark is left waiting, or `waitMs` has passed (then the retries go on in the background). */
  scrubBounded(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Takes a shredded key's bytes out of the keys table's files. PostgreSQL never overwrites a row:
 * a DELETE leaves the tuple's bytes in the page, and VACUUM marks the space free without clearing
 * it. So each shred marks the partitions it touched (in its own transaction, so a crash is
 * finished at the next start), and this rewrites each marked partition into a new file with
 * `VACUUM (FULL)`, which copies only live rows and truncates the old file, as soon as no snapshot
 * of another session (or replication slot) is older than the shred, because a row such a
 * snapshot can still see would be copied along. Rounds are serial; shreds that arrive during one
 * are served by the next. A partition holds 1/128 of the keys, so a rewrite locks a small part of
 * the table for milliseconds to tens of milliseconds.
 */
/**
 * Rewrites the partitions, one statement each on one connection, and returns those whose rewrite
 * had to keep dead rows: PostgreSQL says so (`VERBOSE`: "N dead row versions cannot be removed
 * yet") when a snapshot the check before did not count (an autovacuum worker's analyze) still
 * needs them. Those stay marked, for the next round.
 */
async function rewrite(db: PostgresHandle, partitions: readonly string[]): Promise<Set<string>> {
  const kept = new Set<string>();
  let client: PoolClient;
  try {
    client = await db.pool.connect();
  } catch (e) {
    throw toVaultError(e);
  }
  let details: string[] = [];
  const onNotice = (n: { detail?: string }) => details.push(n.detail ?? '');
  client.on('notice', onNotice);
  // As in connect.ts's tx: a checked-out connection that drops must not end the process.
  let broken = false;
  const onError = () => void (broken = true);
  client.on('error', onError);
  try {
    for (const partition of partitions) {
      details = [];
      await client.query(`VACUUM (FULL, VERBOSE) ${db.s}."${partition}"`);
      const stayed = details.map((d) => /(\d+) dead row versions? cannot be removed yet/.exec(d)?.[1]).find(Boolean);
      // No such line (messages in another language): the check before the rewrite stands.
      if (stayed !== undefined && Number(stayed) > 0) kept.add(partition);
    }
  } catch (e) {
    throw toVaultError(e);
  } finally {
    client.off('notice', onNotice);
    if (!broken) client.off('error', onError);
    client.release(broken);
  }
  return kept;
}

export function startScrubber(db: PostgresHandle, sql: KeySql, options: ScrubberOptions = {}): Scrubber {
  const waitMs = options.waitMs ?? 10_000;
  const retryMs = options.retryMs ?? 1_000;
  let current: Promise<boolean> | undefined;
  let next: Promise<boolean> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  /** One pass over the marks; true when none is left waiting. */
  async function round(): Promise<boolean> {
    const pending = await db.query<{ partition: string; xid: string; ready: boolean }>(sql.scrubPending);
    const ready = pending.filter((p) => p.ready && PARTITION.test(p.partition));
    const kept =
      ready.length > 0 && !closed
        ? await rewrite(
            db,
            ready.map((p) => p.partition),
          )
        : new Set<string>();
    for (const p of ready) if (!kept.has(p.partition)) await db.query(sql.scrubDone, [p.partition, p.xid]);
    const waiting = pending.some((p) => !p.ready) || kept.size > 0;
    if (waiting && !closed && !retry) {
      retry = setTimeout(() => {
        retry = undefined;
        void scrub().catch(() => {});
      }, retryMs);
      retry.unref();
    }
    return !waiting;
  }

  function run(): Promise<boolean> {
    const r = round().catch((e: unknown) => {
      options.warn?.(`key store: rewriting partitions after a shred failed (${(e as Error).name}); tried again later`);
      throw e;
    });
    current = r.finally(() => {
      current = undefined;
    });
    return r;
  }

  function scrub(): Promise<boolean> {
    if (closed) return Promise.resolve(false);
    if (!current) return run();
    // One round is running: it may have read the list before this shred marked its partition.
    next ??= current
      .catch(() => {})
      .then(() => {
        next = undefined;
        return run();
      });
    return next;
  }

  return {
    scrub,
    async scrubBounded() {
      const deadline = Date.now() + waitMs;
      // An older snapshot elsewhere usually ends within milliseconds: look again soon, then less often.
      for (let pause = 10; !closed; pause = Math.min(pause * 2, retryMs)) {
        const left = deadline - Date.now();
        if (left <= 0) return;
        const clean = await Promise.race([scrub().catch(() => false), sleep(left).then(() => true)]);
        if (clean) return;
        await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
      }
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await Promise.allSettled([current, next]);
    },
  };
}
