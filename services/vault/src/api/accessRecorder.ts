import type { Logger } from 'pino';

import { metadataPurpose } from '../domain/access.js';
import { isVaultError, VaultError } from '../domain/errors.js';
import type { AccessLog, AccessLogEntry } from '../ports/AccessLog.js';
import type { ReadItem } from '../read/SubjectReader.js';

/** Who saw a subject, for what, when: the parts every entry about one read of it shares. */
export interface SubjectSeen {
  actor: string;
  purpose: string;
  subjectId: string;
  at: string;
}

/**
 * The access-log entries for showing a subject (its id, times and `items`, when given) to a caller.
 * The categories whose values it shows are recorded under the purpose of the read, as every read
 * of values is. What it shows only the shape of (fields denied or erased, with their reasons and
 * times) is recorded under the metadata marker of that purpose (`metadataPurpose`), with those
 * categories. A read that shows no value at all still shows that the subject exists and when it
 * was registered: it is recorded under the marker too, with no category when it showed none. So
 * every read of a subject leaves at least one entry, and a plain read of values exactly one.
 */
export function subjectDisclosures(
  seen: SubjectSeen,
  items?: readonly Pick<ReadItem, 'status' | 'category'>[],
): AccessLogEntry[] {
  const values = new Set<string>();
  const shape = new Set<string>();
  for (const i of items ?? []) (i.status === 'VALUE' ? values : shape).add(i.category);
  for (const c of values) shape.delete(c);
  const out: AccessLogEntry[] = [];
  if (values.size > 0) out.push({ ...seen, categories: [...values] });
  if (shape.size > 0 || values.size === 0)
    out.push({ ...seen, purpose: metadataPurpose(seen.purpose), categories: [...shape] });
  return out;
}

export interface AccessRecorderOptions {
  /** Longest an entry waits in memory before it is written, in ms. Default 200. */
  flushIntervalMs?: number;
  /** Entries that trigger a write at once. Default 500. */
  maxBatch?: number;
  /**
   * Entries held in memory while the store fails. Once this many wait, `record` refuses with
   * STORE_UNAVAILABLE, so reads of personal data fail rather than go unlogged, until the store
   * takes them. Default 100,000.
   */
  maxBuffered?: number;
}

/**
 * Collects access-log entries on the request path (an array push) and writes them in batches
 * off it: one transaction per interval or per `maxBatch` entries. `close()` writes what is left.
 * No entry is dropped: while the store fails they wait (and are retried), and beyond
 * `maxBuffered` waiting entries a read is refused instead of served unlogged.
 */
export class AccessRecorder {
  private buffer: AccessLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly interval: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private lastWriteFailed = false;
  /** Entries taken out of `buffer` by a flush and not stored yet. */
  private held = 0;

  constructor(
    private readonly log: AccessLog,
    private readonly logger: Pick<Logger, 'error' | 'warn'>,
    options: AccessRecorderOptions = {},
  ) {
    this.interval = options.flushIntervalMs ?? 200;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxBuffered = options.maxBuffered ?? 100_000;
  }

  /** Queues an entry; call it before the values it stands for leave the process. */
  record(entry: AccessLogEntry): void {
    if (this.buffer.length + this.held >= this.maxBuffered) {
      throw new VaultError(
        'STORE_UNAVAILABLE',
        'The access log is not taking entries: reads of personal data are refused until it does',
      );
    }
    this.buffer.push(entry);
    if (this.buffer.length >= this.maxBatch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.interval);
      this.timer.unref();
    }
  }

  /** Entries recorded and not stored yet (the queue depth the metrics show). */
  get pending(): number {
    return this.buffer.length + this.held;
  }

  /** True while entries wait because the last write to the access log failed (`/readyz` says not ready). */
  get failing(): boolean {
    return this.lastWriteFailed;
  }

  /** Writes everything buffered so far; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    this.held += batch.length;
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.log.append(batch);
        this.held -= batch.length;
        this.lastWriteFailed = false;
      } catch (e) {
        this.lastWriteFailed = true;
        // Keep the entries for the next attempt: the access report must not lose a recipient.
        this.held -= batch.length;
        this.buffer = [...batch, ...this.buffer];
        this.logger.warn(
          { code: isVaultError(e) ? e.code : 'UNKNOWN', pending: this.buffer.length },
          'access log: write failed, will retry',
        );
        if (!this.timer) {
          this.timer = setTimeout(() => void this.flush(), this.interval * 5);
          this.timer.unref();
        }
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
