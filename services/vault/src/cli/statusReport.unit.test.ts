import { describe, expect, it } from 'vitest';

import { DEADLINE_KINDS, type HealthFacts } from '../observability/healthFacts.js';
import { duration, renderStatus, type StatusInput, statusLines } from './statusReport.js';

const AT = '2026-06-01T12:00:00.000Z';

function facts(over: Partial<HealthFacts> = {}): HealthFacts {
  return {
    at: AT,
    projection: { head: 10, checkpoint: 10, lagEvents: 0, lagSeconds: 0 },
    deadlines: Object.fromEntries(DEADLINE_KINDS.map((k) => [k, { open: 0, overdue: 0, dueWithin7d: 0 }])) as never,
    retentionDue: 0,
    lastSweep: { at: '2026-06-01T11:30:00.000Z', examined: 3, shredded: 1 },
    epoch: { epoch: 4, startedAt: '2026-06-01T00:00:00.000Z', endsAt: '2026-06-02T00:00:00.000Z', ageSeconds: 43_200 },
    epochsAlive: 1,
    ...over,
  };
}

const input = (f: HealthFacts, queues: StatusInput['queues'] = { accessLogBuffer: 0 }): StatusInput => ({
  facts: f,
  queues,
  retentionIntervalSeconds: 3600,
});

describe('vault status report', () => {
  it('is all ok on a vault that keeps its promises, in plain words off a terminal', () => {
    const { lines, worst } = statusLines(input(facts()));
    expect(worst).toBe('ok');
    expect(lines.map((l) => l.level)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    const text = renderStatus(input(facts()), false);
    expect(text).not.toContain('\u001b[');
    expect(text.split('\n')).toEqual([
      `vault status at ${AT}`,
      'ok   projection caught up (log position 10)',
      'ok   requests   0 open, 0 overdue, 0 due within 7 days',
      'ok   retention  0 due now; last sweep 2026-06-01T11:30:00.000Z (30 min ago): 3 examined, 1 shredded',
      'ok   key epoch  4, 12 h old, ends in 12 h (2026-06-02T00:00:00.000Z)',
      'ok   queues     accessLogBuffer 0',
    ]);
  });

  it('marks broken promises as failures and what needs a look as warnings', () => {
    const f = facts({
      projection: { head: 50, checkpoint: 20, lagEvents: 30, lagSeconds: 95 },
      lastSweep: { at: '2026-06-01T08:00:00.000Z', examined: 0, shredded: 0 },
      retentionDue: 2,
      epoch: { epoch: 4, startedAt: '2026-05-31T00:00:00.000Z', endsAt: '2026-06-01T11:00:00.000Z', ageSeconds: 1 },
    });
    f.deadlines.ACCESS = { open: 2, overdue: 1, dueWithin7d: 1 };
    const { lines, worst } = statusLines(input(f, { unavailable: 'no vault serve answered' }));
    expect(worst).toBe('bad');
    expect(Object.fromEntries(lines.map((l) => [l.label, l.level]))).toEqual({
      projection: 'bad',
      requests: 'bad',
      retention: 'bad',
      'key epoch': 'bad',
      queues: 'warn',
    });
    expect(lines[1]!.text).toBe('2 open (ACCESS 2), 1 overdue (ACCESS 1), 1 due within 7 days (ACCESS 1)');
    expect(lines[3]!.text).toContain('should have ended 1 h ago');
  });

  it('colours the marks and the lines that need attention on a terminal', () => {
    const f = facts();
    f.deadlines.ERASURE = { open: 1, overdue: 0, dueWithin7d: 1 };
    const text = renderStatus(input(f), true);
    expect(text).toContain('\u001b[32m●\u001b[0m \u001b[1mprojection\u001b[0m');
    expect(text).toContain('\u001b[33m●\u001b[0m \u001b[1mrequests  \u001b[0m \u001b[33m1 open (ERASURE 1)');
  });

  it('writes durations in their two largest units', () => {
    expect([duration(0), duration(59), duration(61), duration(7260), duration(90_061)]).toEqual([
      '0 s',
      '59 s',
      '1 min 1 s',
      '2 h 1 min',
      '1 d 1 h',
    ]);
  });
});
