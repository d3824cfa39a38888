import { isVaultError, VaultError } from '../../../domain/errors.js';
import {
  PositionWaiters,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../../../ports/EventLog.js';
import type { Wakeups } from './wakeups.js';

const UNAVAILABLE_RETRY_MAX_MS = 5000;

/**
 * A catch-up subscription: reads pages from its checkpoint (only what is safe, see schema.ts),
 * then sleeps until an append of this process or a notification wakes it, or the poll interval
 * has passed. While the store is unavailable it keeps trying, with backoff, instead of stopping:
 * a server restart must not end a replica's projection. A handler's error stops it.
 */
export class PostgresSubscription implements Subscription {
  position: number;
  readonly ended: Promise<void>;
  private stopped = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private woken = false;
  private unavailableDelayMs = 100;
  private readonly waiters = new PositionWaiters();
  private readonly listener = (): void => this.poke();

  constructor(
    private readonly opts: SubscribeOptions,
    /** Events after a position that no running append can still precede. */
    private readonly read: (after: number, max: number) => Promise<RecordedEvent[]>,
    private readonly wakeups: Wakeups,
    private readonly pollIntervalMs: number,
    closedError: VaultError | undefined,
  ) {
    this.position = opts.after ?? 0;
    if (!closedError) wakeups.add(this.listener);
    // Started on the next microtask, so onEvents and onError are never called before subscribe() returns.
    this.ended = Promise.resolve().then(() => (closedError ? this.fail(closedError) : this.run()));
  }

  private poke(): void {
    this.woken = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    const batchSize = Math.max(1, this.opts.batchSize ?? 500);
    try {
      while (!this.stopped) {
        this.woken = false;
        const page = await this.readOrWait(batchSize);
        if (page === undefined || this.stopped) continue;
        if (page.length > 0) {
          await this.opts.onEvents(page);
          this.position = page[page.length - 1]!.position;
          this.waiters.reached(this.position);
          continue;
        }
        // Nothing new, or held back by an append still running: that one wakes this subscription
        // when it commits (its process at once, the others by notification), else the poll does.
        if (this.woken) continue;
        await this.sleep(this.pollIntervalMs);
      }
      this.finish();
    } catch (e) {
      await this.fail(e);
    }
  }

  /** The next page, or undefined after waiting out an unavailable store (or once stopped). */
  private async readOrWait(batchSize: number): Promise<RecordedEvent[] | undefined> {
    try {
      const page = await this.read(this.position, batchSize);
      this.unavailableDelayMs = 100;
      return page;
    } catch (e) {
      if (this.stopped) return undefined;
      if (!isVaultError(e, 'STORE_UNAVAILABLE')) throw e;
      await this.sleep(this.unavailableDelayMs);
      this.unavailableDelayMs = Math.min(UNAVAILABLE_RETRY_MAX_MS, this.unavailableDelayMs * 2);
      return undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.poke(), ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async fail(error: unknown): Promise<void> {
    this.failure = error;
    this.stopped = true;
    try {
      this.opts.onError?.(error);
    } catch {
      // An onError that throws must not turn into an unhandled rejection.
    }
    this.finish();
  }

  private finish(): void {
    this.wakeups.delete(this.listener);
    const error = this.failure ?? new VaultError('STORE_UNAVAILABLE', 'Subscription stopped');
    this.waiters.failAll(error);
  }

  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    if (this.position >= position) return Promise.resolve();
    if (this.stopped) {
      return Promise.reject(
        this.failure instanceof Error ? this.failure : new VaultError('STORE_UNAVAILABLE', 'Subscription stopped'),
      );
    }
    return this.waiters.wait(position, () => this.position, timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.ended;
  }
}
