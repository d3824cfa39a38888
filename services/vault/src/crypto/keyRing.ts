import nacl from 'tweetnacl';

import { isVaultError, VaultError } from '../domain/errors.js';
import type { EventOf } from '../domain/events.js';
import type { KekProvider } from '../ports/KekProvider.js';
import type { KeyStore, ShredReason, StoredKey } from '../ports/KeyStore.js';
import { contextTag } from './envelope.js';

export interface KeyRingOptions {
  /** Unwrapped data keys kept in memory. Default 20,000. */
  cacheSize?: number;
  /**
   * How long an unwrapped key may be served from memory, in ms. Bounds how long another
   * replica can still open a category this one shredded. Default 30,000.
   */
  cacheTtlMs?: number;
  /** How long an epoch lasts, in ms: its KEK is destroyed once it has ended. Default one day. */
  epochMs?: number;
}

/** When the current epoch began and when its KEK is due to be destroyed. */
export interface EpochSchedule {
  epoch: number;
  startedAt: string;
  endsAt: string;
}

export const DEFAULT_EPOCH_MS = 24 * 60 * 60 * 1000;
const SCHEDULE = 'epoch-schedule';

/**
 * The epoch schedule as the key store holds it, without opening custody (`vault status`, the metrics); undefined
 * before the first epoch. It may name an epoch that has just been replaced (another process's rotation).
 */
export async function storedEpochSchedule(store: Pick<KeyStore, 'getMeta'>): Promise<EpochSchedule | undefined> {
  const raw = await store.getMeta(SCHEDULE);
  if (!raw) return undefined;
  const parsed = JSON.parse(new TextDecoder().decode(raw)) as { e: number; s: string; t: string };
  return { epoch: parsed.e, startedAt: parsed.s, endsAt: parsed.t };
}
/**
 * How long a claim to create an epoch's KEK stands before another process may take it over: far
 * longer than a create takes (milliseconds, an HSM's included), so only a holder that died (or
 * stalled that long, which docs/security.md names as the residual risk) loses it.
 */
export const EPOCH_CLAIM_TTL_MS = 60_000;
const claimName = (epoch: number, attempt: number) => `epoch-claim/${epoch}/${attempt}`;
/** A claim: who holds it (a random id per attempt to create) and until when (epoch ms). */
const encodeClaim = (holder: string, until: number) =>
  new TextEncoder().encode(JSON.stringify({ o: holder, u: until }));

/** Parses a key id `subject/category/generation` into the context its wrapping is bound to. */
export function keyOwner(keyId: string): { subjectId: string; category: string } {
  const last = keyId.lastIndexOf('/');
  const prev = keyId.lastIndexOf('/', last - 1);
  if (prev <= 0) throw new VaultError('CIPHERTEXT_INVALID', 'Malformed key id');
  return { subjectId: keyId.slice(0, prev), category: keyId.slice(prev + 1, last) };
}

/** The context a data key's wrapping is bound to (the KEK provider's `aad`). */
export const wrapTag = (subjectId: string, category: string, keyId: string) =>
  contextTag('pdv/dek/v1', [subjectId, category, keyId]);
const metaTag = (name: string) => contextTag('pdv/meta/v1', [name]);

/**
 * Data keys: created on first use, wrapped under the current epoch's key-encryption key (held by
 * a `KekProvider`) and bound to their (subject, category, key id); unwrapped on demand, cached
 * briefly, batch-loaded. Each epoch ends with every live key re-wrapped under the next epoch's
 * KEK and the old KEK destroyed (`rotateEpoch`), so that any stale copy of a wrapped key, in a
 * backup or a page gap, opens nothing once the epoch in force when it was shredded has ended.
 */
export class KeyRing {
  private readonly cache = new Map<string, { key: Uint8Array; at: number }>();
  private readonly secretNames = new Set<string>();
  /** Ids this process has shredded (bounded): never cached again. */
  private readonly shredded = new Set<string>();
  private readonly pendingCreates: {
    keyIds: string[];
    resolve(keys: Map<string, Uint8Array>): void;
    reject(e: unknown): void;
  }[] = [];
  private readonly pendingShreds: {
    keyIds: string[];
    reason: ShredReason;
    at: string;
    resolve(ids: string[]): void;
    reject(e: unknown): void;
  }[] = [];
  private readonly cacheSize: number;
  private readonly ttl: number;
  readonly epochMs: number;
  private rotation: Promise<EpochRotation> | undefined;

  private constructor(
    readonly store: KeyStore,
    readonly kek: KekProvider,
    private current: number,
    options: KeyRingOptions,
  ) {
    this.cacheSize = options.cacheSize ?? 20_000;
    this.ttl = options.cacheTtlMs ?? 30_000;
    this.epochMs = options.epochMs ?? DEFAULT_EPOCH_MS;
  }

  /**
   * Opens the key ring on a key store and its KEK custody. The first open makes epoch 1. Fails
   * with KEK_UNAVAILABLE when the store holds keys of an epoch whose KEK is gone: a key store
   * restored from a backup older than one epoch, or custody that is not this store's.
   */
  static async open(store: KeyStore, kek: KekProvider, options: KeyRingOptions = {}): Promise<KeyRing> {
    let epochs = await kek.epochs();
    const inUse = await store.epochsInUse();
    const missing = inUse.filter((e) => !epochs.includes(e));
    if (missing.length > 0) {
      throw new VaultError(
        'KEK_UNAVAILABLE',
        `The key store holds keys wrapped under epoch ${missing.join(', ')}, whose key-encryption key does not ` +
          `exist: ` +
          'a key store restored from a backup older than one epoch opens nothing (that is erasure working), ' +
          "or VAULT_KEK_PROVIDER and its settings point at custody other than this store's",
        { details: { epochs: missing } },
      );
    }
    const ring = new KeyRing(store, kek, 0, options);
    if (epochs.length === 0) {
      await ring.createEpoch(1);
      epochs = [1];
      await ring.schedule(1);
    }
    ring.current = Math.max(...epochs);
    return ring;
  }

  /** The epoch whose KEK wraps new keys. */
  get kekVersion(): number {
    return this.current;
  }

  /** The current epoch's schedule: an erasure's stale copies are unreadable from its `endsAt` on. */
  async epochSchedule(): Promise<EpochSchedule> {
    const raw = await this.store.getMeta(SCHEDULE);
    const parsed = raw ? (JSON.parse(new TextDecoder().decode(raw)) as { e: number; s: string; t: string }) : undefined;
    if (parsed && parsed.e === this.current) return { epoch: parsed.e, startedAt: parsed.s, endsAt: parsed.t };
    // Another process rotated and this one has not seen it yet, or a store made before schedules.
    return this.schedule(this.current);
  }

  /**
   * Creates the KEK of `epoch` in exactly one of the processes that share this key store (replicas
   * on one PostgreSQL, CLI runs on one data directory): the KEK custody cannot be trusted to refuse
   * a second create (an HSM makes a second object under the same label; the local slot file would
   * be written twice, with two different keys, each process wrapping under its own). The first to
   * store the claim `epoch-claim/<epoch>/<attempt>` creates; the others wait until the KEK exists. A
   * claim older than `EPOCH_CLAIM_TTL_MS` (its holder died) is taken over through the next attempt,
   * which again only one process can store. Claims are never deleted while anyone may still race for
   * them (a deletion between another process's insert and read would hand it nothing): the winner
   * removes the previous epoch's.
   */
  private async createEpoch(epoch: number): Promise<void> {
    const mine = Buffer.from(nacl.randomBytes(8)).toString('hex');
    for (let attempt = 0; ;) {
      if ((await this.kek.epochs()).includes(epoch)) return;
      const claim = encodeClaim(mine, Date.now() + EPOCH_CLAIM_TTL_MS);
      const held = JSON.parse(
        new TextDecoder().decode(await this.store.putMetaIfAbsent(claimName(epoch, attempt), claim)),
      ) as { o: string; u: number };
      if (held.o === mine) {
        try {
          // Checked again now the claim is ours: the previous holder may have created it just before its claim lapsed.
          if (!(await this.kek.epochs()).includes(epoch)) await this.kek.create(epoch);
        } catch (e) {
          // Lapsed at once, so that a waiting process takes over through the next attempt.
          await this.store.replaceMeta(claimName(epoch, attempt), encodeClaim(mine, 0));
          throw e;
        }
        // The previous epoch's claims are long settled: removed now (this epoch's stay until the next one).
        for (let a = 0; epoch > 1 && (await this.store.getMeta(claimName(epoch - 1, a))); a++)
          await this.store.deleteMeta(claimName(epoch - 1, a));
        return;
      }
      if (held.u <= Date.now()) attempt += 1;
      else await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }

  /** Records when `epoch` began and when it is due to end (the previous end plus one period, or now plus one). */
  private async schedule(epoch: number): Promise<EpochSchedule> {
    const raw = await this.store.getMeta(SCHEDULE);
    const prev = raw ? (JSON.parse(new TextDecoder().decode(raw)) as { e: number; s: string; t: string }) : undefined;
    if (prev && prev.e === epoch) return { epoch, startedAt: prev.s, endsAt: prev.t };
    const now = Date.now();
    const prevEnd = prev ? Date.parse(prev.t) : 0;
    const endsAt = new Date(Math.max(now, prevEnd) + this.epochMs).toISOString();
    const value = new TextEncoder().encode(JSON.stringify({ e: epoch, s: new Date(now).toISOString(), t: endsAt }));
    if (raw) await this.store.replaceMeta(SCHEDULE, value);
    else await this.store.putMetaIfAbsent(SCHEDULE, value);
    return { epoch, startedAt: new Date(now).toISOString(), endsAt };
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
      if (hit) out.set(id, Uint8Array.from(hit));
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const created = await new Promise<Map<string, Uint8Array>>((resolve, reject) => {
      this.pendingCreates.push({ keyIds: missing, resolve, reject });
      if (this.pendingCreates.length === 1) setImmediate(() => void this.flushCreates());
    });
    for (const id of missing) {
      const key = created.get(id);
      if (!key)
        throw new VaultError('KEY_SHREDDED', 'The data key of this category was shredded', { details: { keyId: id } });
      out.set(id, key);
    }
    return out;
  }

  private async flushCreates(): Promise<void> {
    const pending = this.pendingCreates.splice(0);
    let fresh: { stored: StoredKey[]; raw: Uint8Array[] } | undefined;
    let opened: Map<string, Uint8Array> | undefined;
    try {
      const ids = [...new Set(pending.flatMap((p) => p.keyIds))];
      try {
        fresh = await this.wrapNew(ids);
      } catch (e) {
        // Another process ended the epoch this one still wraps under: take the newest and go on.
        if (!isVaultError(e, 'KEK_UNAVAILABLE')) throw e;
        this.current = Math.max(...(await this.kek.epochs()));
        fresh = await this.wrapNew(ids);
      }
      opened = await this.openCreated(fresh, await this.store.createIfAbsent(fresh.stored));
      // Each caller gets copies of its own keys: the ones here are zeroed below.
      for (const p of pending) {
        const mine = new Map<string, Uint8Array>();
        for (const id of p.keyIds) {
          const key = opened.get(id);
          if (key) mine.set(id, Uint8Array.from(key));
        }
        p.resolve(mine);
      }
    } catch (e) {
      for (const p of pending) p.reject(e);
    } finally {
      for (const k of fresh?.raw ?? []) k.fill(0);
      for (const k of opened?.values() ?? []) k.fill(0);
    }
  }

  /**
   * The keys the store holds under the ids just created: where it stored this process's wrapping
   * (the usual case), the raw key that wrapping was made of, so the KEK is not asked to unwrap what
   * it has just wrapped; where it holds another (a concurrent writer, or a run that crashed after
   * creating it, won the race), that one unwrapped. Shredded ids are absent. Every key is cached.
   */
  private async openCreated(
    fresh: { stored: readonly StoredKey[]; raw: readonly Uint8Array[] },
    stored: ReadonlyMap<string, StoredKey>,
  ): Promise<Map<string, Uint8Array>> {
    const opened = new Map<string, Uint8Array>();
    const others: StoredKey[] = [];
    fresh.stored.forEach((mine, i) => {
      const s = stored.get(mine.keyId);
      if (!s) return;
      if (s.kekVersion === mine.kekVersion && Buffer.from(s.wrapped).equals(mine.wrapped)) {
        const key = Uint8Array.from(fresh.raw[i]!);
        opened.set(s.keyId, key);
        this.remember(s.keyId, key);
      } else others.push(s);
    });
    if (others.length > 0) for (const [id, key] of await this.unwrapAll(others)) opened.set(id, key);
    return opened;
  }

  /** New keys for these ids, wrapped under the current epoch, with the raw keys (the caller zeroes them). */
  private async wrapNew(keyIds: readonly string[]): Promise<{ stored: StoredKey[]; raw: Uint8Array[] }> {
    const now = new Date().toISOString();
    const epoch = this.current;
    const owners = keyIds.map((keyId) => ({ keyId, ...keyOwner(keyId) }));
    const raw = owners.map(() => nacl.randomBytes(nacl.secretbox.keyLength));
    let wrapped: Uint8Array[];
    try {
      wrapped = await this.kek.wrap(
        epoch,
        owners.map((o, i) => ({ key: raw[i]!, aad: wrapTag(o.subjectId, o.category, o.keyId) })),
      );
    } catch (e) {
      for (const k of raw) k.fill(0);
      throw e;
    }
    const stored = owners.map((o, i) => ({
      keyId: o.keyId,
      subjectId: o.subjectId,
      category: o.category,
      wrapped: wrapped[i]!,
      kekVersion: epoch,
      createdAt: now,
    }));
    return { stored, raw };
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
      if (hit) out.set(id, Uint8Array.from(hit));
      else missing.push(id);
    }
    if (missing.length > 0) {
      let opened: Map<string, Uint8Array>;
      try {
        opened = await this.unwrapAll([...(await this.store.getByIds(missing)).values()]);
      } catch (e) {
        // A rotation re-wrapped these keys and destroyed the old epoch between the read and the unwrap: read again.
        if (!isVaultError(e, 'KEK_UNAVAILABLE')) throw e;
        opened = await this.unwrapAll([...(await this.store.getByIds(missing)).values()]);
      }
      for (const [id, key] of opened) out.set(id, key);
    }
    return out;
  }

  /**
   * Shreds keys in the store and forgets them here. Shreds requested in the same tick are
   * committed together (one transaction), as appends are.
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
   * `CategoryRekeyed`, and the stray keys a `SubjectErased` found). Idempotent: the write side calls it after
   * appending, and the projector
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
        const d = (e as EventOf<'CategoryRekeyed'>).data;
        ids = d.oldKeyIds;
        reason = d.reason ?? 'fieldErasure';
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
      // Zeroed, not only dropped: a destroyed key must not wait in the cache's heap for the collector. Callers got
      // copies; a download that still holds one finds the shred in the store as it goes (ShredCheck).
      this.evict(id);
      if (this.shredded.size >= 100_000) this.shredded.delete(this.shredded.values().next().value!);
      this.shredded.add(id);
    }
  }

  /**
   * One page of stored keys wrapped again under `to`: one provider call per epoch found in it
   * (`rewrap` where the custody has it, so the data keys never leave it; else unwrap, wrap and zero).
   */
  private async rewrapPage(page: readonly StoredKey[], to: number): Promise<Parameters<KeyStore['rewrap']>[0]> {
    const byEpoch = new Map<number, StoredKey[]>();
    for (const k of page) {
      const { subjectId, category } = keyOwner(k.keyId);
      if (subjectId !== k.subjectId || category !== k.category)
        throw new VaultError('CONTEXT_MISMATCH', 'A wrapped key is filed under another subject or category', {
          details: { keyId: k.keyId },
        });
      const group = byEpoch.get(k.kekVersion);
      if (group) group.push(k);
      else byEpoch.set(k.kekVersion, [k]);
    }
    const out: Parameters<KeyStore['rewrap']>[0] = [];
    for (const [from, group] of byEpoch) {
      const items = group.map((k) => ({ wrapped: k.wrapped, aad: wrapTag(k.subjectId, k.category, k.keyId) }));
      let wrapped: Uint8Array[];
      try {
        wrapped = await this.moveWrapped(from, to, items);
      } catch (e) {
        // Another process's rotation re-wrapped these keys and destroyed `from` since the page was read: nothing to do.
        if (from === to || !isVaultError(e, 'KEK_UNAVAILABLE')) throw e;
        const now = await this.store.getByIds(group.map((k) => k.keyId));
        if ([...now.values()].some((k) => k.kekVersion === from)) throw e;
        continue;
      }
      group.forEach((k, i) => out.push({ keyId: k.keyId, wrapped: wrapped[i]!, kekVersion: to, fromVersion: from }));
    }
    return out;
  }

  private async moveWrapped(
    from: number,
    to: number,
    items: { wrapped: Uint8Array; aad: Uint8Array }[],
  ): Promise<Uint8Array[]> {
    if (this.kek.rewrap) return this.kek.rewrap(from, to, items);
    const opened = await this.kek.unwrap(from, items);
    try {
      return await this.kek.wrap(
        to,
        opened.map((key, i) => ({ key, aad: items[i]!.aad })),
      );
    } finally {
      // Unwrapped only for this page (not cached): nothing else holds them.
      for (const key of opened) key.fill(0);
    }
  }

  /** Forgets every unwrapped key held in memory, zeroed (the next reads unwrap from the store again). */
  clearCache(): void {
    for (const { key } of this.cache.values()) key.fill(0);
    this.cache.clear();
  }

  /**
   * Unwraps stored keys (one provider call per epoch), checking each belongs to the (subject, category, id) it is filed
   * under.
   */
  private async unwrapAll(stored: readonly StoredKey[], remember = true): Promise<Map<string, Uint8Array>> {
    const byEpoch = new Map<number, StoredKey[]>();
    for (const s of stored) {
      const { subjectId, category } = keyOwner(s.keyId);
      if (subjectId !== s.subjectId || category !== s.category) {
        throw new VaultError('CONTEXT_MISMATCH', 'A wrapped key is filed under another subject or category', {
          details: { keyId: s.keyId },
        });
      }
      const group = byEpoch.get(s.kekVersion);
      if (group) group.push(s);
      else byEpoch.set(s.kekVersion, [s]);
    }
    const out = new Map<string, Uint8Array>();
    for (const [epoch, group] of byEpoch) {
      const keys = await this.kek.unwrap(
        epoch,
        group.map((s) => ({ wrapped: s.wrapped, aad: wrapTag(s.subjectId, s.category, s.keyId) })),
      );
      group.forEach((s, i) => {
        out.set(s.keyId, keys[i]!);
        if (remember) this.remember(s.keyId, keys[i]!);
      });
    }
    return out;
  }

  /**
   * A vault secret (the signing seed) created once, kept in the key store wrapped
   * under the current epoch: four bytes of epoch, then the wrapped secret.
   */
  async secret(name: string, length: number): Promise<Uint8Array> {
    this.secretNames.add(name);
    let existing = await this.store.getMeta(name);
    if (!existing) {
      // Made here, kept only wrapped: the copy in hand is zeroed (the one returned is unwrapped from the store's).
      const fresh = nacl.randomBytes(length);
      try {
        existing = await this.store.putMetaIfAbsent(name, await this.wrapSecret(name, fresh));
      } finally {
        fresh.fill(0);
      }
    }
    return this.unwrapSecret(name, existing);
  }

  /**
   * A secret that belongs to one epoch (stored as `<name>@<epoch>`, e.g. an epoch's blind-index
   * key): wrapped under that epoch's KEK and never re-wrapped, since it ends with its epoch (its
   * owner deletes it in `beforeDestroy`). Created if absent only with `create`; otherwise
   * undefined when absent. Fails with KEK_UNAVAILABLE once the epoch's KEK is destroyed.
   */
  async epochSecret(
    name: string,
    epoch: number,
    length: number,
    options: { create?: boolean } = {},
  ): Promise<Uint8Array | undefined> {
    const stored = `${name}@${epoch}`;
    let existing = await this.store.getMeta(stored);
    if (!existing && options.create) {
      const fresh = nacl.randomBytes(length);
      existing = await this.store.putMetaIfAbsent(stored, await this.wrapSecret(stored, fresh, epoch));
      fresh.fill(0);
    }
    return existing && this.unwrapSecret(stored, existing);
  }

  /** A secret as stored, without creating it: undefined when absent (one being retired, e.g. by `deleteMeta`). */
  async existingSecret(name: string): Promise<Uint8Array | undefined> {
    const stored = await this.store.getMeta(name);
    return stored && this.unwrapSecret(name, stored);
  }

  /**
   * Ends the current epoch: makes the next epoch's KEK, re-wraps every live data key and vault
   * secret under it a page at a time (yielding to the event loop between pages), then destroys
   * every older KEK. A rotation that a crash interrupted is finished, not started again: with
   * two epochs alive, the newer is the target. Safe to run concurrently with writes and with
   * another process's rotation: each key is re-wrapped only if it still has its old wrapping,
   * and the old KEK goes only once no key needs it. `beforeDestroy(to)` runs once everything is
   * wrapped under `to` and before any older KEK is destroyed: what else must leave the old epoch
   * (the blind index, re-computed under the new epoch's key) does so there; a throw leaves both
   * epochs alive, for the next rotation to finish.
   */
  rotateEpoch(
    options: { pageSize?: number; beforeDestroy?: (to: number) => Promise<void> } = {},
  ): Promise<EpochRotation> {
    this.rotation ??= this.rotate(options.pageSize ?? 500, options.beforeDestroy).finally(
      () => (this.rotation = undefined),
    );
    return this.rotation;
  }

  private async rotate(pageSize: number, beforeDestroy?: (to: number) => Promise<void>): Promise<EpochRotation> {
    const before = await this.kek.epochs();
    let to = Math.max(0, ...before);
    if (before.length <= 1) {
      to += 1;
      await this.createEpoch(to);
    }
    this.current = to;
    await this.schedule(to);
    let keys = 0;
    let after = '';
    // The previous page's store write, committing while this page is read and re-wrapped.
    let writing: Promise<number> | undefined;
    for (;;) {
      const page = await this.store.listWrappedOtherThan(to, { limit: pageSize, afterKeyId: after });
      if (page.length === 0) {
        keys += (await writing) ?? 0;
        writing = undefined;
        // A process still on the old epoch may have created keys behind the cursor: go round again until none is left.
        if (after === '' || (await this.store.listWrappedOtherThan(to, { limit: 1 })).length === 0) break;
        after = '';
        continue;
      }
      const rewrapped = await this.rewrapPage(page, to);
      keys += (await writing) ?? 0;
      writing = this.store.rewrap(rewrapped);
      // Awaited at the next page; marked handled now, so a failure meanwhile is not an unhandled rejection.
      writing.catch(() => undefined);
      after = page[page.length - 1]!.keyId;
      await new Promise((r) => setImmediate(r));
    }
    let secrets = 0;
    for (const name of this.secretNames) {
      const stored = await this.store.getMeta(name);
      if (!stored || epochOfSecret(stored) === to) continue;
      const plain = await this.unwrapSecret(name, stored);
      await this.store.replaceMeta(name, await this.wrapSecret(name, plain));
      plain.fill(0);
      secrets += 1;
    }
    await beforeDestroy?.(to);
    const destroyed = (await this.kek.epochs()).filter((e) => e < to);
    for (const e of destroyed) await this.kek.destroy(e);
    return { from: before, to, keys, secrets, destroyed };
  }

  /** Re-seals the KEKs under the newest master key, where the custody is sealed by one (local); returns how many. */
  async resealKeks(): Promise<number> {
    const custody = this.kek as KekProvider & { reseal?: () => Promise<number> };
    return custody.reseal ? custody.reseal() : 0;
  }

  private async wrapSecret(name: string, secret: Uint8Array, epoch = this.current): Promise<Uint8Array> {
    const [sealed] = await this.kek.wrap(epoch, [{ key: secret, aad: metaTag(name) }]);
    const out = new Uint8Array(4 + sealed!.length);
    new DataView(out.buffer).setUint32(0, epoch, true);
    out.set(sealed!, 4);
    return out;
  }

  private async unwrapSecret(name: string, stored: Uint8Array): Promise<Uint8Array> {
    const [secret] = await this.kek.unwrap(epochOfSecret(stored), [
      { wrapped: stored.subarray(4), aad: metaTag(name) },
    ]);
    return secret!;
  }

  private fromCache(id: string): Uint8Array | undefined {
    const hit = this.cache.get(id);
    if (!hit) return undefined;
    if (Date.now() - hit.at > this.ttl) {
      this.evict(id);
      return undefined;
    }
    return hit.key;
  }

  private remember(id: string, key: Uint8Array): void {
    // A key shredded while it was being loaded must not come back into the cache.
    if (this.shredded.has(id)) return;
    this.evict(id); // a key loaded again replaces its older copy, which goes zeroed like any other
    if (this.cache.size >= this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.evict(oldest);
    }
    // A copy of its own, never handed out: a shred zeroes it (forget) while a read that holds its own copy goes on.
    this.cache.set(id, { key: Uint8Array.from(key), at: Date.now() });
  }

  /**
   * Drops a key from the cache, zeroed: whichever way a key leaves (shred, age, room for newer ones,
   * a reload), its bytes do not wait in the heap for the collector.
   */
  private evict(id: string): void {
    this.cache.get(id)?.key.fill(0);
    this.cache.delete(id);
  }
}

/** What one epoch rotation did. */
export interface EpochRotation {
  /** The epochs alive when it began. */
  from: number[];
  /** The epoch every key is now wrapped under. */
  to: number;
  keys: number;
  secrets: number;
  /** The epochs whose KEK it destroyed. */
  destroyed: number[];
}

const epochOfSecret = (stored: Uint8Array): number =>
  new DataView(stored.buffer, stored.byteOffset, 4).getUint32(0, true);
