import { createHash, randomUUID } from 'node:crypto';

import type { Pool, PoolClient } from 'pg';

/** The LISTEN/NOTIFY channel of the event log in `schema`: at most 63 bytes, PostgreSQL's limit for a name. */
export function channelOf(schema: string): string {
  const plain = `pdv_events_${schema}`;
  return plain.length <= 63 ? plain : `pdv_events_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;
/**
 * Least time between two notifications of one process. Under a steady stream of appends one
 * notification per append was a quarter of the record load's statements (each its own round trip and
 * commit); other processes now hear of a burst at most this much later. A lone append is announced at once.
 */
const ANNOUNCE_GAP_MS = 10;

/**
 * What wakes the subscriptions of one event log: this process's own appends at once, other
 * processes' through LISTEN/NOTIFY. A notification carries nothing but its sender's id (a
 * subscription reads the log anyway); losing one costs at most a poll interval, since
 * subscriptions poll as well.
 *
 * NOTIFY is sent after the append has committed, in a statement of its own, and coalesced (one
 * in flight, at most one more queued, sent no sooner than ANNOUNCE_GAP_MS after the one before):
 * inside the append's transaction it would take the server's notification lock from the commit to
 * its end and so make every append commit alone. A notification carries the id of the instance
 * that sent it, and that instance's listener ignores it: its own appends woke its subscriptions
 * already, and each echo cost them a read of the log.
 */
export class Wakeups {
  private readonly subscribers = new Set<() => void>();
  private listener: PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = RECONNECT_MIN_MS;
  private sending: Promise<void> | undefined;
  private sendAgain = false;
  /** When the last notification was sent (`performance.now()`). */
  private lastSentAt = -Infinity;
  private closed = false;
  /** The payload of this instance's notifications, by which its listener knows them for its own. */
  private readonly token = randomUUID();

  constructor(
    private readonly pool: Pool,
    private readonly channel: string,
    /** Whether to send and listen for notifications at all; off, other processes' appends are found by polling. */
    private readonly enabled: boolean,
    private readonly warn: (message: string) => void,
  ) {}

  /** Registers a subscription's wake function; the first one starts listening. */
  add(wake: () => void): void {
    this.subscribers.add(wake);
    if (this.enabled && !this.listener && !this.connecting) this.listen();
  }

  delete(wake: () => void): void {
    this.subscribers.delete(wake);
  }

  /** Wakes every subscription of this process. */
  poke(): void {
    for (const wake of this.subscribers) wake();
  }

  /** Tells the other processes' subscriptions that the log grew (coalesced; failures only warn). */
  announce(): void {
    if (!this.enabled || this.closed) return;
    if (this.sending) {
      this.sendAgain = true;
      return;
    }
    this.sending = this.sendAnnouncements();
  }

  /**
   * Sends until no announcement is queued, each at least ANNOUNCE_GAP_MS after the start of the one before (this
   * loop's or an earlier one's). `sending` is cleared in the same step as the last test of `sendAgain`, so an
   * announcement made after it starts a new loop instead of being left queued behind a loop that has ended.
   */
  private async sendAnnouncements(): Promise<void> {
    try {
      do {
        this.sendAgain = false;
        const wait = this.lastSentAt + ANNOUNCE_GAP_MS - performance.now();
        // A whole millisecond more: a timer may fire up to one early by this clock.
        if (wait > 0) await new Promise((r) => setTimeout(r, Math.ceil(wait) + 1));
        if (this.closed) return;
        this.lastSentAt = performance.now();
        try {
          await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, this.token]);
        } catch (e) {
          this.warn(`PostgreSQL event log could not notify other processes (${codeOf(e)}); they poll`);
          return;
        }
      } while (this.sendAgain && !this.closed);
    } finally {
      this.sending = undefined;
    }
  }

  private listen(): void {
    this.connecting = (async () => {
      let client: PoolClient | undefined;
      try {
        client = await this.pool.connect();
        client.on('notification', (n: { payload?: string }) => {
          if (n.payload !== this.token) this.poke();
        });
        client.on('error', (e) => this.lost(client!, e));
        client.on('end', () => this.lost(client!, new Error('connection ended')));
        await client.query(`LISTEN "${this.channel}"`);
        if (this.closed) return void client.release(true);
        this.listener = client;
        this.reconnectDelayMs = RECONNECT_MIN_MS;
        // Whatever was notified while no one listened is found by reading the log once more.
        this.poke();
      } catch (e) {
        if (client) this.lost(client, e);
        else this.retryLater(e);
      } finally {
        this.connecting = undefined;
      }
    })();
  }

  private lost(client: PoolClient, error: unknown): void {
    if (this.listener === client) this.listener = undefined;
    try {
      client.release(true);
    } catch {
      // Released already: the pool dropped it first.
    }
    this.retryLater(error);
  }

  private retryLater(error: unknown): void {
    if (this.closed || this.reconnectTimer || this.subscribers.size === 0) return;
    this.warn(`PostgreSQL event log lost its LISTEN connection (${codeOf(error)}); polling until it is back`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && !this.listener && !this.connecting) this.listen();
    }, this.reconnectDelayMs);
    this.reconnectTimer.unref();
    this.reconnectDelayMs = Math.min(RECONNECT_MAX_MS, this.reconnectDelayMs * 2);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.connecting;
    await this.sending;
    const client = this.listener;
    this.listener = undefined;
    // Destroyed, not handed back: a pooled connection must not keep listening for another user.
    client?.release(true);
  }
}

const codeOf = (e: unknown): string => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.name : 'unknown';
};
