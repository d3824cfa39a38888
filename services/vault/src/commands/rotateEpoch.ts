import { type BlindIndex, INDEX_KEY, LEGACY_INDEX_KEY } from '../crypto/blindIndex.js';
import type { EpochRotation, KeyRing } from '../crypto/keyRing.js';
import { lookupForms } from '../crypto/lookupForms.js';
import type { ProcessingRegister } from '../domain/register.js';
import type { SubjectState } from '../domain/subject.js';
import type { BlindIndexEntry, IndexReplacement, ViewStore } from '../ports/ViewStore.js';

export interface RotateEpochDeps {
  keyRing: KeyRing;
  views: ViewStore;
  blindIndex: BlindIndex;
  register: ProcessingRegister;
}

export interface RotateEpochOptions {
  /**
   * Data keys re-wrapped per key-store transaction, and blind-index entries re-computed per page.
   * Default 100: each page is one stretch of work on the event loop, so small pages keep the API's
   * p99 while `vault serve` rotates in the background (pages of 500 tripled it; docs/benchmarks.md).
   * `vault rotate-epoch` passes its own (500), for a rotation nobody waits on.
   */
  pageSize?: number;
  /**
   * Called after each page of the re-index, with the number of entries re-computed so far (progress, tests). A throw
   * stops the rotation there, as a crash would: both epochs stay alive and the next rotation finishes it.
   */
  onIndexPage?: (reindexed: number) => Promise<void> | void;
}

/** What one epoch rotation did, the blind index included. */
export interface EpochRotationReport extends EpochRotation {
  /** Blind-index entries re-computed under the new epoch's index key (or deleted, their value gone). */
  reindexed: number;
}

/**
 * Ends the current key epoch: every live data key and vault secret is re-wrapped under the next
 * epoch's KEK (`KeyRing.rotateEpoch`); then, before the old KEK is destroyed, every blind-index
 * entry of an older epoch is re-computed under the new epoch's index key from the subject's
 * sealed value, and the older index keys are deleted. An old copy of the read models then holds
 * hashes no key the vault still has can test. Resumable like the key rotation: a crash leaves two
 * epochs alive and the next rotation finishes the re-index.
 */
export async function rotateEpoch(
  deps: RotateEpochDeps,
  options: RotateEpochOptions = {},
): Promise<EpochRotationReport> {
  const started = Date.now();
  const pageSize = options.pageSize ?? 100;
  let reindexed = 0;
  const rotation = await deps.keyRing.rotateEpoch({
    pageSize,
    beforeDestroy: async (to) => {
      // Processes that have not yet seen the new epoch would go on writing hashes of the old one:
      // they look at custody at least every `refreshMs`.
      const settled = started + 2 * deps.blindIndex.refreshMs - Date.now();
      if (settled > 0) await new Promise((r) => setTimeout(r, settled));
      reindexed = await reindexBlindIndex(deps, to, pageSize, options.onIndexPage);
      const older = new Set([...(await deps.keyRing.kek.epochs()).filter((e) => e < to), to - 1]);
      for (const e of older) if (e > 0) await deps.keyRing.store.deleteMeta(`${INDEX_KEY}@${e}`);
      await deps.keyRing.store.deleteMeta(LEGACY_INDEX_KEY);
    },
  });
  return { ...rotation, reindexed };
}

/**
 * Re-computes every blind-index entry of an epoch before `to` under `to`'s index key, a page at a
 * time (yielding to the event loop between pages), each only if its hash is still the one read
 * (the projector may have rewritten it). Goes round again until none is left, since a projector
 * in another process may still write hashes of the old epoch until it sees the new one.
 */
async function reindexBlindIndex(
  deps: RotateEpochDeps,
  to: number,
  pageSize: number,
  onPage: RotateEpochOptions['onIndexPage'],
): Promise<number> {
  let count = 0;
  let after: BlindIndexEntry | undefined;
  for (;;) {
    const page = await deps.views.listIndexOlderThan(to, { limit: pageSize, ...(after ? { after } : {}) });
    if (page.length === 0) {
      if (!after || (await deps.views.listIndexOlderThan(to, { limit: 1 })).length === 0) return count;
      after = undefined;
      continue;
    }
    count += await deps.views.replaceIndexHashes(await replacements(deps, to, page));
    after = page[page.length - 1];
    await onPage?.(count);
    await new Promise((r) => setImmediate(r));
  }
}

/** The new-epoch hash of each entry's current value (null where there is none), from the read models' snapshots. */
async function replacements(deps: RotateEpochDeps, to: number, page: BlindIndexEntry[]): Promise<IndexReplacement[]> {
  const views = await deps.views.getSubjects([...new Set(page.map((e) => e.subjectId))]);
  const states = new Map<string, SubjectState>([...views].map(([id, v]) => [id, v.state]));
  const forms = await lookupForms(deps, states, page);
  const index = await deps.blindIndex.writer(to);
  return forms.map(({ hash, form, ...at }) => ({ ...at, from: hash, to: form ? index.hash(form) : null }));
}
