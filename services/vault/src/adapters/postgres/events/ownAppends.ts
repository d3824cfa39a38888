import type { RecordedEvent } from '../../../ports/EventLog.js';

/** An event this process appended, as the log stores it (data and metadata as JSON text). */
interface OwnEvent {
  streamId: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
}

/**
 * The events this process's appends committed lately, by position, so that a subscription can take
 * its next page from memory instead of a read of the log. Only a run that starts right after the
 * subscription's checkpoint and has no hole is handed out: every position up to its end is then
 * committed (the checkpoint's, by induction, and the run's, by this process's own commits), so
 * nothing can still commit below it, which is what `read_events` establishes with `pg_locks`
 * (schema.ts). A position held by another process or by an append that rolled back is a hole: the
 * subscription reads the log, as it would without this. Bounded: the oldest entries go first.
 */
export class OwnAppends {
  private readonly events = new Map<number, OwnEvent>();

  constructor(private readonly capacity: number) {}

  /** The events of one committed append, its last one at `lastPosition` (an append's positions are consecutive). */
  add(
    lastPosition: number,
    lastRevision: number,
    streamId: string,
    ids: readonly string[],
    types: readonly string[],
    data: readonly string[],
    metadata: readonly string[],
  ): void {
    if (this.capacity <= 0) return;
    const n = ids.length;
    for (let i = 0; i < n; i++) {
      const back = n - 1 - i;
      this.events.set(lastPosition - back, {
        streamId,
        revision: lastRevision - back,
        id: ids[i]!,
        type: types[i]!,
        data: data[i]!,
        metadata: metadata[i]!,
      });
    }
    for (const position of this.events.keys()) {
      if (this.events.size <= this.capacity) break;
      this.events.delete(position);
    }
  }

  /**
   * Up to `max` events from position `after + 1` on, without a hole; empty when `after + 1` is not
   * this process's. Parsed afresh for each caller, as a read of the log would be: subscriptions
   * never share objects.
   */
  runAfter(after: number, max: number): RecordedEvent[] {
    const run: RecordedEvent[] = [];
    for (let p = after + 1; run.length < max; p++) {
      const e = this.events.get(p);
      if (!e) break;
      run.push({
        id: e.id,
        type: e.type,
        data: JSON.parse(e.data) as unknown,
        metadata: JSON.parse(e.metadata) as RecordedEvent['metadata'],
        streamId: e.streamId,
        revision: e.revision,
        position: p,
      });
    }
    return run;
  }

  clear(): void {
    this.events.clear();
  }
}
