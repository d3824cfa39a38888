import type { AppendResult } from '../../ports/EventLog.js';
import type { AppendRequest, Outcome } from './writers/eventLogCommit.js';
import type { WriterThread } from './writers/thread.js';
import { fromWire } from './writers/wire.js';

interface PendingAppend {
  request: AppendRequest;
  events: number;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/**
 * The event log's group commit on this side of the writer thread: appends queued in one turn of
 * the event loop are sent together, in groups of at most `maxEventsPerCommit` events, and each
 * caller is settled with its own outcome.
 */
export class AppendQueue {
  private queue: PendingAppend[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** Groups sent and not yet settled. */
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly writer: WriterThread<AppendRequest[], Outcome[]>,
    private readonly maxEventsPerCommit: number,
    /** Told of every append that inserted events, before its caller is settled. */
    private readonly committed: { add(request: AppendRequest, result: AppendResult): void },
    /** Woken once per group committed. */
    private readonly listeners: ReadonlySet<() => void>,
  ) {}

  push(request: AppendRequest, events: number): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ request, events, resolve, reject });
      this.scheduled ??= setImmediate(this.send);
    });
  }

  /** Sends what is queued now and waits until every group sent is settled. */
  async drain(): Promise<void> {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.send();
    await Promise.all(this.writes);
  }

  /** Sends what this turn of the event loop queued, in groups of at most `maxEventsPerCommit` events. */
  private readonly send = (): void => {
    this.scheduled = undefined;
    while (this.queue.length > 0) {
      let events = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || events + this.queue[n]!.events <= this.maxEventsPerCommit)) {
        events += this.queue[n]!.events;
        n += 1;
      }
      const group = this.queue.slice(0, n);
      this.queue = this.queue.slice(n);
      const done = this.writer.write(group.map((p) => p.request)).then(
        (outcomes) => this.settle(group, outcomes),
        (error: unknown) => {
          for (const p of group) p.reject(error);
        },
      );
      this.writes.add(done);
      void done.finally(() => this.writes.delete(done));
    }
  };

  private settle(group: readonly PendingAppend[], outcomes: readonly Outcome[]): void {
    group.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok && o.inserted) this.committed.add(p.request, o.value);
      // Settling only queues the callers' continuations: they run after this loop.
      if (o.ok) p.resolve(o.value);
      else p.reject(fromWire(o.error));
    });
    for (const l of this.listeners) l();
  }
}
