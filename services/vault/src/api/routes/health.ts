import type { FastifyInstance } from 'fastify';

import type { TokenVerifier } from '../../auth/tokens.js';
import { PROJECTION } from '../../projections/Projector.js';
import { SIGNING_SECRET, type Vault } from '../../vault.js';
import type { AccessRecorder } from '../accessRecorder.js';
import { requestPrincipal } from '../requestPrincipal.js';

export interface HealthRouteOptions {
  vault: Vault;
  access: AccessRecorder;
  verifier: TokenVerifier;
  /** How long `/readyz` waits for the projection to reach the log's head, in ms. */
  readyTimeoutMs: number;
  closing: () => boolean;
}

type Readiness =
  { ready: true; position: number } | { ready: false; status: string; head?: number; checkpoint?: number };

/**
 * `/healthz` (the process is up) and `/readyz` (stores open, projection caught up). Anyone may ask
 * whether the vault is ready; why not, and the log's positions, are told only to a DPO's token:
 * they say how much is written and when, which is nobody else's business.
 */
export async function healthRoutes(
  app: FastifyInstance,
  { vault, access, verifier, readyTimeoutMs, closing }: HealthRouteOptions,
): Promise<void> {
  const storesFailed = () => Boolean(vault.stores.log.failure || vault.stores.keys.failure || vault.accessLog.failure);

  // Up, unless a store failed for good (a stopped writer thread): only a restart brings it back, so a liveness probe
  // should see it.
  app.get('/healthz', async (_request, reply) =>
    storesFailed() ? reply.code(503).send({ status: 'stores failed: restart the process' }) : { status: 'ok' },
  );

  const readiness = async (): Promise<Readiness> => {
    if (closing()) return { ready: false, status: 'shutting down' };
    if (!vault.projector.healthy) return { ready: false, status: 'projection stopped on an error' };
    // A writer thread that stopped (the embedded stores) does not come back: writes fail until a restart.
    if (storesFailed()) return { ready: false, status: 'stores unavailable' };
    // Reads are still served, but their access-log entries wait in memory: send traffic elsewhere.
    if (access.failing) return { ready: false, status: 'access log failing' };
    let head: number;
    try {
      head = await vault.stores.log.headPosition();
      await vault.stores.keys.getMeta(SIGNING_SECRET);
    } catch {
      return { ready: false, status: 'stores unavailable' };
    }
    try {
      await vault.projector.waitFor(head, readyTimeoutMs);
    } catch {
      const checkpoint = await vault.stores.views.checkpoint(PROJECTION).catch(() => -1);
      return { ready: false, status: 'projection lagging', head, checkpoint };
    }
    return { ready: true, position: head };
  };

  app.get('/readyz', async (request, reply) => {
    const r = await readiness();
    const operator = (await requestPrincipal(request, verifier))?.role === 'dpo';
    if (r.ready) return operator ? { status: 'ready', position: r.position } : { status: 'ready' };
    const { ready: _, ...details } = r;
    return reply.code(503).send(operator ? details : { status: 'not ready' });
  });
}
