import { hash } from 'node:crypto';
import { closeSync, fdatasyncSync, readSync, writeSync } from 'node:fs';

import { VaultError } from '../../domain/errors.js';
import { openPrivateFile } from '../../support/privateFiles.js';

/**
 * A file of fixed-size records written in place: the one kind of storage in which overwriting a
 * secret really removes it. A database moves rows between pages (SQLite's b-tree balancing, a
 * PostgreSQL update's new tuple) and leaves stale copies in page gaps, journals and dead tuples;
 * a slot here is only ever at `index * SLOT_BYTES`, so zeroing it leaves no copy in the file.
 *
 *   kind (1) | reserved (3) | epoch (u32 LE) | owner tag (16) | length (u16 LE) | payload (≤ 102)
 *
 * The owner tag (a digest of whose secret it is) lets a reader notice a slot that was freed and
 * reused between finding its index and reading it. What a file system keeps beyond the file (a
 * copy-on-write snapshot, a journal in `data=journal` mode, a disk's remapped sectors) is outside
 * its reach; docs/security.md says so, and key epochs bound it.
 */
export const SLOT_BYTES = 128;
const HEADER_BYTES = 26;
export const SLOT_PAYLOAD_MAX = SLOT_BYTES - HEADER_BYTES;

export interface Slot {
  kind: number;
  epoch: number;
  payload: Uint8Array;
}

export interface SlotFile {
  /** The slot at `index` if it holds something owned by `owner` (see `ownerTag`); else undefined. */
  read(index: number, owner: Uint8Array): Slot | undefined;
  /**
   * `read` of many slots at once: answers in the order asked. Slots close to one another are read
   * together, in one system call per run (a page of keys created one after another lies in
   * neighbouring slots), not one each.
   */
  readMany(wanted: readonly { index: number; owner: Uint8Array }[]): (Slot | undefined)[];
  /** Every slot that holds something (kind not 0), with its index and owner tag. */
  scan(): { index: number; owner: Uint8Array; slot: Slot }[];
  /** Writes a slot in place (not yet durable: `sync`). `kind` 0 is reserved for a free slot. */
  write(index: number, owner: Uint8Array, slot: Slot): void;
  /** Overwrites a slot with zeros in place (not yet durable: `sync`). */
  zero(index: number): void;
  /** Makes every write so far durable (fdatasync). */
  sync(): void;
  close(): void;
}

/** The 16-byte owner tag of a slot: a digest, so that the file names no subject. */
export const ownerTag = (owner: string): Uint8Array =>
  // One-shot hash: several times cheaper than a Hash object, and an epoch rotation runs it per key.
  hash('sha256', `pdv/slot/v1\u0000${owner}`, 'buffer').subarray(0, 16);

const ZERO = Buffer.alloc(SLOT_BYTES);

function encode(owner: Uint8Array, slot: Slot): Buffer {
  if (slot.kind < 1 || slot.kind > 255) throw new VaultError('CONFIG_INVALID', 'A slot kind runs from 1 to 255');
  if (slot.payload.length > SLOT_PAYLOAD_MAX)
    throw new VaultError('CONFIG_INVALID', `A slot holds at most ${SLOT_PAYLOAD_MAX} bytes`);
  const buf = Buffer.alloc(SLOT_BYTES);
  buf[0] = slot.kind;
  buf.writeUInt32LE(slot.epoch, 4);
  buf.set(owner.subarray(0, 16), 8);
  buf.writeUInt16LE(slot.payload.length, 24);
  buf.set(slot.payload, HEADER_BYTES);
  return buf;
}

function decode(buf: Buffer): { owner: Uint8Array; slot: Slot } | undefined {
  if (buf[0] === 0) return undefined;
  const length = buf.readUInt16LE(24);
  if (length > SLOT_PAYLOAD_MAX) return undefined;
  return {
    owner: new Uint8Array(buf.subarray(8, 24)),
    slot: {
      kind: buf[0]!,
      epoch: buf.readUInt32LE(4),
      payload: new Uint8Array(buf.subarray(HEADER_BYTES, HEADER_BYTES + length)),
    },
  };
}

const sameOwner = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, 16), Buffer.from(b.buffer, b.byteOffset, 16)) === 0;

/** Opens (creating, mode 0600 whatever the umask) a slot file; `':memory:'` keeps the slots in memory (tests). */
export function openSlotFile(path: string): SlotFile {
  if (path === ':memory:') return memorySlots();
  let fd: number;
  try {
    // Created if absent, never truncated; never O_APPEND, which would ignore the position of a write.
    fd = openPrivateFile(path);
  } catch (e) {
    throw new VaultError(
      'STORE_UNAVAILABLE',
      `Cannot open the key slot file (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: e },
    );
  }
  const buf = Buffer.alloc(SLOT_BYTES);
  const readAt = (index: number): Buffer | undefined => {
    const n = readSync(fd, buf, 0, SLOT_BYTES, index * SLOT_BYTES);
    return n === SLOT_BYTES ? buf : undefined;
  };
  const run = Buffer.alloc(RUN_SLOTS * SLOT_BYTES);
  const readRun = (first: number, count: number): Buffer => {
    const n = readSync(fd, run, 0, count * SLOT_BYTES, first * SLOT_BYTES);
    // Past the end of the file reads as empty slots.
    run.fill(0, n, count * SLOT_BYTES);
    return run;
  };
  const writeAt = (index: number, bytes: Buffer): void => {
    writeSync(fd, bytes, 0, SLOT_BYTES, index * SLOT_BYTES);
  };
  return {
    read(index, owner) {
      const raw = readAt(index);
      const got = raw && decode(raw);
      return got && sameOwner(got.owner, owner) ? got.slot : undefined;
    },
    readMany: (wanted) => readInRuns(wanted, readRun),
    scan() {
      const out: ReturnType<SlotFile['scan']> = [];
      for (let i = 0; ; i++) {
        const raw = readAt(i);
        if (!raw) return out;
        const got = decode(raw);
        if (got) out.push({ index: i, ...got });
      }
    },
    write: (index, owner, slot) => writeAt(index, encode(owner, slot)),
    zero: (index) => writeAt(index, ZERO),
    sync: () => fdatasyncSync(fd),
    close: () => {
      // Twice would close whatever file took the number meanwhile (a database's).
      if (fd < 0) return;
      closeSync(fd);
      fd = -1;
    },
  };
}

/** Slots read in one system call at most (64 KiB). */
const RUN_SLOTS = 512;
/** Slots between two wanted ones that are still read through rather than skipped with another call. */
const MAX_GAP = 8;

function readInRuns(
  wanted: readonly { index: number; owner: Uint8Array }[],
  readRun: (first: number, count: number) => Buffer,
): (Slot | undefined)[] {
  const order = wanted.map((_, i) => i).sort((a, b) => wanted[a]!.index - wanted[b]!.index);
  const out: (Slot | undefined)[] = new Array<Slot | undefined>(wanted.length);
  for (let i = 0; i < order.length;) {
    const first = wanted[order[i]!]!.index;
    let j = i + 1;
    while (j < order.length) {
      const next = wanted[order[j]!]!.index;
      if (next - wanted[order[j - 1]!]!.index > MAX_GAP || next - first >= RUN_SLOTS) break;
      j++;
    }
    const bytes = readRun(first, wanted[order[j - 1]!]!.index - first + 1);
    for (let k = i; k < j; k++) {
      const w = wanted[order[k]!]!;
      const at = (w.index - first) * SLOT_BYTES;
      const got = decode(bytes.subarray(at, at + SLOT_BYTES));
      out[order[k]!] = got && sameOwner(got.owner, w.owner) ? got.slot : undefined;
    }
    i = j;
  }
  return out;
}

function memorySlots(): SlotFile {
  const slots: Buffer[] = [];
  const read = (index: number, owner: Uint8Array): Slot | undefined => {
    const got = slots[index] && decode(slots[index]);
    return got && sameOwner(got.owner, owner) ? got.slot : undefined;
  };
  return {
    read,
    readMany: (wanted) => wanted.map((w) => read(w.index, w.owner)),
    scan: () =>
      slots.flatMap((raw, index) => {
        const got = raw && decode(raw);
        return got ? [{ index, ...got }] : [];
      }),
    write: (index, owner, slot) => void (slots[index] = encode(owner, slot)),
    zero: (index) => void (slots[index] = Buffer.from(ZERO)),
    sync: () => undefined,
    close: () => undefined,
  };
}
