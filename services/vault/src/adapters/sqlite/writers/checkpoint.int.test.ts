import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { AccessLogEntry } from '../../../ports/AccessLog.js';
import { openDatabase } from '../openDatabase.js';
import { ACCESS_SCHEMA } from './accessLogCommit.js';
import type { WriterThreadOptions } from './serve.js';
import { startCheckpointer, startWriterThread } from './thread.js';

const MB48 = 48 * 1024 * 1024;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** 200 entries of about 2 KB each: 400 KB a transaction. */
const entries = (n: number): AccessLogEntry[] =>
  Array.from({ length: 200 }, (_, i) => ({
    actor: 'service:bench',
    purpose: 'contract',
    subjectId: `s-${n}-${i}`,
    categories: [`${n}-${i}`.padEnd(2000, 'c')],
    at: new Date(n).toISOString(),
  }));

/**
 * A writer thread that commits `bytes` back to back (a rebuild's pace), its automatic checkpoints off and a
 * checkpointer thread beside it, as the event log and the read models run; a reader reads between commits. Returns the
 * largest the WAL grew and the bytes committed.
 */
async function writeBackToBack(restartWalAboveFrames: number, bytes: number) {
  const dir = mkdtempSync(join(tmpdir(), 'pdv-checkpoint-'));
  dirs.push(dir);
  const path = join(dir, 'access.db');
  const reader = openDatabase({ path, synchronous: 'NORMAL' }, { schema: ACCESS_SCHEMA });
  const writer = startWriterThread<AccessLogEntry[], null>('accessLog', {
    path,
    synchronous: 'NORMAL',
    maxPerCommit: 200,
    autoCheckpoint: false,
    restartWalAboveFrames,
  } satisfies WriterThreadOptions);
  const checkpointer = startCheckpointer({ path, intervalMs: 20 }, () => {});
  const count = reader.prepare('SELECT count(*) AS n FROM access_log');
  const wal = `${path}-wal`;
  let largest = 0;
  let written = 0;
  try {
    for (let n = 0; written < bytes; n += 2) {
      // Two in flight, so the thread always has the next one waiting.
      await Promise.all([writer.write(entries(n)), writer.write(entries(n + 1))]);
      written += 2 * 200 * 2000;
      count.get();
      if (existsSync(wal)) largest = Math.max(largest, statSync(wal).size);
    }
  } finally {
    await writer.close();
    await checkpointer.close();
    reader.close();
  }
  return { largest, written };
}

describe('a writer thread beside a checkpointer thread', () => {
  it('keeps the WAL bounded under writes that never pause, where the checkpointer alone lets it grow', async () => {
    // The checkpointer alone (PASSIVE): always a few frames short, so the WAL is never started over.
    const unbounded = await writeBackToBack(Number.MAX_SAFE_INTEGER, MB48);
    expect(unbounded.largest).toBeGreaterThan(MB48 / 4);
    // Past 256 frames (1 MB) the writer thread truncates it between transactions.
    const bounded = await writeBackToBack(256, MB48);
    expect(bounded.largest).toBeLessThan(Math.min(16 * 1024 * 1024, unbounded.largest / 4));
  }, 120_000);
});
