import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { openSlotFile, ownerTag, type SlotFile } from './openSlotFile.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileWithSlots(path: string, n: number): SlotFile {
  const file = openSlotFile(path);
  for (let i = 0; i < n; i++)
    file.write(i, ownerTag(`o${i}`), { kind: 1, epoch: 1 + (i % 3), payload: new Uint8Array(89).fill(i % 256) });
  file.sync();
  return file;
}

describe('reading many slots at once', () => {
  for (const where of ['a file', 'memory']) {
    it(`answers in the order asked, as one read each would, in ${where}`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'pdv-slots-'));
      dirs.push(dir);
      const file = fileWithSlots(where === 'memory' ? ':memory:' : join(dir, 'slots'), 3000);
      try {
        file.zero(17);
        // Neighbours, gaps both sides of the read-through limit, a run longer than one read, a zeroed
        // slot, a wrong owner, slots past the end of the file, and the same slot twice.
        const indices = [
          2999,
          5,
          6,
          7,
          15,
          17,
          40,
          41,
          1000,
          3500,
          3001,
          6,
          ...Array.from({ length: 700 }, (_, i) => i + 1200),
        ];
        const wanted = indices.map((index, i) => ({ index, owner: ownerTag(i === 4 ? 'someone else' : `o${index}`) }));
        const many = file.readMany(wanted);
        expect(many).toEqual(wanted.map((w) => file.read(w.index, w.owner)));
        expect(many.filter((s) => s === undefined)).toHaveLength(4);
        expect(many[0]).toMatchObject({ kind: 1, epoch: 1 + (2999 % 3) });
        expect(many[0]!.payload).toEqual(new Uint8Array(89).fill(2999 % 256));
      } finally {
        file.close();
      }
    });
  }
});
