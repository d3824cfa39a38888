import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import fastifyApollo from '@as-integrations/fastify';
import { makeExecutableSchema } from '@graphql-tools/schema';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { VaultError, isVaultError } from '../domain/errors.js';
import { PROJECTION } from '../projections/Projector.js';
import { DOWNLOAD_ACTOR, type Download } from '../rights/SubjectRights.js';
import { SIGNING_SECRET, type Vault } from '../vault.js';
import { AccessRecorder, type AccessRecorderOptions } from './accessRecorder.js';
import { createTokenVerifier, type TokenVerifier } from './auth.js';
import { createContextFunction, type ApiContext } from './context.js';
import { createFormatError } from './formatError.js';
import { jitGateway } from './jitExecutor.js';
import { DEFAULT_LIMITS, operationLimitsPlugin, type ApiLimits } from './limits.js';
import { createLogger, lazyRequestLogger } from './logger.js';
import { resolvers } from './resolvers.js';
import { loadTypeDefs } from './schema.js';

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
  /** Requests per token and minute; 0 turns the limit off. Default: the configured `VAULT_RATE_LIMIT_PER_MINUTE` (6000). */
  rateLimitPerMinute?: number;
  /** Longest a GraphQL request may take before it is answered 503; 0 turns it off. Default: the configured `VAULT_REQUEST_TIMEOUT_MS` (30 s). */
  requestTimeoutMs?: number;
  /** Depth, cost and batch limits. Default `DEFAULT_LIMITS` (depth 10, cost 20,000, 500 subjects, 100 items). */
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
  /** Stops accepting requests, lets in-flight ones finish, writes pending access-log entries (and closes the vault if asked). */
  close(): Promise<void>;
  /** Writes the access-log entries still buffered (they are otherwise written on a short timer). */
  flushAccessLog(): Promise<void>;
}

const bearer = (authorization: string | undefined): string | undefined => /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];

/** Client-facing codes and messages for failures before GraphQL runs; generic, since a parser error may quote the body. */
function httpFailure(status: number): { code: string; message: string } {
  if (status === 413) return { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than the limit' };
  if (status === 415) return { code: 'BAD_REQUEST', message: 'Unsupported content type; send application/json' };
  if (status === 429) return { code: 'RATE_LIMITED', message: 'Too many requests for this token; retry later' };
  if (status === 503) return { code: 'SERVICE_UNAVAILABLE', message: 'The request did not finish in time; retry later' };
  if (status >= 400 && status < 500) return { code: 'BAD_REQUEST', message: 'The request is malformed' };
  return { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
}

/** A listen that failed for a reason in the configuration (HOST, PORT) as CONFIG_INVALID naming the variable. */
function listenFailure(e: unknown, host: string, port: number | undefined): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') return new VaultError('CONFIG_INVALID', `PORT ${port} is already in use on ${host}`, { cause: e });
  if (code === 'EACCES') return new VaultError('CONFIG_INVALID', `PORT ${port} needs privileges this process does not have`, { cause: e });
  if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') {
    return new VaultError('CONFIG_INVALID', `HOST ${host} is not an address of this machine to listen on (e.g. 127.0.0.1, or 0.0.0.0 in a container)`, { cause: e });
  }
  return e;
}

/** Path of the public signing key (RFC 7517 JWK Set), as standard JOSE tools expect it. */
export const JWKS_PATH = '/.well-known/jwks.json';

const FILE_NAMES: Record<Download['kind'], string> = { ACCESS: 'access-report.json', PORTABILITY: 'portability-export.json' };

/**
 * Starts the HTTP API: `/graphql`, `/healthz` (process up), `/readyz` (stores open, projection
 * caught up), the subjects' one-time downloads at `/exports/:token`, and the signing key at
 * `/.well-known/jwks.json`.
 */
export async function startServer(vault: Vault, options: ServerOptions = {}): Promise<RunningServer> {
  const config = vault.config;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const verifier = options.verifier ?? createTokenVerifier(config);
  const access = new AccessRecorder(vault.accessLog, logger, options.accessLog);
  const readyTimeoutMs = options.readyTimeoutMs ?? 2000;
  const rateLimitPerMinute = options.rateLimitPerMinute ?? config.rateLimitPerMinute ?? 6000;
  const requestTimeoutMs = options.requestTimeoutMs ?? config.requestTimeoutMs ?? 30_000;
  let closing = false;
  let publicUrl = '';

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // The request lines below replace Fastify's own: one line per request, at debug unless it failed.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent, bindings, opts) => lazyRequestLogger(parent as Logger, bindings, opts) as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes ?? config.bodyLimitBytes ?? 8 * 1024 * 1024,
    return503OnClosing: true,
  });

  // JSON bodies must be UTF-8: Fastify's own parser decodes invalid bytes to U+FFFD, so a value
  // would be stored as something the client never sent. Parsing itself stays Fastify's (with its
  // prototype-poisoning checks).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) return done(Object.assign(new Error('The request body is not UTF-8'), { statusCode: 400 }), undefined);
    parseJson(request, bytes.toString('utf8'), done);
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    const { code, message } = httpFailure(status);
    if (status >= 500) request.log.error({ err }, 'request failed');
    void reply.code(status).send({ errors: [{ message, extensions: { code } }] });
  });
  // A response finished while closing ends its keep-alive connection, so close() does not wait out the keep-alive timeout.
  app.addHook('onSend', async (_request, reply, body) => {
    if (closing) void reply.header('connection', 'close');
    return body;
  });
  app.addHook('onResponse', async (request, reply) => {
    const fields = { req: request, res: reply, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) request.log.warn(fields, 'request failed');
    else request.log.debug(fields, 'request completed');
  });

  if (rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: rateLimitPerMinute,
      timeWindow: 60_000,
      // A bucket per principal once its token has verified; until then per client address, so
      // made-up tokens cannot each open a fresh bucket.
      keyGenerator: (req) => {
        const token = bearer(req.headers.authorization);
        const principal = token === undefined ? undefined : verifier.peek?.(token);
        if (!principal) return `ip:${req.ip}`;
        return `p:${principal.role}:${principal.role === 'subject' ? principal.subjectId : principal.name}`;
      },
      allowList: (req) => req.url === '/healthz' || req.url === '/readyz',
      errorResponseBuilder: (_req, ctx) => Object.assign(new Error(`Rate limit: ${ctx.max} requests a minute`), { statusCode: 429 }),
    });
  }

  const apollo = new ApolloServer<ApiContext>({
    gateway: jitGateway(makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never })),
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    logger,
    plugins: [
      operationLimitsPlugin(limits),
      ApolloServerPluginLandingPageDisabled(),
      // Operations (and their variables) never leave the process for a reporting service.
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      // No HTTP caching of personal data, and no per-field hook on every resolver call.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();

  // A deadline on GraphQL requests only, so no request waits forever on something that never
  // answers (and shutdown, which lets in-flight requests finish, cannot hang on one); downloads
  // stream for as long as the client reads. Not Fastify's `handlerTimeout`: on Node 20 it clears
  // its timer once a request body has been read (the request's 'close'), so a POST is never bounded.
  if (requestTimeoutMs > 0) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.url !== '/graphql') return;
      const timer = setTimeout(() => {
        if (reply.sent || reply.raw.headersSent) return;
        request.log.warn({ ms: requestTimeoutMs }, 'request timed out');
        const { code, message } = httpFailure(503);
        void reply.code(503).send({ errors: [{ message, extensions: { code } }] });
      }, requestTimeoutMs);
      reply.raw.once('close', () => clearTimeout(timer));
    });
  }
  const context = createContextFunction({ vault, verifier, access, limits, publicUrl: () => publicUrl });
  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    // POST only: a GET puts the query, identifiers included, in URLs that proxies and load balancers log.
    method: ['POST'],
    context: (request) => context(request.headers.authorization, request.id),
  });
  app.addHook('onClose', async () => {
    await apollo.stop();
  });
  // Any other method on /graphql: 405 in the API's error format. Fastify's own 404 would quote the URL, query string included.
  app.route({
    method: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/graphql',
    handler: async (_request, reply) =>
      reply.code(405).header('allow', 'POST').send({ errors: [{ message: 'Send GraphQL requests with POST', extensions: { code: 'METHOD_NOT_ALLOWED' } }] }),
  });
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ errors: [{ message: 'No such route', extensions: { code: 'NOT_FOUND' } }] }));

  // No token: the link is the credential. No HEAD route either: a HEAD would use up the link.
  app.get<{ Params: { token: string } }>('/exports/:token', { exposeHeadRoute: false }, async (request, reply) => {
    void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('x-content-type-options', 'nosniff');
    let download: Download;
    try {
      // The link is a bearer credential: whoever holds it reads the report, so the read is logged
      // like any other disclosure, before the link is spent (a full access log leaves it usable).
      download = await vault.rights.redeem(request.params.token, (d) => {
        if (d.categories.length > 0) access.record({ actor: DOWNLOAD_ACTOR, purpose: 'dataSubjectRights', subjectId: d.subjectId, categories: d.categories, at: vault.now() });
      });
    } catch (e) {
      // Fixed messages: neither answer says whether the subject (or the link's subject) exists.
      if (isVaultError(e, 'NOT_FOUND')) return reply.code(404).send({ code: 'NOT_FOUND', message: 'Unknown download link' });
      if (isVaultError(e, 'LINK_GONE')) return reply.code(410).send({ code: 'LINK_GONE', message: `${e.message}; ask the controller for a new link` });
      if (isVaultError(e, 'STORE_UNAVAILABLE')) return reply.code(503).send({ code: 'SERVICE_UNAVAILABLE', message: 'The download cannot be served now; the link is still valid, try again later' });
      throw e;
    }
    // A body that fails (a category shredded while it streams fails it before its last chunk) makes
    // Fastify destroy the socket: the client gets fewer bytes than the content-length, never the
    // whole signed report. The link stays spent, as for any transfer that breaks once begun; a new
    // one from the controller serves what is left, with the shredded categories shown erased.
    // Readable.from asks for one chunk at a time, so the report is checked close to the socket.
    const body = Readable.from(download.body);
    // With request logging off, Fastify logs nothing of a body that fails after the headers. The code only: no detail.
    body.on('error', (e) => request.log.warn({ code: isVaultError(e) ? e.code : 'INTERNAL' }, 'download aborted'));
    return reply
      .code(200)
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${FILE_NAMES[download.kind]}"`)
      .header('content-length', download.signature.bytes)
      .header('vault-signature', download.jws)
      .header('vault-signing-key', `${publicUrl}${JWKS_PATH}`)
      .send(body);
  });
  app.get(JWKS_PATH, async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send({ keys: [vault.signer.publicJwk] }));

  // Up, unless a store failed for good (a stopped writer thread): only a restart brings it back, so a liveness probe should see it.
  app.get('/healthz', async (_request, reply) =>
    vault.stores.log.failure || vault.stores.keys.failure || vault.accessLog.failure ? reply.code(503).send({ status: 'stores failed: restart the process' }) : { status: 'ok' },
  );
  app.get('/readyz', async (_request, reply) => {
    if (closing) return reply.code(503).send({ status: 'shutting down' });
    if (!vault.projector.healthy) return reply.code(503).send({ status: 'projection stopped on an error' });
    // A writer thread that stopped (the embedded stores) does not come back: writes fail until a restart.
    if (vault.stores.log.failure || vault.stores.keys.failure || vault.accessLog.failure) return reply.code(503).send({ status: 'stores unavailable' });
    // Reads are still served, but their access-log entries wait in memory: send traffic elsewhere.
    if (access.failing) return reply.code(503).send({ status: 'access log failing' });
    let head: number;
    try {
      head = await vault.stores.log.headPosition();
      await vault.stores.keys.getMeta(SIGNING_SECRET);
    } catch {
      return reply.code(503).send({ status: 'stores unavailable' });
    }
    try {
      await vault.projector.waitFor(head, readyTimeoutMs);
    } catch {
      const checkpoint = await vault.stores.views.checkpoint(PROJECTION).catch(() => -1);
      return reply.code(503).send({ status: 'projection lagging', head, checkpoint });
    }
    return { status: 'ready', position: head };
  });

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
    close: () =>
      (closed ??= (async () => {
        closing = true;
        await app.close();
        await access.close();
        if (options.closeVault) await vault.close();
      })()),
  };
}
