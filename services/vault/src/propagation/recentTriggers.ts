import { metadataPurpose } from '../domain/access.js';
import type { PropagationTrigger } from '../domain/propagation.js';
import type { AccessLogEntry } from '../ports/AccessLog.js';

/** A service's read of values, as an access-log entry records it; undefined for any other entry. */
export function serviceReadOf(entry: AccessLogEntry): { service: string } | undefined {
  if (!entry.actor.startsWith('service:') || entry.purpose.startsWith(metadataPurpose(''))) return undefined;
  if (entry.categories.length === 0) return undefined;
  return { service: entry.actor.slice('service:'.length) };
}

/** Whether a read (its entry) is one a change must be notified for: made at or before it, of what it concerns. */
export const readConcerns = (t: PropagationTrigger, entry: AccessLogEntry): boolean =>
  entry.at <= t.at &&
  (t.purpose === undefined || entry.purpose === t.purpose) &&
  entry.categories.some((c) => t.categories.includes(c));

/**
 * The changes propagation examined in the last `windowMs`, by subject: what a read written to the access log after
 * its change was examined is checked against (a read another process still held in memory then, or one whose write
 * failed and was retried). Reads older than what this remembers (`covers`) are checked against the subject's stream.
 */
export class RecentTriggers {
  private readonly bySubject = new Map<string, PropagationTrigger[]>();
  private readonly order: { t: PropagationTrigger; examinedAt: number }[] = [];
  private head = 0;
  /** Every change at or before this time may have been forgotten (or examined before this process started). */
  private forgottenTo: string;

  constructor(
    private readonly windowMs: number,
    startedAt: string,
  ) {
    this.forgottenTo = startedAt;
  }

  /** Remembers changes about to be examined (before the access log is asked: a read stored later finds them). */
  add(triggers: readonly PropagationTrigger[], nowMs = Date.now()): void {
    for (const t of triggers) {
      const list = this.bySubject.get(t.subjectId);
      if (list) list.push(t);
      else this.bySubject.set(t.subjectId, [t]);
      this.order.push({ t, examinedAt: nowMs });
    }
    this.prune(nowMs);
  }

  /** Whether every change that a read at `at` must be checked against is remembered here. */
  covers(at: string): boolean {
    return at > this.forgottenTo;
  }

  /** The remembered changes of the subject a read concerns. */
  concerning(entry: AccessLogEntry): PropagationTrigger[] {
    return (this.bySubject.get(entry.subjectId) ?? []).filter((t) => readConcerns(t, entry));
  }

  /** Forgets what was examined more than the window ago. */
  forget(nowMs = Date.now()): void {
    this.prune(nowMs);
  }

  private prune(nowMs: number): void {
    while (this.head < this.order.length && this.order[this.head]!.examinedAt < nowMs - this.windowMs) {
      const { t } = this.order[this.head++]!;
      if (t.at > this.forgottenTo) this.forgottenTo = t.at;
      const list = this.bySubject.get(t.subjectId);
      const i = list?.indexOf(t) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
      if (list?.length === 0) this.bySubject.delete(t.subjectId);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}
