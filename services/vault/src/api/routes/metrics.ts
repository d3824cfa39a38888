import { createHash, timingSafeEqual } from 'node:crypto';

import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';

import type { TokenVerifier } from '../../auth/tokens.js';
import { VaultError } from '../../domain/errors.js';
import type { VaultMetrics } from '../../observability/metrics.js';
import type { Vault } from '../../vault.js';
import { bearerToken } from '../bearer.js';
import { requestPrincipal } from '../requestPrincipal.js';
import { sendFailure } from './failures.js';

export interface MetricsRouteOptions {
  metrics: VaultMetrics;
  /** The scrape token (`VAULT_METRICS_TOKEN_FILE`); a bearer of it may scrape. */
  token?: string;
  /** Verifies a DPO's token, which may scrape too. Absent: only the scrape token (or, without one, anyone). */
  verifier?: TokenVerifier;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether the request may read the metrics: the scrape token, or a DPO's token where a verifier is given. */
async function allowed(request: FastifyRequest, { token, verifier }: MetricsRouteOptions): Promise<boolean> {
  if (token === undefined && verifier === undefined) return true;
  const presented = bearerToken(request.headers.authorization);
  if (presented === undefined) return false;
  // Compared as digests of equal length, in constant time.
  if (token !== undefined && timingSafeEqual(digest(presented), digest(token))) return true;
  return verifier !== undefined && (await requestPrincipal(request, verifier))?.role === 'dpo';
}

/**
 * `GET /metrics`, the Prometheus text format. The counts it shows (requests, erasures, the log's
 * pace) are the controller's business, not the public's: on the API's port it needs the scrape
 * token or a DPO's token; on a port of its own, the scrape token when one is set.
 */
export async function metricsRoutes(app: FastifyInstance, options: MetricsRouteOptions): Promise<void> {
  app.get('/metrics', async (request, reply) => {
    if (!(await allowed(request, options)))
      return sendFailure(
        reply.header('www-authenticate', 'Bearer'),
        401,
        'UNAUTHENTICATED',
        'A scrape token is needed',
      );
    const { contentType, body } = await options.metrics.scrape();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
}

/** A listener of its own for `/metrics` (`VAULT_METRICS_PORT`), so they are not exposed with the API. */
export async function startMetricsServer(
  options: MetricsRouteOptions & { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false });
  await app.register(metricsRoutes, options);
  app.setNotFoundHandler(async (_request, reply) => sendFailure(reply, 404, 'NOT_FOUND', 'No such route'));
  const address = await app.listen({ host: options.host, port: options.port });
  return { url: address.replace('[::1]', 'localhost'), close: () => app.close() };
}

/**
 * The metrics of a server: the access-log queue and every response counted, and `/metrics` served
 * on the API's port (scrape token or DPO) or, with `VAULT_METRICS_PORT`, on a listener of its own,
 * started now and closed with `app`. Nothing when the vault's metrics are off. A port that cannot
 * be listened on closes `app` and fails with CONFIG_INVALID.
 */
export async function addMetrics(
  app: FastifyInstance,
  vault: Pick<Vault, 'metrics' | 'config'>,
  options: { verifier: TokenVerifier; queued: () => number },
): Promise<{ url: string } | undefined> {
  const { metrics } = vault;
  if (!metrics.enabled) return undefined;
  metrics.setQueue('accessLogBuffer', options.queued);
  // The route's pattern (`/exports/:token`), never the URL: a token or a query string is no label.
  // A callback, not an async function: no promise per response.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpResponse(request.routeOptions.url ?? 'unmatched', reply.statusCode);
    done();
  });
  const settings = vault.config.metrics;
  const token = settings?.token ? { token: settings.token } : {};
  if (settings?.port === undefined) {
    await app.register(metricsRoutes, { metrics, verifier: options.verifier, ...token });
    return undefined;
  }
  const host = settings.host ?? vault.config.host ?? '127.0.0.1';
  let server: Awaited<ReturnType<typeof startMetricsServer>>;
  try {
    server = await startMetricsServer({ metrics, ...token, host, port: settings.port });
  } catch (e) {
    await app.close().catch(() => undefined);
    throw new VaultError('CONFIG_INVALID', `VAULT_METRICS_PORT: cannot listen on ${host}:${settings.port}`, {
      cause: e,
    });
  }
  app.addHook('onClose', () => server.close());
  return server;
}
