import DataLoader from 'dataloader';

import type { SubjectRead, SubjectReader } from '../read/SubjectReader.js';
import type { SubjectTexts } from '../rights/requestTexts.js';

export interface SubjectKey {
  subjectId: string;
  purpose: string;
  /** False where the caller shows no item: the read loads no data key (`ReadRequest.values`). Default true. */
  values?: boolean;
}

export interface Loaders {
  /** A subject read for a purpose; null when the id was never registered. Made on first use. */
  readonly subjects: DataLoader<SubjectKey, SubjectRead | null, string>;
  /**
   * The reasons and grounds the DPO wrote on a subject's requests and objections, opened; undefined when there are
   * none. Made on first use.
   */
  readonly requestTexts: DataLoader<string, SubjectTexts | undefined>;
}

/** Opens the texts of many subjects at once (`SubjectRights.requestTexts`, with the read logged). */
export type OpenTexts = (subjectIds: readonly string[]) => Promise<Map<string, SubjectTexts>>;

/**
 * The per-request loaders, built by the context function. All subjects a request asks for
 * within one tick are read together, one reader call per purpose: one view query and one key
 * batch whatever the number of subjects or of `subject` fields in the query.
 */
export function createLoaders(
  reader: Pick<SubjectReader, 'read'>,
  callerPurposes: readonly string[] | 'all',
  openTexts: OpenTexts,
): Loaders {
  return new RequestLoaders(reader, callerPurposes, openTexts);
}

/** One reader call per purpose, and apart for reads without values: a subject read both ways is read twice. */
const readOf = (k: SubjectKey): string => (k.values === false ? `${k.purpose}\u0000-` : k.purpose);

/**
 * Each loader is made on first use: most requests (writes, the register, a trivial query) use
 * neither. The lazy getters are the class's, not an object literal's: V8 allocates the accessor
 * pair of a literal's getter in the old generation, and that pair (until a full collection)
 * keeps the getters' closures, the loaders and every read they cached alive through each
 * young-generation collection, so the whole request was copied and promoted.
 */
class RequestLoaders implements Loaders {
  private subjectLoader: DataLoader<SubjectKey, SubjectRead | null, string> | undefined;
  private textLoader: DataLoader<string, SubjectTexts | undefined> | undefined;

  constructor(
    private readonly reader: Pick<SubjectReader, 'read'>,
    private readonly callerPurposes: readonly string[] | 'all',
    private readonly openTexts: OpenTexts,
  ) {}

  get subjects(): DataLoader<SubjectKey, SubjectRead | null, string> {
    return (this.subjectLoader ??= new DataLoader<SubjectKey, SubjectRead | null, string>(
      async (keys) => {
        const byRead = new Map<string, { purpose: string; values: boolean; ids: string[] }>();
        for (const k of keys) {
          const read = readOf(k);
          const batch = byRead.get(read) ?? { purpose: k.purpose, values: k.values !== false, ids: [] };
          batch.ids.push(k.subjectId);
          byRead.set(read, batch);
        }
        const reads = new Map<string, Map<string, SubjectRead>>();
        await Promise.all(
          [...byRead].map(async ([read, { purpose, values, ids }]) => {
            const request = { purpose, callerPurposes: this.callerPurposes, ...(values ? {} : { values }) };
            reads.set(read, await this.reader.read(ids, request));
          }),
        );
        return keys.map((k) => reads.get(readOf(k))?.get(k.subjectId) ?? null);
      },
      { cacheKeyFn: (k) => `${readOf(k)}\u0000${k.subjectId}`, maxBatchSize: 1000 },
    ));
  }

  get requestTexts(): DataLoader<string, SubjectTexts | undefined> {
    return (this.textLoader ??= new DataLoader(
      async (ids) => {
        const opened = await this.openTexts(ids);
        return ids.map((id) => opened.get(id));
      },
      { maxBatchSize: 1000 },
    ));
  }
}
