import { type EpochSchedule, storedEpochSchedule } from '../crypto/keyRing.js';
import { REQUEST_TYPES } from '../domain/events.js';
import type { EventLog } from '../ports/EventLog.js';
import type { KeyStore } from '../ports/KeyStore.js';
import type { ViewStore } from '../ports/ViewStore.js';

/** The kinds of deadline the vault tracks: the request types (Art. 15-21) and the duty to inform (Art. 14). */
export const DEADLINE_KINDS = [...REQUEST_TYPES, 'INFORM'] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

const SOON_MS = 7 * 24 * 60 * 60 * 1000;
/** The key-store name of the last finished retention sweep (a few numbers, no ids). */
export const LAST_SWEEP_META = 'retention-last-sweep';

export interface SweepRecord {
  /** When it finished. */
  at: string;
  examined: number;
  shredded: number;
}

/**
 * The facts an operator needs at a glance, the same for the metrics and `vault status`: numbers
 * and times only, never a subject id.
 */
export interface HealthFacts {
  /** The clock they were read at. */
  at: string;
  projection: { head: number; checkpoint: number; lagEvents: number; lagSeconds: number };
  /** Open requests (and pending Art. 14 notices) per kind: all, those past due, those due within 7 days. */
  deadlines: Record<DeadlineKind, { open: number; overdue: number; dueWithin7d: number }>;
  /** Retention rows due now and not yet shredded. */
  retentionDue: number;
  /** The last retention sweep of any process on these stores; undefined if none ran. */
  lastSweep: SweepRecord | undefined;
  epoch: (EpochSchedule & { ageSeconds: number }) | undefined;
  /** Epochs whose KEK (or, from the CLI, whose wrapped keys) exist: more than one while a rotation is unfinished. */
  epochsAlive: number;
}

export interface HealthSources {
  log: EventLog;
  views: ViewStore;
  keys: KeyStore;
  /** The checkpoint the read models are at (the projection's). */
  checkpoint(): Promise<number>;
  /** The epochs alive: the KEK custody's (serve) or those wrapping a key (the CLI, which opens no custody). */
  epochs(): Promise<number[]>;
  now(): string;
}

const seconds = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

/** Reads the facts: a few counts over indexes, run together. */
export async function readHealthFacts(src: HealthSources): Promise<HealthFacts> {
  const at = src.now();
  const soon = new Date(Date.parse(at) + SOON_MS).toISOString();
  const [head, checkpoint, counts, lastSweep, schedule, epochs] = await Promise.all([
    src.log.headPosition(),
    src.checkpoint(),
    src.views.countDeadlines(at, soon),
    readLastSweep(src.keys),
    storedEpochSchedule(src.keys),
    src.epochs(),
  ]);
  // The oldest event the read models do not show yet says how long they have been behind.
  const [oldest] = head > checkpoint ? await src.log.readAll({ after: checkpoint, maxCount: 1 }) : [];
  const deadlines = Object.fromEntries(
    DEADLINE_KINDS.map((k) => [k, { open: 0, overdue: 0, dueWithin7d: 0 }]),
  ) as HealthFacts['deadlines'];
  for (const c of counts.deadlines) {
    if (Object.hasOwn(deadlines, c.type))
      deadlines[c.type as DeadlineKind] = { open: c.open, overdue: c.overdue, dueWithin7d: c.dueSoon };
  }
  return {
    at,
    projection: {
      head,
      checkpoint,
      lagEvents: Math.max(0, head - checkpoint),
      lagSeconds: oldest ? seconds(oldest.metadata.at, at) : 0,
    },
    deadlines,
    retentionDue: counts.retentionDue,
    lastSweep,
    epoch: schedule ? { ...schedule, ageSeconds: seconds(schedule.startedAt, at) } : undefined,
    // Keys of none yet (a new vault) still means the current epoch is alive.
    epochsAlive: Math.max(epochs.length, schedule ? 1 : 0),
  };
}

/** Notes a finished (not dry-run) sweep where every process and `vault status` finds it. */
export async function recordSweep(keys: KeyStore, record: SweepRecord): Promise<void> {
  const value = new TextEncoder().encode(JSON.stringify({ a: record.at, x: record.examined, s: record.shredded }));
  const stored = await keys.putMetaIfAbsent(LAST_SWEEP_META, value);
  if (stored !== value) await keys.replaceMeta(LAST_SWEEP_META, value);
}

export async function readLastSweep(keys: Pick<KeyStore, 'getMeta'>): Promise<SweepRecord | undefined> {
  const raw = await keys.getMeta(LAST_SWEEP_META);
  if (!raw) return undefined;
  const r = JSON.parse(new TextDecoder().decode(raw)) as { a: string; x: number; s: number };
  return { at: r.a, examined: r.x, shredded: r.s };
}
