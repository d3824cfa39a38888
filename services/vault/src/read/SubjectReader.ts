import DataLoader from 'dataloader';

import type { KeyRing } from '../crypto/keyRing.js';
import { accessDecision, contestedFor, type DenialReason, reachedCategories } from '../domain/access.js';
import type { ProcessingRegister } from '../domain/register.js';
import type { CategoryState, FieldState, SubjectState } from '../domain/subject.js';
import type { ViewStore } from '../ports/ViewStore.js';
import { type RecentCache, recentCache } from '../support/recentCache.js';
import {
  openBox,
  openPrepared,
  type PreparedBox,
  type PreparedField,
  prepareField,
  sealBox,
} from './preparedValues.js';

/**
 * An item of a read. A VALUE item's `value` is opened when first used (a getter on its class,
 * kept for the item's life): `read()` resolves without opening anything, and a sealed value that
 * does not open throws (CIPHERTEXT_INVALID, CONTEXT_MISMATCH) where it is used, JSON.stringify
 * included. A spread or structuredClone copies the other fields, not `value`. An item holds its
 * data key: keep it for one request, not longer.
 */
export type ReadItem =
  | {
      status: 'VALUE';
      category: string;
      field: string;
      value: unknown;
      recordedAt: string;
      updatedAt: string;
      source: string;
      legalBasis: string;
      /** The entry (e.g. a debt-collection case) the value belongs to; absent for the category's own. */
      entry?: string;
    }
  | { status: 'DENIED'; category: string; field: string | null; reason: DenialReason; entry?: string }
  | {
      status: 'ERASED';
      category: string;
      field: string | null;
      erasedAt: string;
      reason: string;
      /** The entry whose field was erased on its own; absent for the category's own fields and whole categories. */
      entry?: string;
    };

export interface SubjectRead {
  subjectId: string;
  registeredAt: string;
  erasedAt: string | null;
  items: ReadItem[];
}

export interface ReadRequest {
  purpose: string;
  /**
   * The purposes the caller's token carries, or `all` for the DPO and the subject itself. A read
   * lists only the categories these purposes reach (`reachedCategories`), whatever the purpose of
   * the read, and a subject none of whose categories they reach is left out of the answer, exactly
   * like an id never registered.
   */
  callerPurposes: readonly string[] | 'all';
  categories?: readonly string[];
  /**
   * False for a caller that shows no item (a lookup or a read asking for the id and times alone): no
   * data key is loaded or unwrapped, and an item the purpose may read is VALUE as the read models list
   * it, its `value` unavailable (reading it throws). Which subjects answer, and which items are VALUE,
   * DENIED or ERASED, is what a read with values decides, except for a key shredded and not yet
   * projected (an erasure in progress, not yet acknowledged), which the read models, and so this read,
   * still list as live, as the blind index still holds its value's row. Default true.
   */
  values?: boolean;
}

/** A subject's snapshot as the reader keeps it between requests: ciphertext and ids only, never a value. */
interface PreparedSnapshot {
  position: number;
  state: SubjectState;
  categories: PreparedCategory[];
  /** Reads that used this snapshot: a box is sealed only from the second on, for a snapshot read again. */
  reads: number;
}

interface PreparedCategory {
  category: string;
  /** Set for one entry's values, under the entry's own key; absent for the category's own. */
  entry?: string;
  keyId: string;
  shredded: CategoryState['shredded'];
  fields: { field: string; f: FieldState; sealed: PreparedField }[];
  erased: { field: string; at: string; reason: string }[];
  /** The fields' values sealed together, once a repeat read of this kept snapshot has opened them all. */
  box?: PreparedBox;
}

export interface SubjectReaderOptions {
  /**
   * Subjects whose parsed snapshot (sealed values, decoded, with their context tags) is kept in
   * memory between reads, least recently read dropped first. A kept snapshot is used only while
   * the read models still hold it at the same position (one cheap query per read says so), so
   * a write by any replica is seen at once. It holds ciphertext, never plaintext: a shred still
   * makes it unreadable. When a snapshot is read again and that read opens every value of a
   * category, the kept snapshot also holds them sealed together in one box under the same data
   * key, so later reads open one box per category instead of one per field (a subject read once
   * pays nothing for it). 0 turns it off. Default 2,000.
   */
  snapshotCacheSize?: number;
}

/**
 * Purpose-bound reads of many subjects at once: one read-model query (two when snapshots changed)
 * and one key batch, whatever the number of subjects. Values are opened per request, each when
 * its `value` is first used; denied and erased items are typed, never a bare null.
 */
export class SubjectReader {
  private readonly cache: RecentCache<PreparedSnapshot>;
  private readonly caching: boolean;
  /**
   * The position checks of every read that reaches the reader in one turn of the event loop,
   * made together: one query (one SQLite read transaction, one PostgreSQL round trip) for a burst
   * of concurrent requests instead of one each. Nothing is cached between turns, so a read still
   * sees every write committed before it began.
   */
  private readonly positions: DataLoader<string, number | undefined>;

  constructor(
    /** `now`: the clock a consent's validity is judged by. Default: the system clock. */
    private readonly deps: { views: ViewStore; keyRing: KeyRing; register: ProcessingRegister; now?: () => string },
    options: SubjectReaderOptions = {},
  ) {
    const size = Math.max(0, options.snapshotCacheSize ?? 2_000);
    this.cache = recentCache(size);
    this.caching = size > 0;
    this.positions = new DataLoader(
      async (ids) => {
        const found = await this.deps.views.subjectPositions([...ids]);
        return ids.map((id) => found.get(id));
      },
      // After the I/O callbacks of this turn (the other requests that arrived with this one), not
      // at the end of this request's own microtasks.
      { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: 1_000 },
    );
  }

  async read(subjectIds: readonly string[], request: ReadRequest): Promise<Map<string, SubjectRead>> {
    const snaps = await this.snapshots([...new Set(subjectIds)]);
    const plan: { snap: PreparedSnapshot; items: Planned[] }[] = [];
    // One id per category to open, not per field.
    const keyIds = new Set<string>();
    const reached = reachedCategories(this.deps.register, request.callerPurposes);
    const withValues = request.values !== false;
    for (const snap of snaps.values()) {
      if (!snap.state.registeredAt) continue;
      // Need to know: a caller learns a subject exists only through a category its purposes reach.
      if (reached !== 'all' && !snap.categories.some((c) => reached.has(c.category))) continue;
      const items = this.plan(snap, request, reached);
      if (withValues) {
        // Counted only when values may open: a box is sealed for a snapshot whose values are read again.
        snap.reads++;
        for (const i of items) if (i.kind === 'open') keyIds.add(i.cat.keyId);
      }
      plan.push({ snap, items });
    }
    const keys = withValues ? await this.deps.keyRing.get([...keyIds]) : undefined;
    const out = new Map<string, SubjectRead>();
    for (const { snap, items } of plan) {
      const { state } = snap;
      // A category's items are planned together: one opening serves them all.
      let opening: CategoryValues | undefined;
      const box = this.caching && snap.reads > 1;
      out.set(state.subjectId, {
        subjectId: state.subjectId,
        registeredAt: state.registeredAt!,
        erasedAt: state.erasedAt,
        items: items.map((i): ReadItem => {
          if (i.kind === 'done') return i.item;
          const { cat, index } = i;
          const f = cat.fields[index]!.f;
          const key = keys?.get(cat.keyId);
          // A key shredded after the snapshot was read: the value is gone.
          if (keys && !key)
            return {
              status: 'ERASED',
              category: cat.category,
              field: cat.fields[index]!.field,
              erasedAt: f.updatedAt,
              reason: 'shredded',
            };
          if (opening?.cat !== cat) opening = new CategoryValues(state.subjectId, cat, key, box);
          return new ValueItem(opening, index, f);
        }),
      });
    }
    return out;
  }

  /** Snapshots of the given subjects: kept ones still current, the rest loaded (and kept). */
  private async snapshots(ids: string[]): Promise<Map<string, PreparedSnapshot>> {
    const out = new Map<string, PreparedSnapshot>();
    const { views } = this.deps;
    let load = ids;
    if (this.caching) {
      load = [];
      const positions = await this.positions.loadMany(ids);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        const position = positions[i];
        if (position instanceof Error) throw position;
        // Unknown ids: never registered, nothing to load.
        if (position === undefined) continue;
        const hit = this.cache.get(id);
        if (hit && hit.position === position) out.set(id, hit);
        else load.push(id);
      }
    }
    if (load.length === 0) return out;
    for (const view of (await views.getSubjects(load)).values()) {
      const snap = prepare(view.position, view.state);
      out.set(view.subjectId, snap);
      this.cache.set(view.subjectId, snap);
    }
    return out;
  }

  private plan(snap: PreparedSnapshot, request: ReadRequest, reached: ReadonlySet<string> | 'all'): Planned[] {
    const out: Planned[] = [];
    for (const cat of snap.categories) {
      const { category, shredded, fields, erased } = cat;
      if (request.categories && !request.categories.includes(category)) continue;
      // Out of reach: not listed at all, not even as denied (its field names and times are metadata too).
      if (reached !== 'all' && !reached.has(category)) continue;
      if (shredded) {
        out.push({
          kind: 'done',
          item: { status: 'ERASED', category, field: null, erasedAt: shredded.at, reason: shredded.reason },
        });
        continue;
      }
      const decision = accessDecision(
        snap.state,
        this.deps.register,
        category,
        request.purpose,
        request.callerPurposes,
        this.deps.now?.() ?? new Date().toISOString(),
      );
      const entry = cat.entry === undefined ? {} : { entry: cat.entry };
      fields.forEach(({ field }, index) => {
        if (!decision.allowed)
          out.push({ kind: 'done', item: { status: 'DENIED', category, field, reason: decision.reason, ...entry } });
        else if (contestedFor(snap.state, category, field, request.callerPurposes, cat.entry))
          out.push({ kind: 'done', item: { status: 'DENIED', category, field, reason: 'CONTESTED', ...entry } });
        else out.push({ kind: 'open', cat, index });
      });
      // A field erased on its own: gone, and shown as such (it holds nothing to deny).
      for (const e of erased)
        out.push({
          kind: 'done',
          item: { status: 'ERASED', category, field: e.field, erasedAt: e.at, reason: e.reason, ...entry },
        });
    }
    return out;
  }
}

/**
 * One request's values of one category. A box the kept snapshot holds opens in one call for all
 * of them; without one, each value opens on its own when first asked for, and once this request
 * has opened them all they are sealed together into the snapshot's box (when `box`: a kept
 * snapshot read again), so the next read of that snapshot opens one box. Plaintext stays with
 * this request.
 */
class CategoryValues {
  #all: unknown[] | undefined;
  #one: unknown[] | undefined;
  #opened = 0;

  constructor(
    private readonly subjectId: string,
    readonly cat: PreparedCategory,
    /** Absent for a read made without values (`ReadRequest.values`). */
    private readonly key: Uint8Array | undefined,
    private readonly box: boolean,
  ) {}

  value(index: number): unknown {
    if (this.#all) return this.#all[index];
    const { cat, key } = this;
    // A caller's mistake, not the data's: masked like any internal failure where it is used.
    if (!key) throw new Error('This read was made without values (ReadRequest.values)');
    if (cat.box) {
      try {
        this.#all = openBox(cat.box, key);
        return this.#all[index];
      } catch {
        // Not expected (this process sealed it, under this key): drop it and open the fields.
        cat.box = undefined;
      }
    }
    const one = (this.#one ??= new Array<unknown>(cat.fields.length));
    if (index in one) return one[index];
    const value = openPrepared(cat.fields[index]!.sealed, key);
    one[index] = value;
    if (++this.#opened === cat.fields.length && this.box && !cat.box) {
      const fields = cat.fields.map(({ field, f }) => ({ field, eventId: f.eventId }));
      cat.box = sealBox(this.subjectId, cat.category, cat.keyId, fields, one, key);
    }
    return value;
  }
}

/**
 * A readable item whose value is opened on first use of `value` (then kept): a caller that
 * never asks for it (a GraphQL query that does not select `value`) never brings the plaintext
 * into memory. An envelope that fails to open throws there, CIPHERTEXT_INVALID or
 * CONTEXT_MISMATCH, at the value it concerns. A class, so that every item shares one getter
 * and one shape (an object literal with its own getter costs several times more to build and
 * to read); `toJSON` serialises it like a plain item.
 */
class ValueItem {
  readonly status = 'VALUE' as const;
  readonly category: string;
  readonly field: string;
  readonly recordedAt: string;
  readonly updatedAt: string;
  readonly source: string;
  readonly legalBasis: string;
  readonly entry: string | undefined;
  #values: CategoryValues;
  #index: number;

  constructor(values: CategoryValues, index: number, f: FieldState) {
    this.category = values.cat.category;
    this.entry = values.cat.entry;
    this.field = values.cat.fields[index]!.field;
    this.recordedAt = f.recordedAt;
    this.updatedAt = f.updatedAt;
    this.source = f.source;
    this.legalBasis = f.legalBasis;
    this.#values = values;
    this.#index = index;
  }

  /** Kept by the category's values: asked again, it is not opened again. */
  get value(): unknown {
    return this.#values.value(this.#index);
  }

  toJSON(): Extract<ReadItem, { status: 'VALUE' }> {
    const { status, category, field, value, recordedAt, updatedAt, source, legalBasis, entry } = this;
    const item = { status, category, field, value, recordedAt, updatedAt, source, legalBasis };
    return entry === undefined ? item : { ...item, entry };
  }
}

type Planned = { kind: 'done'; item: ReadItem } | { kind: 'open'; cat: PreparedCategory; index: number };

function prepare(position: number, state: SubjectState): PreparedSnapshot {
  return {
    position,
    state,
    reads: 0,
    categories: Object.entries(state.categories).flatMap(([category, c]) => [
      prepareCategory(state, category, c),
      ...(c.entries ? prepareEntries(state, category, c) : []),
    ]),
  };
}

/** Each live entry's values as a category of their own (its own key), after the category's. */
function prepareEntries(state: SubjectState, category: string, c: CategoryState): PreparedCategory[] {
  return Object.entries(c.entries ?? {})
    .filter(([, e]) => !e.shredded)
    .map(([entry, e]) => ({
      category,
      entry,
      keyId: e.keyId,
      shredded: null,
      fields: Object.entries(e.fields).map(([field, f]) => ({
        field,
        f,
        sealed: prepareField(state.subjectId, category, field, f),
      })),
      erased: Object.entries(e.erasedFields ?? {}).map(([field, x]) => ({ field, at: x.at, reason: x.reason })),
    }));
}

function prepareCategory(state: SubjectState, category: string, c: CategoryState): PreparedCategory {
  return {
    category,
    keyId: c.keyId,
    shredded: c.shredded,
    fields: c.shredded
      ? []
      : Object.entries(c.fields).map(([field, f]) => ({
          field,
          f,
          sealed: prepareField(state.subjectId, category, field, f),
        })),
    erased: c.shredded
      ? []
      : Object.entries(c.erasedFields ?? {}).map(([field, e]) => ({ field, at: e.at, reason: e.reason })),
  };
}
