import { describe, expect, it } from 'vitest';

import { VaultError } from '../domain/errors.js';
import { createPrometheusMetrics } from './metricsPrometheus.js';
import { instrumentStore } from './metricsStores.js';

const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('Prometheus metrics', () => {
  it('keeps at most 200 operation names as labels and counts the rest as other', async () => {
    const m = createPrometheusMetrics({ processMetrics: false });
    for (let i = 0; i < 250; i++) m.operation({ name: `Op${i}`, type: 'query', code: 'OK', seconds: 0.001 });
    m.operation({ name: 'not a name', type: 'query', code: 'lower case', seconds: 0.001 });
    const text = (await m.scrape()).body;
    const names = new Set([...text.matchAll(/operation="([^"]+)"/g)].map((x) => x[1]));
    expect(names.size).toBe(201);
    expect(
      sample(text, 'vault_graphql_operation_duration_seconds_count{operation="other",type="query",code="OK"}'),
    ).toBe(50);
    expect(text).toContain('operation="other",type="query",code="OTHER"');
  });

  it('shows the notification counts by recipient and status, and the dead letters alone', async () => {
    const m = createPrometheusMetrics({ processMetrics: false });
    const counts = new Map([
      ['crm', { pending: 0, delivered: 1, acknowledged: 0, deadLettered: 2 }],
      ['billing', { pending: 1, delivered: 0, acknowledged: 0, deadLettered: 0 }],
    ]);
    m.setNotificationSource(() => counts);
    let text = (await m.scrape()).body;
    expect(sample(text, 'vault_notifications{recipient="crm",status="deadLettered"}')).toBe(2);
    expect(sample(text, 'vault_notifications{recipient="crm",status="delivered"}')).toBe(1);
    expect(sample(text, 'vault_notifications{recipient="billing",status="deadLettered"}')).toBe(0);
    expect(sample(text, 'vault_notifications_dead_lettered{recipient="crm"}')).toBe(2);
    expect(sample(text, 'vault_notifications_dead_lettered{recipient="billing"}')).toBe(0);
    // Read again at the next scrape: the source's counts as they are then.
    counts.set('crm', { pending: 0, delivered: 1, acknowledged: 2, deadLettered: 0 });
    counts.delete('billing');
    text = (await m.scrape()).body;
    expect(sample(text, 'vault_notifications{recipient="crm",status="acknowledged"}')).toBe(2);
    expect(sample(text, 'vault_notifications_dead_lettered{recipient="crm"}')).toBe(0);
    expect(sample(text, 'vault_notifications_dead_lettered{recipient="billing"}')).toBeUndefined();
  });

  it('shows whether delivery is paused for the lease store, read at each scrape (0 without propagation)', async () => {
    const m = createPrometheusMetrics({ processMetrics: false });
    expect(sample((await m.scrape()).body, 'vault_notifications_delivery_paused')).toBe(0);
    let paused = true;
    m.setNotificationSource(
      () => new Map(),
      () => paused,
    );
    expect(sample((await m.scrape()).body, 'vault_notifications_delivery_paused')).toBe(1);
    paused = false;
    expect(sample((await m.scrape()).body, 'vault_notifications_delivery_paused')).toBe(0);
  });

  it('reads the state once a scrape, keeps the gauges when the read fails, and counts the failure', async () => {
    const m = createPrometheusMetrics({ processMetrics: false });
    m.setStateSource(() => Promise.reject(new Error('store down')));
    const text = (await m.scrape()).body;
    expect(sample(text, 'vault_state_read_failures_total')).toBe(1);
  });

  it('times a store through a proxy that leaves getters alone and counts failures by code', async () => {
    const m = createPrometheusMetrics({ processMetrics: false });
    const store = {
      calls: 0,
      get failure() {
        return undefined;
      },
      async get(n: number) {
        this.calls += 1;
        if (n < 0) throw new VaultError('STORE_UNAVAILABLE', 'down');
        return n * 2;
      },
      async shred(ids: string[]) {
        return ids.slice(1);
      },
    };
    const wrapped = instrumentStore(store, 'keyStore', 'sqlite', m);
    expect(wrapped.failure).toBeUndefined();
    expect(await wrapped.get(2)).toBe(4);
    await expect(wrapped.get(-1)).rejects.toThrow('down');
    await wrapped.shred(['a', 'b', 'c']);
    expect(store.calls).toBe(2);
    const text = (await m.scrape()).body;
    const labels = 'store="keyStore",adapter="sqlite",operation="get"';
    expect(sample(text, `vault_store_call_duration_seconds_count{${labels}}`)).toBe(2);
    expect(sample(text, `vault_store_call_failures_total{${labels},code="STORE_UNAVAILABLE"}`)).toBe(1);
    expect(sample(text, 'vault_keys_shredded_total{reason="undefined"}')).toBe(2);
  });
});
