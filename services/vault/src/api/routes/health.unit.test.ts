import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

import type { TokenVerifier } from '../../auth/tokens.js';
import type { Vault } from '../../vault.js';
import type { AccessRecorder } from '../accessRecorder.js';
import { healthRoutes } from './health.js';

/** A vault whose stores and projector answer as `state` says. */
function stubVault(state: { logFailed?: boolean; head?: number; lagging?: boolean; keysDown?: boolean }) {
  return {
    stores: {
      log: {
        failure: state.logFailed ? new Error('writer stopped') : undefined,
        headPosition: async () => state.head ?? 7,
      },
      keys: {
        failure: undefined,
        getMeta: async () => (state.keysDown ? Promise.reject(new Error('down')) : undefined),
      },
      views: { checkpoint: async () => 3 },
    },
    accessLog: { failure: undefined },
    projector: {
      healthy: true,
      waitFor: async () => (state.lagging ? Promise.reject(new Error('timeout')) : undefined),
    },
  } as unknown as Vault;
}

const verifier: TokenVerifier = {
  production: false,
  verify: async (token) => {
    if (token === 'dpo-token') return { role: 'dpo', name: 'alice' };
    if (token === 'service-token') return { role: 'service', name: 'crm', purposes: ['contract'] };
    throw new Error('invalid');
  },
};

async function app(state: Parameters<typeof stubVault>[0], closing = false) {
  const a = Fastify();
  await a.register(healthRoutes, {
    vault: stubVault(state),
    access: { failing: false } as AccessRecorder,
    verifier,
    readyTimeoutMs: 10,
    closing: () => closing,
  });
  return a;
}

const get = async (a: Awaited<ReturnType<typeof app>>, url: string, token?: string) => {
  const res = await a.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return [res.statusCode, res.json()];
};

describe('/readyz', () => {
  it('says ready to anyone, and the log position only to a DPO', async () => {
    const a = await app({ head: 42 });
    expect(await get(a, '/readyz')).toEqual([200, { status: 'ready' }]);
    expect(await get(a, '/readyz', 'service-token')).toEqual([200, { status: 'ready' }]);
    expect(await get(a, '/readyz', 'forged')).toEqual([200, { status: 'ready' }]);
    expect(await get(a, '/readyz', 'dpo-token')).toEqual([200, { status: 'ready', position: 42 }]);
  });

  it('says not ready to anyone, and why (with the positions) only to a DPO', async () => {
    const lagging = await app({ head: 9, lagging: true });
    expect(await get(lagging, '/readyz', 'service-token')).toEqual([503, { status: 'not ready' }]);
    expect(await get(lagging, '/readyz', 'dpo-token')).toEqual([
      503,
      { status: 'projection lagging', head: 9, checkpoint: 3 },
    ]);
    expect(await get(await app({ keysDown: true }), '/readyz', 'dpo-token')).toEqual([
      503,
      { status: 'stores unavailable' },
    ]);
    expect(await get(await app({}, true), '/readyz', 'dpo-token')).toEqual([503, { status: 'shutting down' }]);
  });
});

describe('/healthz', () => {
  it('is up until a store has failed for good', async () => {
    expect(await get(await app({}), '/healthz')).toEqual([200, { status: 'ok' }]);
    expect((await get(await app({ logFailed: true }), '/healthz'))[0]).toBe(503);
  });
});
