import { isUtf8 } from 'node:buffer';

import { makeExecutableSchema } from '@graphql-tools/schema';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';

import { createTokenVerifier, type TokenVerifier } from '../auth/tokens.js';
import { type ApiSettings, schemaBaseUrl } from '../config/apiSettings.js';
import { VaultError } from '../domain/errors.js';
import { createLogger, lazyRequestLogger } from '../support/logger.js';
import type { Vault } from '../vault.js';
import { AccessRecorder, type AccessRecorderOptions } from './accessRecorder.js';
import { type ApiLimits, DEFAULT_LIMITS } from './limits.js';
import { addRateLimits } from './rateLimits.js';
import { resolvers } from './resolvers.js';
import { consoleOptions, consoleRoutes } from './routes/console.js';
import { downloadRoutes } from './routes/downloads.js';
import { httpFailure, sendFailure } from './routes/failures.js';
import { graphqlRoutes } from './routes/graphql.js';
import { healthRoutes } from './routes/health.js';
import { addMetrics } from './routes/metrics.js';
import { notificationRoutes } from './routes/notifications.js';
import { schemaRoutes } from './routes/schemas.js';
import { loadTypeDefs } from './schema.js';
import { TrustedDocuments } from './trustedDocuments.js';
import { WriteBudget } from './writeBudget.js';

export { JWKS_PATH } from './routes/downloads.js';

export interface ServerOptions {
  /** TCP port; 0 picks a free one (tests). Default: the vault's configured `PORT` (4000). */
  port?: number;
  /** Interface to bind. Default: the configured `HOST`, else `127.0.0.1`. */
  host?: string;
  /** Verifies bearer tokens. Default: built from the vault's configuration (JWKS, public key or dev secret). */
  verifier?: TokenVerifier;
  /** Default: a redacting pino logger at the configured level. */
  logger?: Logger;
  /** Largest request body in bytes. Default: the configured `VAULT_BODY_LIMIT_BYTES` (8 MiB). */
  bodyLimitBytes?: number;
  /**
   * Requests per principal and minute; 0 turns the limit off. Default: the configured `VAULT_RATE_LIMIT_PER_MINUTE`
   * (6000).
   */
  rateLimitPerMinute?: number;
  /**
   * Requests a minute per client address without a valid token; 0 turns it off. Default: the configured
   * `VAULT_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE` (600).
   */
  unauthenticatedPerMinute?: number;
  /**
   * Commands and items each principal may write a minute (0 turns one off). Default: the configured
   * `VAULT_COMMANDS_PER_MINUTE` (1,200) and `VAULT_ITEMS_PER_MINUTE` (30,000).
   */
  writeBudget?: { commandsPerMinute: number; itemsPerMinute: number };
  /**
   * Manifest of the operations services may send, by id only. Default: the configured `VAULT_TRUSTED_DOCUMENTS`, else
   * ad-hoc queries.
   */
  trustedDocumentsFile?: string;
  /**
   * Whom to believe about the client's address (`X-Forwarded-For`). Default: the configured `VAULT_TRUST_PROXY`, else
   * nobody.
   */
  trustProxy?: ApiSettings['trustProxy'];
  /**
   * Longest a GraphQL request may take before it is answered 503; 0 turns it off. Default: the configured
   * `VAULT_REQUEST_TIMEOUT_MS` (30 s).
   */
  requestTimeoutMs?: number;
  /** Request limits. Default: the configured ones over `DEFAULT_LIMITS`. */
  limits?: Partial<ApiLimits>;
  /** How long `/readyz` waits for the projection to reach the log's head before it answers 503, in ms. Default 2000. */
  readyTimeoutMs?: number;
  /** How reads are batched into the access log. Default: every 200 ms or 500 entries. */
  accessLog?: AccessRecorderOptions;
  /** Base URL of download links. Default: the configured `VAULT_PUBLIC_URL`, else the address the server listens on. */
  publicUrl?: string;
  /** Close the vault too when the server closes (the `serve` command). Default false. */
  closeVault?: boolean;
}

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:4000`; GraphQL is at `${url}/graphql`. */
  url: string;
  app: FastifyInstance;
  /**
   * Stops accepting requests, lets in-flight ones finish, writes pending access-log entries (and closes the vault if
   * asked).
   */
  close(): Promise<void>;
  /** Writes the access-log entries still buffered (they are otherwise written on a short timer). */
  flushAccessLog(): Promise<void>;
  /** Base URL of the metrics listener when `VAULT_METRICS_PORT` is set (`${metricsUrl}/metrics`). */
  metricsUrl?: string | undefined;
}

/** A listen that failed for a reason in the configuration (HOST, PORT) as CONFIG_INVALID naming the variable. */
function listenFailure(e: unknown, host: string, port: number | undefined): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE')
    return new VaultError('CONFIG_INVALID', `PORT ${port} is already in use on ${host}`, { cause: e });
  if (code === 'EACCES')
    return new VaultError('CONFIG_INVALID', `PORT ${port} needs privileges this process does not have`, { cause: e });
  if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') {
    return new VaultError(
      'CONFIG_INVALID',
      `HOST ${host} is not an address of this machine to listen on (e.g. 127.0.0.1, or 0.0.0.0 in a container)`,
      { cause: e },
    );
  }
  return e;
}

/**
 * Starts the HTTP API: `/graphql`, `/healthz` (process up), `/readyz` (stores open, projection
 * caught up), the subjects' one-time downloads at `/exports/:token`, the rights documents' schemas and
 * JSON-LD contexts at `/schemas/<name>`, and the signing key at
 * `/.well-known/jwks.json`. Each lives in its own plugin under `routes/`; this is where they meet
 * the hooks every route shares (body parsing, errors, rate limits, request lines).
 */
// The wiring of every route plugin, a line or two each, reads top to bottom.
// eslint-disable-next-line max-lines-per-function -- see above
export async function startServer(vault: Vault, options: ServerOptions = {}): Promise<RunningServer> {
  const config = vault.config;
  const api = config.api;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...api?.limits, ...options.limits };
  const verifier = options.verifier ?? createTokenVerifier(config);
  const access = new AccessRecorder(vault.accessLog, logger, options.accessLog);
  // Reads still buffered here count when the vault asks who read a subject (a certificate's recipients, propagation).
  vault.useAccessFlush(() => access.flush());
  const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never });
  const trustedDocumentsFile = options.trustedDocumentsFile ?? api?.trustedDocumentsFile;
  const trustedDocuments = trustedDocumentsFile
    ? TrustedDocuments.load(trustedDocumentsFile, schema, limits)
    : undefined;
  const budget = options.writeBudget ?? {
    commandsPerMinute: api?.commandsPerMinute ?? 1_200,
    itemsPerMinute: api?.itemsPerMinute ?? 30_000,
  };
  let closing = false;
  let publicUrl = '';

  const app = createApp(
    logger,
    options.bodyLimitBytes ?? config.bodyLimitBytes ?? 8 * 1024 * 1024,
    options.trustProxy ?? api?.trustProxy,
  );
  // A response finished while closing ends its keep-alive connection, so close() does not wait out the keep-alive
  // timeout.
  app.addHook('onSend', async (_request, reply, body) => {
    if (closing) void reply.header('connection', 'close');
    return body;
  });
  const metricsServer = await addMetrics(app, vault, { verifier, queued: () => access.pending });
  await addRateLimits(app, verifier, {
    perMinute: options.rateLimitPerMinute ?? config.rateLimitPerMinute ?? 6000,
    unauthenticatedPerMinute: options.unauthenticatedPerMinute ?? api?.unauthenticatedPerMinute ?? 600,
  });
  await app.register(graphqlRoutes, {
    vault,
    schema,
    logger,
    verifier,
    access,
    limits,
    ...(budget.commandsPerMinute > 0 || budget.itemsPerMinute > 0 ? { budget: new WriteBudget(budget) } : {}),
    ...(trustedDocuments ? { trustedDocuments } : {}),
    requestTimeoutMs: options.requestTimeoutMs ?? config.requestTimeoutMs ?? 30_000,
    publicUrl: () => publicUrl,
  });
  await app.register(downloadRoutes, { vault, access, publicUrl: () => publicUrl });
  await app.register(healthRoutes, {
    vault,
    access,
    verifier,
    readyTimeoutMs: options.readyTimeoutMs ?? 2000,
    closing: () => closing,
  });
  await app.register(schemaRoutes, { baseUrl: () => schemaBaseUrl({ api, publicUrl })! });
  await app.register(consoleRoutes, consoleOptions(config));
  await app.register(notificationRoutes, { vault });

  const host = options.host ?? config.host ?? '127.0.0.1';
  const port = options.port ?? config.port;
  let address: string;
  try {
    address = await app.listen({ port, host });
  } catch (e) {
    await app.close().catch(() => undefined);
    throw listenFailure(e, host, port);
  }
  const url = address.replace('[::1]', 'localhost');
  publicUrl = (options.publicUrl ?? config.publicUrl ?? url).replace(/\/+$/, '');

  let closed: Promise<void> | undefined;
  return {
    url,
    app,
    flushAccessLog: () => access.flush(),
    metricsUrl: metricsServer?.url,
    close: () =>
      (closed ??= (async () => {
        closing = true;
        await app.close();
        await access.close();
        if (options.closeVault) await vault.close();
      })()),
  };
}

/** Fastify with the vault's logging, JSON parsing and error format; the routes come as plugins. */
function createApp(logger: Logger, bodyLimit: number, trustProxy: ApiSettings['trustProxy']): FastifyInstance {
  const app = Fastify({
    // Fastify's own instance type differs from pino's Logger only in what its generics infer from it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc needs it
    loggerInstance: logger as FastifyBaseLogger,
    // The request lines below replace Fastify's own: one line per request, at debug unless it failed.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent, bindings, opts) =>
      lazyRequestLogger(parent as Logger, bindings, opts) as FastifyBaseLogger,
    bodyLimit,
    return503OnClosing: true,
    // A number of hops as proxy-addr takes it (Fastify's types only name the other forms).
    ...(trustProxy !== undefined
      ? { trustProxy: typeof trustProxy === 'number' ? (_addr: string, hop: number) => hop < trustProxy : trustProxy }
      : {}),
  });

  // JSON bodies must be UTF-8: Fastify's own parser decodes invalid bytes to U+FFFD, so a value
  // would be stored as something the client never sent. Parsing itself stays Fastify's (with its
  // prototype-poisoning checks).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes))
      return done(Object.assign(new Error('The request body is not UTF-8'), { statusCode: 400 }), undefined);
    void parseJson(request, bytes.toString('utf8'), done);
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    const { code, message } = httpFailure(status);
    if (status >= 500) request.log.error({ err }, 'request failed');
    void sendFailure(reply, status, code, message);
  });
  app.addHook('onResponse', async (request, reply) => {
    const fields = { req: request, res: reply, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) request.log.warn(fields, 'request failed');
    else request.log.debug(fields, 'request completed');
  });
  app.setNotFoundHandler(async (_request, reply) => sendFailure(reply, 404, 'NOT_FOUND', 'No such route'));
  return app;
}
