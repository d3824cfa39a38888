import { createHash } from 'node:crypto';

import type { KeyRing } from '../crypto/keyRing.js';
import { VaultError } from '../domain/errors.js';

export interface ShredCheckOptions {
  /** Look at the key store again once this many bytes were produced since the last look. Default 4 MiB. */
  everyBytes?: number;
  /** ... or once this many milliseconds passed since the last look, whichever comes first. Default 500. */
  everyMs?: number;
}

const shredded = () =>
  new VaultError('KEY_SHREDDED', 'A category of this report was erased while the report was produced');

/**
 * Watches the data keys a report opened, for as long as the report is produced. A report unwraps
 * its keys once, at the start, so a key shredded meanwhile (erasure, retention, a withdrawn
 * consent, a field erasure's re-key) is still in memory: only the key store can say it is gone.
 * Asking it costs one batch read of the report's key ids (a few), at most once per `everyBytes`
 * or `everyMs` of production, plus once before the last chunk.
 */
export class ShredCheck {
  /** The keys the report opened: its bytes depend on each of them. */
  readonly opened = new Set<string>();
  private bytes = 0;
  private lastAt = Date.now();
  private readonly everyBytes: number;
  private readonly everyMs: number;

  /**
   * @param expected keys an earlier pass over the same inputs opened; one missing now was shredded
   *   between the passes, and this pass would no longer produce the bytes that pass hashed.
   */
  constructor(
    private readonly keyRing: KeyRing,
    options: ShredCheckOptions = {},
    private readonly expected?: ReadonlySet<string>,
  ) {
    this.everyBytes = options.everyBytes ?? 4 * 1024 * 1024;
    this.everyMs = options.everyMs ?? 500;
  }

  /** The keys, read past the cache (another replica may have shredded one), remembered if they opened. */
  async load(keyIds: readonly string[]): Promise<Map<string, Uint8Array>> {
    const keys = await this.keyRing.get(keyIds, { fresh: true });
    for (const id of keyIds) {
      if (keys.has(id)) this.opened.add(id);
      else if (this.expected?.has(id)) throw shredded();
    }
    return keys;
  }

  /** Counts produced bytes and looks at the store when a look is due. */
  async produced(bytes: number): Promise<void> {
    this.bytes += bytes;
    if (this.bytes >= this.everyBytes || Date.now() - this.lastAt >= this.everyMs) await this.now();
  }

  /** Fails with KEY_SHREDDED if any key the report opened is gone from the store. */
  async now(): Promise<void> {
    this.bytes = 0;
    this.lastAt = Date.now();
    if (this.opened.size === 0) return;
    const ids = [...this.opened];
    const present = await this.keyRing.store.getByIds(ids);
    if (ids.some((id) => !present.has(id))) throw shredded();
  }
}

/**
 * The chunks, with a look at the keys whenever one is due and always before the last chunk: the
 * last chunk completes the document, so a report whose keys went while it was produced never
 * arrives whole. The next chunk is pulled (its values opened) before the current one is passed
 * on: a look due when a slow consumer resumes still comes before that next chunk leaves. With
 * `sha256`, bytes that hash otherwise fail with CONFLICT, before the last chunk too.
 */
export async function* checkedChunks(
  chunks: AsyncIterable<string>,
  check: ShredCheck,
  sha256?: string,
): AsyncGenerator<string> {
  const hash = sha256 === undefined ? undefined : createHash('sha256');
  let held: string | undefined;
  for await (const chunk of chunks) {
    hash?.update(chunk);
    if (held !== undefined) {
      yield held;
      await check.produced(Buffer.byteLength(held));
    }
    held = chunk;
  }
  await check.now();
  if (hash && hash.digest('hex') !== sha256) throw new VaultError('CONFLICT', 'The report changed while it was sent');
  if (held !== undefined) yield held;
}
