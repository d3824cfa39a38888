import type { DeadlineKind, HealthFacts } from '../observability/healthFacts.js';

/** How a line of `vault status` reads: fine, worth a look, or a promise being broken. */
export type Level = 'ok' | 'warn' | 'bad';

export interface StatusInput {
  facts: HealthFacts;
  /** The running server's queue depths (from its metrics), or why they could not be read. */
  queues: Record<string, number> | { unavailable: string };
  /** `VAULT_RETENTION_INTERVAL_MINUTES` in seconds; 0 when `vault serve` does not sweep. */
  retentionIntervalSeconds: number;
}

export interface StatusLine {
  label: string;
  level: Level;
  text: string;
}

/** Seconds as the largest one or two units (`3 h 20 min`, `45 s`). */
export function duration(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, name] of units) {
    if (rest >= size || (size === 1 && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)} ${name}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

const byKind = (d: HealthFacts['deadlines'], pick: 'open' | 'overdue' | 'dueWithin7d') =>
  (Object.entries(d) as [DeadlineKind, Record<typeof pick, number>][])
    .filter(([, v]) => v[pick] > 0)
    .map(([k, v]) => `${k} ${v[pick]}`)
    .join(', ');

function projectionLine(f: HealthFacts): StatusLine {
  const p = f.projection;
  if (p.lagEvents === 0) return { label: 'projection', level: 'ok', text: `caught up (log position ${p.head})` };
  return {
    label: 'projection',
    level: p.lagSeconds > 30 ? 'bad' : 'warn',
    text:
      `${p.lagEvents} events behind the log, the oldest ${duration(p.lagSeconds)} old ` +
      `(at ${p.checkpoint} of ${p.head})`,
  };
}

function requestsLine(f: HealthFacts): StatusLine {
  const sum = (pick: 'open' | 'overdue' | 'dueWithin7d') => Object.values(f.deadlines).reduce((n, v) => n + v[pick], 0);
  const [open, overdue, soon] = [sum('open'), sum('overdue'), sum('dueWithin7d')];
  const parts = [`${open} open${open > 0 ? ` (${byKind(f.deadlines, 'open')})` : ''}`];
  parts.push(`${overdue} overdue${overdue > 0 ? ` (${byKind(f.deadlines, 'overdue')})` : ''}`);
  parts.push(`${soon} due within 7 days${soon > 0 ? ` (${byKind(f.deadlines, 'dueWithin7d')})` : ''}`);
  return { label: 'requests', level: overdue > 0 ? 'bad' : soon > 0 ? 'warn' : 'ok', text: parts.join(', ') };
}

function retentionLine(f: HealthFacts, intervalSeconds: number): StatusLine {
  const due = `${f.retentionDue} due now`;
  const last = f.lastSweep;
  if (!last) return { label: 'retention', level: 'warn', text: `${due}; no sweep has run yet` };
  const ago = (Date.parse(f.at) - Date.parse(last.at)) / 1000;
  const late = intervalSeconds > 0 && ago > 2 * intervalSeconds;
  return {
    label: 'retention',
    level: late ? 'bad' : f.retentionDue > 0 ? 'warn' : 'ok',
    text:
      `${due}; last sweep ${last.at} (${duration(ago)} ago${late ? ', more than two intervals' : ''}): ` +
      `${last.examined} examined, ${last.shredded} shredded`,
  };
}

function epochLine(f: HealthFacts): StatusLine {
  const e = f.epoch;
  if (!e) return { label: 'key epoch', level: 'warn', text: 'none yet' };
  const left = (Date.parse(e.endsAt) - Date.parse(f.at)) / 1000;
  const ends = left >= 0 ? `ends in ${duration(left)}` : `should have ended ${duration(left)} ago`;
  const alive = f.epochsAlive > 1 ? `; ${f.epochsAlive} epochs alive: a rotation is unfinished` : '';
  return {
    label: 'key epoch',
    level: left < -600 ? 'bad' : left < 0 || f.epochsAlive > 1 ? 'warn' : 'ok',
    text: `${e.epoch}, ${duration(e.ageSeconds)} old, ${ends} (${e.endsAt})${alive}`,
  };
}

function queuesLine(queues: StatusInput['queues']): StatusLine {
  if ('unavailable' in queues && typeof queues.unavailable === 'string')
    return { label: 'queues', level: 'warn', text: `not read: ${queues.unavailable}` };
  const entries = Object.entries(queues as Record<string, number>);
  const waiting = entries.reduce((n, [, v]) => n + v, 0);
  return {
    label: 'queues',
    level: waiting > 10_000 ? 'warn' : 'ok',
    text: entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(', ') : 'none reported',
  };
}

/** The lines of `vault status`, each with its level; `worst` decides the exit code. */
export function statusLines(input: StatusInput): { lines: StatusLine[]; worst: Level } {
  const { facts } = input;
  const lines = [
    projectionLine(facts),
    requestsLine(facts),
    retentionLine(facts, input.retentionIntervalSeconds),
    epochLine(facts),
    queuesLine(input.queues),
  ];
  const worst = lines.some((l) => l.level === 'bad') ? 'bad' : lines.some((l) => l.level === 'warn') ? 'warn' : 'ok';
  return { lines, worst };
}

const COLOURS: Record<Level, [string, string]> = {
  ok: ['\u001b[32m', 'ok'],
  warn: ['\u001b[33m', 'warn'],
  bad: ['\u001b[31m', 'FAIL'],
};

/** The report as text: coloured marks on a terminal that takes colour, plain words otherwise. */
export function renderStatus(input: StatusInput, colour: boolean): string {
  const { lines } = statusLines(input);
  const out = [`vault status at ${input.facts.at}`];
  for (const l of lines) {
    const [code, word] = COLOURS[l.level];
    const mark = colour ? `${code}●\u001b[0m` : word.padEnd(4);
    const label = colour ? `\u001b[1m${l.label.padEnd(10)}\u001b[0m` : l.label.padEnd(10);
    out.push(`${mark} ${label} ${colour && l.level !== 'ok' ? `${code}${l.text}\u001b[0m` : l.text}`);
  }
  return out.join('\n');
}
