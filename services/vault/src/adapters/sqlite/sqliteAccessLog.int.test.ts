import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect, it, vi } from 'vitest';

import { AccessRecorder } from '../../api/accessRecorder.js';
import { getSqliteAccessLog } from './sqliteAccessLog.js';

it('appends batches and lists a subject’s entries newest first, surviving a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdv-access-'));
  try {
    const path = join(dir, 'access.db');
    const log = getSqliteAccessLog({ path });
    await log.append([
      {
        actor: 'service:crm',
        purpose: 'contract',
        subjectId: 's1',
        categories: ['contact'],
        at: '2025-01-01T00:00:00.000Z',
      },
      {
        actor: 'service:billing',
        purpose: 'billing',
        subjectId: 's1',
        categories: ['accounting', 'contact'],
        at: '2025-01-02T00:00:00.000Z',
      },
      {
        actor: 'service:crm',
        purpose: 'contract',
        subjectId: 's2',
        categories: ['contact'],
        at: '2025-01-03T00:00:00.000Z',
      },
    ]);
    await log.close();
    const reopened = getSqliteAccessLog({ path });
    expect((await reopened.listBySubject('s1')).map((e) => e.actor)).toEqual(['service:billing', 'service:crm']);
    expect(await reopened.listBySubject('s1', { since: '2025-01-02T00:00:00.000Z' })).toEqual([
      {
        actor: 'service:billing',
        purpose: 'billing',
        subjectId: 's1',
        categories: ['accounting', 'contact'],
        at: '2025-01-02T00:00:00.000Z',
      },
    ]);
    await reopened.close();
    await expect(reopened.listBySubject('s1')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('the recorder writes in batches off the request path and keeps entries when a write fails', async () => {
  const appended: number[] = [];
  let fail = true;
  const log = {
    append: vi.fn(async (entries: readonly unknown[]) => {
      if (fail) throw Object.assign(new Error('disk'), { code: 'STORE_UNAVAILABLE' });
      appended.push(entries.length);
    }),
    listBySubject: async () => [],
    recipientsOf: async () => [],
    countBySubject: async () => 0,
    close: async () => {},
  };
  const recorder = new AccessRecorder(log, { error: vi.fn(), warn: vi.fn() } as never, {
    flushIntervalMs: 10_000,
    maxBatch: 1000,
  });
  for (let i = 0; i < 5; i++)
    recorder.record({ actor: 'a', purpose: 'p', subjectId: `s${i}`, categories: ['c'], at: 't' });
  expect(log.append).not.toHaveBeenCalled();
  await recorder.flush();
  fail = false;
  await recorder.close();
  expect(appended).toEqual([5]);
});

it('commits every batch accepted before close() through its writer thread, then refuses new ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdv-access-'));
  try {
    const path = join(dir, 'access.db');
    const log = getSqliteAccessLog({ path });
    const entry = (i: number) => ({
      actor: 'service:crm',
      purpose: 'contract',
      subjectId: 's1',
      categories: ['contact'],
      at: `2025-01-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(3, '0')}Z`,
    });
    const pending = Array.from({ length: 50 }, (_, i) => log.append([entry(i), entry(i + 100)]));
    const closing = log.close();
    await Promise.all(pending);
    await closing;
    await expect(log.append([entry(999)])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const reopened = getSqliteAccessLog({ path });
    expect(await reopened.listBySubject('s1', { limit: 1000 })).toHaveLength(100);
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
