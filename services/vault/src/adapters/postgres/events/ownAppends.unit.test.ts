import { describe, expect, it } from 'vitest';

import { OwnAppends } from './ownAppends.js';

const add = (own: OwnAppends, lastPosition: number, stream: string, ids: string[]) =>
  own.add(
    lastPosition,
    ids.length - 1,
    stream,
    ids,
    ids.map(() => 'T'),
    ids.map((id) => JSON.stringify({ id })),
    ids.map(() => '{"actor":"a"}'),
  );

describe('OwnAppends', () => {
  it('hands out a run of consecutive positions right after the checkpoint, parsed as the log reads them', () => {
    const own = new OwnAppends(100);
    add(own, 2, 's-a', ['a1', 'a2']);
    add(own, 3, 's-b', ['b1']);
    const run = own.runAfter(0, 10);
    expect(run.map((e) => [e.position, e.streamId, e.revision, e.id])).toEqual([
      [1, 's-a', 0, 'a1'],
      [2, 's-a', 1, 'a2'],
      [3, 's-b', 0, 'b1'],
    ]);
    expect(run[0]!.data).toEqual({ id: 'a1' });
    expect(run[0]!.metadata).toEqual({ actor: 'a' });
  });

  it('stops at a position it did not append, and gives nothing when the next one is not its own', () => {
    const own = new OwnAppends(100);
    add(own, 1, 's-a', ['a1']);
    add(own, 3, 's-b', ['b1']); // position 2 is another process's, or rolled back
    expect(own.runAfter(0, 10).map((e) => e.position)).toEqual([1]);
    expect(own.runAfter(1, 10)).toEqual([]);
    expect(own.runAfter(2, 10).map((e) => e.position)).toEqual([3]);
  });

  it('gives at most max events, and new objects to each caller', () => {
    const own = new OwnAppends(100);
    add(own, 3, 's-a', ['a1', 'a2', 'a3']);
    expect(own.runAfter(0, 2).map((e) => e.position)).toEqual([1, 2]);
    expect(own.runAfter(0, 1)[0]!.data).not.toBe(own.runAfter(0, 1)[0]!.data);
  });

  it('keeps at most its capacity, dropping the oldest, and nothing at capacity 0', () => {
    const own = new OwnAppends(2);
    add(own, 3, 's-a', ['a1', 'a2', 'a3']);
    expect(own.runAfter(0, 10)).toEqual([]);
    expect(own.runAfter(1, 10).map((e) => e.position)).toEqual([2, 3]);
    const off = new OwnAppends(0);
    add(off, 1, 's-a', ['a1']);
    expect(off.runAfter(0, 10)).toEqual([]);
  });
});
