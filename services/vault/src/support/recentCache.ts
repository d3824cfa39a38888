import { LRUCache } from 'lru-cache';

/** The entries of the `size` most recently used keys; `get` counts as a use. */
export interface RecentCache<V> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  set(key: string, value: V): void;
  delete(key: string): void;
  clear(): void;
}

const NOTHING: RecentCache<never> = {
  get: () => undefined,
  has: () => false,
  set: () => {},
  delete: () => {},
  clear: () => {},
};

/** A least-recently-used cache of `size` entries (lru-cache); with size 0 it keeps nothing (the cache is off). */
export function recentCache<V extends object>(size: number): RecentCache<V> {
  return size > 0 ? new LRUCache<string, V>({ max: size }) : NOTHING;
}
