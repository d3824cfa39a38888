import { describe, expect, it } from 'vitest';

import type { ImportLine } from '../commands/importSubjects.js';
import { ndjsonLines } from './ndjsonLines.js';

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
}

async function all(lines: AsyncIterable<ImportLine>): Promise<ImportLine[]> {
  const out: ImportLine[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

describe('ndjsonLines', () => {
  it('splits lines across chunks, drops a CR before the newline, and keeps a last line without one', async () => {
    const input = chunks('{"a":1}\r\n{"b"', ':2}\n\n{"c":"é', '"}\r', '\n{"d":4}');
    expect(await all(ndjsonLines(input, 1024))).toEqual(['{"a":1}', '{"b":2}', '', '{"c":"é"}', '{"d":4}']);
  });

  it('keeps a multi-byte character split between two chunks whole', async () => {
    const bytes = Buffer.from('{"n":"Ørsted"}\n', 'utf8');
    expect(await all(ndjsonLines(chunks(bytes.subarray(0, 7), bytes.subarray(7)), 1024))).toEqual(['{"n":"Ørsted"}']);
  });

  it('hands a line over the limit on as its length only, and the lines around it whole', async () => {
    const long = 'x'.repeat(5000);
    const input = chunks('{"a":1}\n', long.slice(0, 1500), long.slice(1500), '\n{"b":2}\n', long, '\n');
    expect(await all(ndjsonLines(input, 1000))).toEqual([
      '{"a":1}',
      { oversizedBytes: 5000 },
      '{"b":2}',
      { oversizedBytes: 5000 },
    ]);
  });

  it('counts a line exactly at the limit as a line', async () => {
    expect(await all(ndjsonLines(chunks('abcd\nabcde\n'), 4))).toEqual(['abcd', { oversizedBytes: 5 }]);
  });

  it('skips a 512 MiB line without holding it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const count = (512 * 1024 * 1024) / chunk.length;
    let peak = 0;
    async function* huge(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"first":1}\n');
      for (let i = 0; i < count; i++) {
        if (i % 512 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        // A fresh buffer each time, as a file stream gives: a reader that kept them would grow.
        yield Buffer.from(chunk);
      }
      yield Buffer.from('\n{"last":2}\n');
    }
    const before = process.memoryUsage().arrayBuffers;
    const lines = await all(ndjsonLines(huge(), 8 * 1024 * 1024));
    expect(lines).toEqual(['{"first":1}', { oversizedBytes: 512 * 1024 * 1024 }, '{"last":2}']);
    // Held, it would take 512 MiB; skipped, only what the collector has not yet freed.
    expect(peak - before).toBeLessThan(256 * 1024 * 1024);
  });
});
