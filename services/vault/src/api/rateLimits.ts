import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';

import { actorOf, type TokenVerifier } from '../auth/tokens.js';
import { requestPrincipal } from './requestPrincipal.js';

export interface RequestRateLimits {
  /** Requests a minute per principal; 0 turns the limit off (`VAULT_RATE_LIMIT_PER_MINUTE`). Default 6,000. */
  perMinute: number;
  /**
   * Requests a minute per client address without a token that verifies: no token (download links),
   * a malformed, expired or forged one; 0 turns it off (`VAULT_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE`). Default 600.
   */
  unauthenticatedPerMinute: number;
}

/** Paths probes call, never limited. */
const PROBES = new Set(['/healthz', '/readyz']);

/**
 * Counts requests per principal, and requests that carry no valid token per client address, in
 * separate buckets. The token's signature is checked before its bucket is chosen, so neither junk
 * tokens from an address nor a flood without tokens can spend a valid principal's budget, and a
 * valid token is never held back by its address's bucket. The client address is the socket's,
 * or the load balancer's `X-Forwarded-For` when `VAULT_TRUST_PROXY` says to trust it.
 */
export async function addRateLimits(
  app: FastifyInstance,
  verifier: TokenVerifier,
  limits: RequestRateLimits,
): Promise<void> {
  if (limits.perMinute <= 0 && limits.unauthenticatedPerMinute <= 0) return;
  const unlimited = Number.MAX_SAFE_INTEGER;
  await app.register(rateLimit, {
    timeWindow: 60_000,
    keyGenerator: async (req) => {
      const principal = await requestPrincipal(req, verifier);
      return principal ? `p:${actorOf(principal)}` : `a:${req.ip}`;
    },
    max: (_req, key) =>
      key.startsWith('a:') ? limits.unauthenticatedPerMinute || unlimited : limits.perMinute || unlimited,
    allowList: (req) => PROBES.has(req.url),
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(new Error(`Rate limit: ${ctx.max} requests a minute`), { statusCode: 429 }),
  });
}
