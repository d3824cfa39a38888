import { createHmac } from 'node:crypto';

import { isVaultError, VaultError } from '../domain/errors.js';
import type { KeyRing } from './keyRing.js';

/** The name of the index keys in the key store: epoch `e`'s is `blind-index-key@e` (`KeyRing.epochSecret`). */
export const INDEX_KEY = 'blind-index-key';
/** The one index key of a store from before index keys had epochs; its hashes carry no epoch (epoch 0). */
export const LEGACY_INDEX_KEY = INDEX_KEY;

/** The epoch a stored hash was computed under: the number before its colon, 0 for a hash from before epochs. */
export function epochOfHash(hash: string): number {
  const colon = hash.indexOf(':');
  return colon > 0 ? Number(hash.slice(0, colon)) : 0;
}

export interface BlindIndexOptions {
  /**
   * How long the list of live epochs is reused before custody is asked again, in ms: how soon
   * this process hashes under an epoch another process started, and stops hashing under one it
   * ended. A rotation waits twice this long before it re-indexes. Default 1,000.
   */
  refreshMs?: number;
}

/** Hashes lookup forms under one epoch's index key. */
export interface IndexHasher {
  epoch: number;
  /** `<epoch>:<hex>`: keyed HMAC-SHA-256 of a normalised lookup value (domain/values.ts `lookupForm`). */
  hash(lookupForm: string): string;
}

const hasher = (epoch: number, key: Uint8Array): IndexHasher => ({
  epoch,
  hash: (form) => `${epoch > 0 ? `${epoch}:` : ''}${createHmac('sha256', key).update(form).digest('hex')}`,
});

/**
 * The blind index's keys, one per key epoch (the 0th the single key of older stores), each wrapped
 * under its epoch's KEK and deleted when the epoch ends, after every stored hash was recomputed
 * under the next (commands/rotateEpoch.ts). A hash in an old copy of the read models can then be
 * tested against no key once its epoch has ended. New hashes are made under the newest live
 * epoch; lookups try every index key still alive. Keys are loaded lazily and follow the epochs
 * of custody, so a rotation another process runs is picked up within `refreshMs`.
 */
export class BlindIndex {
  readonly refreshMs: number;
  private alive: number[] = [];
  private checkedAt = -Infinity;
  /** Loaded index keys by epoch (0: the legacy key); null when absent from the store. */
  private readonly keys = new Map<number, Promise<Uint8Array | null>>();

  constructor(
    private readonly keyRing: KeyRing,
    options: BlindIndexOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 1000;
  }

  /** The hasher of `epoch` (default: the newest live epoch), its index key created if absent. */
  async writer(epoch?: number): Promise<IndexHasher> {
    for (let attempt = 0; ; attempt += 1) {
      const e = epoch ?? Math.max(...(await this.epochs(attempt > 0)));
      const key = await this.key(e, true);
      if (key) return hasher(e, key);
      // The epoch ended between the look at custody and the load: look again, once.
      if (epoch !== undefined || attempt > 0)
        throw new VaultError('KEK_UNAVAILABLE', `The blind-index key of epoch ${e} is gone: its epoch has ended`, {
          details: { epoch: e },
        });
    }
  }

  /** The hash of a lookup form under the newest epoch's key: what the projector stores. */
  async hash(lookupForm: string): Promise<string> {
    return (await this.writer()).hash(lookupForm);
  }

  /** Every hash a lookup form may be stored under: one per index key alive (two during a rotation). */
  async candidates(lookupForm: string): Promise<string[]> {
    const epochs = await this.epochs();
    const newest = Math.max(...epochs);
    const out: string[] = [];
    for (const e of [0, ...epochs]) {
      const key = await this.key(e, e === newest);
      if (key) out.push(hasher(e, key).hash(lookupForm));
    }
    return out;
  }

  /** The live epochs, asked of custody again when older than `refreshMs` or behind this process's key ring. */
  private async epochs(force = false): Promise<number[]> {
    const now = Date.now();
    if (!force && now - this.checkedAt < this.refreshMs && this.alive.includes(this.keyRing.kekVersion)) {
      return this.alive;
    }
    const alive = await this.keyRing.kek.epochs();
    this.alive = alive;
    this.checkedAt = now;
    for (const [e, loaded] of [...this.keys]) {
      if (e > 0 && alive.includes(e)) continue;
      // Absent keys and the legacy key are looked for again; a dead epoch's key is zeroed: nothing needs it.
      this.keys.delete(e);
      if (e > 0) void loaded.then((k) => k?.fill(0)).catch(() => undefined);
    }
    return alive;
  }

  /** The index key of `epoch` (0: the legacy key), loaded once; absent (null) ones are created when `create`. */
  private async key(epoch: number, create: boolean): Promise<Uint8Array | null> {
    const cached = this.keys.get(epoch);
    if (cached) {
      const key = await cached;
      if (key || !create || epoch === 0) return key;
    }
    const loaded = (
      epoch === 0
        ? this.keyRing.existingSecret(LEGACY_INDEX_KEY)
        : this.keyRing.epochSecret(INDEX_KEY, epoch, 32, { create })
    ).then(
      (k) => k ?? null,
      (e: unknown) => {
        // Its epoch ended (another process rotated): no key, and custody is asked again next time.
        if (!isVaultError(e, 'KEK_UNAVAILABLE')) throw e;
        this.checkedAt = -Infinity;
        return null;
      },
    );
    this.keys.set(epoch, loaded);
    // A failed load (a store outage) is not kept.
    loaded.catch(() => (this.keys.get(epoch) === loaded ? this.keys.delete(epoch) : undefined));
    return loaded;
  }
}
