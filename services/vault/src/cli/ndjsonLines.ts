import type { ImportLine } from '../commands/importSubjects.js';

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * The lines of a byte stream (a file, stdin), split on `\n` with a trailing `\r` dropped, decoded
 * as UTF-8. A line longer than `maxLineBytes` is never held: its bytes are counted and skipped up
 * to its newline, and it comes out as `{ oversizedBytes }`, so the import refuses that line by
 * number and goes on with the next. At most `maxLineBytes` plus one chunk is buffered.
 */
export async function* ndjsonLines(
  input: AsyncIterable<Buffer | string>,
  maxLineBytes: number,
): AsyncGenerator<ImportLine> {
  let parts: Buffer[] = [];
  let held = 0;
  /** Bytes of the current line while it is being skipped; -1 while it is within the limit. */
  let skipped = -1;
  const take = (chunk: Buffer, from: number, to: number): void => {
    if (skipped >= 0) {
      skipped += to - from;
      return;
    }
    if (held + (to - from) > maxLineBytes) {
      skipped = held + (to - from);
      parts = [];
      held = 0;
      return;
    }
    if (to > from) parts.push(chunk.subarray(from, to));
    held += to - from;
  };
  const end = (): ImportLine => {
    if (skipped >= 0) {
      const line = { oversizedBytes: skipped };
      skipped = -1;
      return line;
    }
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, held);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    parts = [];
    held = 0;
    return bytes.toString('utf8');
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    let from = 0;
    for (let nl = chunk.indexOf(NEWLINE, from); nl !== -1; nl = chunk.indexOf(NEWLINE, from)) {
      take(chunk, from, nl);
      yield end();
      from = nl + 1;
    }
    take(chunk, from, chunk.length);
  }
  if (held > 0 || skipped >= 0) yield end();
}
