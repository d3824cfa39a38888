import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

import { addRequestDeadline } from './requestDeadline.js';

describe('the request deadline', () => {
  it('answers 503 SERVICE_UNAVAILABLE when a handler outlives it, and leaves quick ones alone', async () => {
    const app = Fastify();
    addRequestDeadline(app, 50);
    app.get('/slow', () => new Promise(() => {}));
    app.get('/quick', async () => ({ ok: true }));
    const slow = await app.inject({ method: 'GET', url: '/slow' });
    expect([slow.statusCode, slow.json()]).toEqual([
      503,
      { errors: [{ message: expect.any(String), extensions: { code: 'SERVICE_UNAVAILABLE' } }] },
    ]);
    const quick = await app.inject({ method: 'GET', url: '/quick' });
    expect([quick.statusCode, quick.json()]).toEqual([200, { ok: true }]);
  });

  it('adds nothing when turned off', async () => {
    const app = Fastify();
    addRequestDeadline(app, 0);
    app.get('/late', () => new Promise((r) => setTimeout(() => r({ late: true }), 100)));
    expect((await app.inject({ method: 'GET', url: '/late' })).json()).toEqual({ late: true });
  });
});
