import { VaultError } from '../domain/errors.js';
import { PositionWaiters, type RecordedEvent, type SubscribeOptions, type Subscription } from '../ports/EventLog.js';

/** Where a catch-up subscription takes its pages from, and how long it sleeps when there is none. */
export interface CatchUpSource {
  /**
   * The events right after `after` (at most `max`) in position order, as far as they can be
   * delivered now; empty when none is ready. A thrown error stops the subscription.
   */
  read(after: number, max: number): Promise<RecordedEvent[]> | RecordedEvent[];
  /** After an empty page and no wake-up meanwhile: how long to sleep before reading again, in ms. */
  idleMs(): number;
}

/** What wakes the subscriptions of one log: its appends in this process, a notification, … */
export interface WakeSource {
  add(wake: () => void): void;
  delete(wake: () => void): void;
}

/**
 * The catch-up loop every polling adapter shares: reads pages from its checkpoint, hands each to
 * `onEvents` and waits for it, then sleeps until a wake-up (an append of this process, a
 * notification) or the source's idle time. A handler's error, or the source's, stops it and is
 * reported once through `onError`; `stop` ends the loop, after which nothing is delivered.
 */
export class CatchUpSubscription implements Subscription {
  position: number;
  readonly ended: Promise<void>;
  private stopped = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private woken = false;
  private readonly waiters = new PositionWaiters();
  private readonly listener = (): void => this.poke();

  /** `closedError`: the log was closed before `subscribe`, so the subscription fails with it at once. */
  constructor(
    private readonly opts: SubscribeOptions,
    private readonly source: CatchUpSource,
    private readonly wakeups: WakeSource,
    closedError?: VaultError,
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
        const page = await this.readPage(batchSize);
        if (this.stopped) break;
        if (page.length > 0) {
          await this.opts.onEvents(page);
          this.position = page[page.length - 1]!.position;
          this.waiters.reached(this.position);
          continue;
        }
        // Nothing new: whatever commits next wakes this subscription (this process's appends at
        // once, others' by notification where there is one), else the source's idle time is up.
        if (this.woken) continue;
        await this.sleep(this.source.idleMs());
      }
      this.finish();
    } catch (e) {
      await this.fail(e);
    }
  }

  /** The source's next page; empty once stopped, whatever the read did (a closing store may throw). */
  private async readPage(batchSize: number): Promise<RecordedEvent[]> {
    try {
      return await this.source.read(this.position, batchSize);
    } catch (e) {
      if (this.stopped) return [];
      throw e;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.poke(), Math.max(0, ms));
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
    this.waiters.failAll(this.failure ?? new VaultError('STORE_UNAVAILABLE', 'Subscription stopped'));
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
