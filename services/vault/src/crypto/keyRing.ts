import nacl from 'tweetnacl';
import { VaultError } from '../domain/errors.js';
import type { EventOf } from '../domain/events.js';
import type { KeyStore, ShredReason, StoredKey } from '../ports/KeyStore.js';
import { contextTag, open, seal } from './envelope.js';
import type { MasterKeys } from './masterKey.js';

const CHECK_PLAINTEXT = new TextEncoder().encode('pdv master key check v1');

export interface KeyRingOptions {
  /** Unwrapped data keys kept in memory. Default 20,000. */
  cacheSize?: number;
  /**
   * How long an unwrapped key may be served from memory, in ms. Bounds how long another
   * replica can still open a category this one shredded. Default 30,000.
   */
  cacheTtlMs?: number;
}

/** Parses a key id `subject/category/generation` into the context its wrapping is bound to. */
export function keyOwner(keyId: string): { subjectId: string; category: string } {
  const last = keyId.lastIndexOf('/');
  const prev = keyId.lastIndexOf('/', last - 1);
  if (prev <= 0) throw new VaultError('CIPHERTEXT_INVALID', 'Malformed key id');
  return { subjectId: keyId.slice(0, prev), category: keyId.slice(prev + 1, last) };
}

const wrapTag = (subjectId: string, category: string, keyId: string) => contextTag('pdv/dek/v1', [subjectId, category, keyId]);
const metaTag = (name: string) => contextTag('pdv/meta/v1', [name]);

/**
 * Data keys: created on first use, wrapped by the current master key and bound to their
 * (subject, category, key id); unwrapped on demand, cached briefly, batch-loaded.
 */
export class KeyRing {
  private readonly cache = new Map<string, { key: Uint8Array; at: number }>();
  private readonly secretNames = new Set<string>();
  /** Ids this process has shredded (bounded): never cached again. */
  private readonly shredded = new Set<string>();
  private readonly pendingCreates: { keyIds: string[]; resolve(keys: Map<string, StoredKey>): void; reject(e: unknown): void }[] = [];
  private readonly pendingShreds: { keyIds: string[]; reason: ShredReason; at: string; resolve(ids: string[]): void; reject(e: unknown): void }[] = [];
  private readonly cacheSize: number;
  private readonly ttl: number;

  private constructor(
    readonly store: KeyStore,
    private readonly master: MasterKeys,
    options: KeyRingOptions,
  ) {
    this.cacheSize = options.cacheSize ?? 20_000;
    this.ttl = options.cacheTtlMs ?? 30_000;
  }

  /** Fails with MASTER_KEY_MISMATCH when the configured master key did not wrap this store's keys. */
  static async open(store: KeyStore, master: MasterKeys, options: KeyRingOptions = {}): Promise<KeyRing> {
    for (const [version, kek] of master.keys) {
      const name = `kek-check/v${version}`;
      const stored = (await store.getMeta(name)) ?? (await store.putMetaIfAbsent(name, seal(kek, CHECK_PLAINTEXT, metaTag(name))));
      try {
        open(kek, stored, metaTag(name), 'master key check');
      } catch {
        throw new VaultError(
          'MASTER_KEY_MISMATCH',
          `Master key version ${version} does not match the one that wrapped the keys in this key store. Check VAULT_MASTER_KEY / VAULT_MASTER_KEY_FILE.`,
        );
      }
    }
    return new KeyRing(store, master, options);
  }

  get kekVersion(): number {
    return this.master.current;
  }

  /**
   * The data keys for these ids, created where missing. Shredded ids fail with KEY_SHREDDED.
   * Keys missing in concurrent calls of one tick are created together: one store round trip.
   */
  async ensure(keyIds: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const missing: string[] = [];
    for (const id of new Set(keyIds)) {
      const hit = this.fromCache(id);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const created = await new Promise<Map<string, StoredKey>>((resolve, reject) => {
      this.pendingCreates.push({ keyIds: missing, resolve, reject });
      if (this.pendingCreates.length === 1) setImmediate(() => void this.flushCreates());
    });
    for (const id of missing) {
      const s = created.get(id);
      if (!s) throw new VaultError('KEY_SHREDDED', 'The data key of this category was shredded', { details: { keyId: id } });
      out.set(id, this.unwrap(s));
    }
    return out;
  }

  private async flushCreates(): Promise<void> {
    const pending = this.pendingCreates.splice(0);
    const now = new Date().toISOString();
    const kek = this.kek(this.master.current);
    const fresh = [...new Set(pending.flatMap((p) => p.keyIds))].map((keyId): StoredKey => {
      const { subjectId, category } = keyOwner(keyId);
      return { keyId, subjectId, category, wrapped: seal(kek, nacl.randomBytes(nacl.secretbox.keyLength), wrapTag(subjectId, category, keyId)), kekVersion: this.master.current, createdAt: now };
    });
    try {
      const stored = await this.store.createIfAbsent(fresh);
      for (const p of pending) p.resolve(stored);
    } catch (e) {
      for (const p of pending) p.reject(e);
    }
  }

  /**
   * Batch load; shredded or unknown ids are absent from the result. `fresh` skips the cache, for
   * answers that must not outlive a shred made by another replica (reports, exports).
   */
  async get(keyIds: readonly string[], options: { fresh?: boolean } = {}): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const missing: string[] = [];
    for (const id of new Set(keyIds)) {
      const hit = options.fresh ? undefined : this.fromCache(id);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const stored = await this.store.getByIds(missing);
      for (const s of stored.values()) out.set(s.keyId, this.unwrap(s));
    }
    return out;
  }

  /**
   * Shreds keys in the store and forgets them here. Shreds requested in the same tick are
   * committed together (one transaction, one WAL truncation), as appends are.
   */
  shred(keyIds: readonly string[], reason: ShredReason, at: string): Promise<string[]> {
    this.forget(keyIds);
    if (keyIds.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pendingShreds.push({ keyIds: [...keyIds], reason, at, resolve, reject });
      if (this.pendingShreds.length === 1) setImmediate(() => void this.flushShreds());
    });
  }

  /**
   * Destroys the keys that shred events name (`CategoryShredded`, the old keys of a
   * `CategoryRekeyed`, and the stray keys a `SubjectErased` found). Idempotent: the write side calls it after appending, and the projector
   * again when it meets the events, so a crash in between still ends with the keys gone.
   */
  async shredFor(events: readonly { type: string; data: unknown; metadata: { at: string } }[]): Promise<string[]> {
    const destroyed: string[] = [];
    for (const e of events) {
      let ids: string[] = [];
      let reason: ShredReason = 'erasure';
      if (e.type === 'CategoryShredded') {
        const d = (e as EventOf<'CategoryShredded'>).data;
        ids = d.keyIds;
        reason = d.reason;
      } else if (e.type === 'CategoryRekeyed') {
        ids = (e as EventOf<'CategoryRekeyed'>).data.oldKeyIds;
        reason = 'fieldErasure';
      } else if (e.type === 'SubjectErased') {
        ids = (e as EventOf<'SubjectErased'>).data.strayKeyIds ?? [];
      }
      if (ids.length > 0) destroyed.push(...(await this.shred(ids, reason, e.metadata.at)));
    }
    return destroyed;
  }

  private async flushShreds(): Promise<void> {
    const pending = this.pendingShreds.splice(0);
    const groups = new Map<string, typeof pending>();
    for (const p of pending) {
      const k = `${p.reason}\u0000${p.at}`;
      groups.set(k, [...(groups.get(k) ?? []), p]);
    }
    for (const group of groups.values()) {
      try {
        const ids = [...new Set(group.flatMap((g) => g.keyIds))];
        const destroyed = new Set(await this.store.shred(ids, group[0]!.reason, group[0]!.at));
        this.forget(ids); // again: a read may have cached one between the request and the commit
        for (const g of group) g.resolve(g.keyIds.filter((id) => destroyed.has(id)));
      } catch (e) {
        for (const g of group) g.reject(e);
      }
    }
  }

  /** Drops keys from memory and keeps them out of it (they are being, or were, shredded). */
  private forget(keyIds: readonly string[]): void {
    for (const id of keyIds) {
      this.cache.delete(id);
      if (this.shredded.size >= 100_000) this.shredded.delete(this.shredded.values().next().value!);
      this.shredded.add(id);
    }
  }

  /** Forgets every unwrapped key held in memory (the next reads unwrap from the store again). */
  clearCache(): void {
    this.cache.clear();
  }

  /** Unwraps a stored key, checking it belongs to the (subject, category, id) it is filed under. */
  unwrap(stored: StoredKey): Uint8Array {
    const { subjectId, category } = keyOwner(stored.keyId);
    if (subjectId !== stored.subjectId || category !== stored.category) {
      throw new VaultError('CONTEXT_MISMATCH', 'A wrapped key is filed under another subject or category', { details: { keyId: stored.keyId } });
    }
    const key = open(this.kek(stored.kekVersion), stored.wrapped, wrapTag(subjectId, category, stored.keyId), 'wrapped data key');
    this.remember(stored.keyId, key);
    return key;
  }

  /**
   * A vault secret (signing seed, blind-index key) created once, kept in the key store wrapped by
   * the master key: one byte of master-key version, then the sealed secret.
   */
  async secret(name: string, length: number): Promise<Uint8Array> {
    this.secretNames.add(name);
    const existing = (await this.store.getMeta(name)) ?? (await this.store.putMetaIfAbsent(name, this.wrapSecret(name, nacl.randomBytes(length))));
    return this.unwrapSecret(name, existing);
  }

  /**
   * Re-wraps every data key and vault secret that an older master key wraps under the current
   * one (rotation). The data keys themselves, and so every ciphertext, stay as they are. Safe to
   * run again or concurrently: each key is re-wrapped only if it still has its old wrapping.
   */
  async rotate(pageSize = 500): Promise<{ keys: number; secrets: number }> {
    const current = this.master.current;
    let keys = 0;
    let after = '';
    for (;;) {
      const page = await this.store.listWrappedOtherThan(current, { limit: pageSize, afterKeyId: after });
      if (page.length === 0) {
        // A replica still on the old key may have created keys behind the cursor: go round again until none is left.
        if (after === '' || (await this.store.listWrappedOtherThan(current, { limit: 1 })).length === 0) break;
        after = '';
        continue;
      }
      const kek = this.kek(current);
      keys += await this.store.rewrap(
        page.map((k) => ({ keyId: k.keyId, wrapped: seal(kek, this.unwrap(k), wrapTag(k.subjectId, k.category, k.keyId)), kekVersion: current, fromVersion: k.kekVersion })),
      );
      after = page[page.length - 1]!.keyId;
    }
    let secrets = 0;
    for (const name of this.secretNames) {
      const stored = await this.store.getMeta(name);
      if (!stored || stored[0] === current) continue;
      await this.store.replaceMeta(name, this.wrapSecret(name, this.unwrapSecret(name, stored)));
      secrets += 1;
    }
    return { keys, secrets };
  }

  private wrapSecret(name: string, secret: Uint8Array): Uint8Array {
    const sealed = seal(this.kek(this.master.current), secret, metaTag(name));
    const out = new Uint8Array(1 + sealed.length);
    out[0] = this.master.current;
    out.set(sealed, 1);
    return out;
  }

  private unwrapSecret(name: string, stored: Uint8Array): Uint8Array {
    return open(this.kek(stored[0]!), stored.subarray(1), metaTag(name), `vault secret ${name}`);
  }

  private kek(version: number): Uint8Array {
    const k = this.master.keys.get(version);
    if (!k) throw new VaultError('MASTER_KEY_MISMATCH', `A key was wrapped by master key version ${version}, which is not configured`);
    return k;
  }

  private fromCache(id: string): Uint8Array | undefined {
    const hit = this.cache.get(id);
    if (!hit) return undefined;
    if (Date.now() - hit.at > this.ttl) {
      this.cache.delete(id);
      return undefined;
    }
    return hit.key;
  }

  private remember(id: string, key: Uint8Array): void {
    // A key shredded while it was being loaded must not come back into the cache.
    if (this.shredded.has(id)) return;
    if (this.cache.size >= this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(id, { key, at: Date.now() });
  }
}
