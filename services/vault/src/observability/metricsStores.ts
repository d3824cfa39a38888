import type { AccessLog } from '../ports/AccessLog.js';
import type { EventLog } from '../ports/EventLog.js';
import type { KeyStore } from '../ports/KeyStore.js';
import type { ViewStore } from '../ports/ViewStore.js';
import type { StoreCallRecorder, StoreName, VaultMetrics } from './metrics.js';

export interface InstrumentedStores {
  log: EventLog;
  keys: KeyStore;
  views: ViewStore;
  access?: AccessLog;
}

/** Which adapter each store is, for the `adapter` label (`sqlite`, `postgres`, `kurrentdb`, `memory`). */
export type StoreAdapters = Record<StoreName, string>;

const codeOf = (e: unknown): string => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'INTERNAL';
};

/** What a few calls tell besides their time: keys destroyed by reason, keys re-wrapped, index entries re-computed. */
type Tally = (metrics: VaultMetrics, args: unknown[], result: unknown) => void;
const TALLIES: Partial<Record<StoreName, Record<string, Tally>>> = {
  keyStore: {
    shred: (m, args, result) => m.keysShredded(String(args[1]), (result as unknown[]).length),
    rewrap: (m, _args, result) => m.keysRewrapped(result as number),
  },
  viewStore: { replaceIndexHashes: (m, _args, result) => m.indexReindexed(result as number) },
};

/**
 * The store, each of whose asynchronous methods is timed and its failures counted by error code
 * (`vault_store_call_duration_seconds`, `vault_store_call_failures_total`). A proxy, not a copy:
 * getters (`failure`) and classes pass through. A method's recorder is bound once, on first use.
 */
export function instrumentStore<T extends object>(
  store: T,
  name: StoreName,
  adapter: string,
  metrics: VaultMetrics,
): T {
  const wrapped = new Map<PropertyKey, unknown>();
  const tallies = TALLIES[name] ?? {};
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'close' || prop === 'subscribe')
        return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        let record: StoreCallRecorder | undefined;
        const tally = tallies[prop];
        const method = value as (...args: unknown[]) => unknown;
        fn = (...args: unknown[]) => {
          const started = performance.now();
          const result = method.apply(target, args);
          if (!(result instanceof Promise)) return result;
          record ??= metrics.storeCall(name, adapter, prop);
          const done = record;
          return result.then(
            (r: unknown) => {
              done((performance.now() - started) / 1000);
              tally?.(metrics, args, r);
              return r;
            },
            (e: unknown) => {
              done((performance.now() - started) / 1000, codeOf(e));
              throw e;
            },
          );
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}

/** Every store of a vault instrumented (or as they are, when metrics are off). */
export function instrumentStores<S extends InstrumentedStores>(
  stores: S,
  adapters: StoreAdapters,
  metrics: VaultMetrics,
): S {
  if (!metrics.enabled) return stores;
  return {
    ...stores,
    log: instrumentStore(stores.log, 'eventLog', adapters.eventLog, metrics),
    keys: instrumentStore(stores.keys, 'keyStore', adapters.keyStore, metrics),
    views: instrumentStore(stores.views, 'viewStore', adapters.viewStore, metrics),
    ...(stores.access ? { access: instrumentStore(stores.access, 'accessLog', adapters.accessLog, metrics) } : {}),
  };
}
