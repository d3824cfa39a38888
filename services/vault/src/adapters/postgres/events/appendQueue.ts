import type { AppendResult, ExpectedRevision } from '../../../ports/EventLog.js';

/** One append waiting for its statement: the append function's arguments and its caller. */
export interface PendingAppend {
  /** `[stream, expected, ids, types, data, metadata]`, as `append_events` takes them. */
  args: [string, string, string[], string[], string[], string[]];
  /** The caller's expected revision, for its conflict error. */
  expected: ExpectedRevision;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/**
 * The PostgreSQL event log's group commit: at most `maxInFlight` append statements run at once;
 * an append that finds one free goes alone and at once, and the appends that queued meanwhile go
 * together in the next free one (at most `maxEvents` events), one transaction and one commit for
 * all of them. So a lone append waits for nothing, and a busy process pays one commit per group.
 */
export class AppendQueue {
  private queue: PendingAppend[] = [];
  private inFlight = 0;
  private readonly idle = new Set<() => void>();

  constructor(
    /** Runs one group's statement and settles every caller in it; never rejects. */
    private readonly send: (group: PendingAppend[]) => Promise<void>,
    private readonly maxInFlight: number,
    private readonly maxEvents: number,
  ) {}

  push(args: PendingAppend['args'], expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ args, expected, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once every append pushed so far is settled. */
  drain(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      let events = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || events + this.queue[n]!.args[2].length <= this.maxEvents)) {
        events += this.queue[n]!.args[2].length;
        n += 1;
      }
      const group = this.queue.splice(0, n);
      this.inFlight += 1;
      void this.send(group).finally(() => {
        this.inFlight -= 1;
        this.pump();
        if (this.inFlight === 0 && this.queue.length === 0) {
          for (const resolve of this.idle) resolve();
          this.idle.clear();
        }
      });
    }
  }
}
