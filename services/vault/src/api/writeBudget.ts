import { LRUCache } from 'lru-cache';

import { actorOf, type Principal } from '../auth/tokens.js';

export interface WriteBudgetOptions {
  /**
   * Commands (mutation fields, aliases included) a principal may send a minute; 0 turns the budget off
   * (`VAULT_COMMANDS_PER_MINUTE`). Default 1,200.
   */
  commandsPerMinute: number;
  /**
   * Items (values, categories) its commands may write a minute; 0 turns it off (`VAULT_ITEMS_PER_MINUTE`). Default
   * 30,000.
   */
  itemsPerMinute: number;
  /** Principals tracked at once (least recently seen forgotten first). Default 10,000. */
  principals?: number;
  now?: () => number;
}

interface Buckets {
  commands: number;
  items: number;
  at: number;
}

/**
 * What each principal may write, as two token buckets that refill continuously: a request's
 * commands and items are charged together, before its first write, and a request that does not fit
 * is refused whole (nothing charged). The HTTP rate limit counts requests; this counts the work in
 * them, so aliases cannot multiply it. In memory, per process: behind a load balancer each replica
 * keeps its own, as for the request limit.
 */
export class WriteBudget {
  private readonly buckets: LRUCache<string, Buckets>;
  private readonly now: () => number;

  constructor(private readonly options: WriteBudgetOptions) {
    this.buckets = new LRUCache({ max: options.principals ?? 10_000 });
    this.now = options.now ?? Date.now;
  }

  /**
   * Charges the work, or answers how many seconds until it would fit (a request larger than a whole minute's budget
   * never fits).
   */
  charge(principal: Principal, commands: number, items: number): number | undefined {
    const { commandsPerMinute: cpm, itemsPerMinute: ipm } = this.options;
    const key = actorOf(principal);
    const now = this.now();
    const b = this.buckets.get(key) ?? { commands: cpm, items: ipm, at: now };
    const elapsed = Math.max(0, now - b.at) / 60_000;
    const c = Math.min(cpm, b.commands + elapsed * cpm);
    const i = Math.min(ipm, b.items + elapsed * ipm);
    const short = Math.max(
      cpm > 0 && commands > c ? (commands - c) / cpm : 0,
      ipm > 0 && items > i ? (items - i) / ipm : 0,
    );
    if (short > 0) {
      this.buckets.set(key, { commands: c, items: i, at: now });
      return Math.max(1, Math.ceil(short * 60));
    }
    this.buckets.set(key, { commands: cpm > 0 ? c - commands : c, items: ipm > 0 ? i - items : i, at: now });
    return undefined;
  }
}
