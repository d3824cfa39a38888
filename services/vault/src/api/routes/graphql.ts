import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import fastifyApollo from '@as-integrations/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { Parser } from 'graphql/language/parser.js';
import type { Logger } from 'pino';

import type { TokenVerifier } from '../../auth/tokens.js';
import { metricsPlugin } from '../../observability/metricsApollo.js';
import { traceRequests } from '../../observability/tracingRequests.js';
import type { Vault } from '../../vault.js';
import type { AccessRecorder } from '../accessRecorder.js';
import { type ApiContext, createContextFunction } from '../context.js';
import { createFormatError } from '../formatError.js';
import { jitGateway } from '../jitExecutor.js';
import { type ApiLimits, checkDocument, checkQueryText, type LimitRefusal, operationLimitsPlugin } from '../limits.js';
import { addRequestDeadline } from '../plugins/requestDeadline.js';
import { requestPrincipal } from '../requestPrincipal.js';
import type { TrustedDocuments } from '../trustedDocuments.js';
import type { WriteBudget } from '../writeBudget.js';
import { sendFailure } from './failures.js';

export interface GraphqlRouteOptions {
  vault: Vault;
  schema: GraphQLSchema;
  logger: Logger;
  verifier: TokenVerifier;
  access: AccessRecorder;
  limits: ApiLimits;
  budget?: WriteBudget;
  trustedDocuments?: TrustedDocuments;
  /** 0 turns the deadline off. */
  requestTimeoutMs: number;
  publicUrl: () => string;
}

const refuse = (reply: FastifyReply, r: LimitRefusal) => sendFailure(reply, 400, r.code, r.message, { limit: r.limit });

/**
 * What every GraphQL request passes before Apollo sees it: a trusted document's id replaced by its
 * text; with trusted documents on, a service's ad-hoc text refused; any other text measured
 * (bytes, tokens, then depth, fields and aliases on its syntax tree) before graphql-js validates
 * or compiles it, since those grow with the text and hold the event loop while they run.
 */
function gate(options: GraphqlRouteOptions) {
  const { limits, trustedDocuments, verifier } = options;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as Record<string, unknown> | null | undefined;
    // Not one JSON object (a batch, a string): Apollo refuses it with its own 400.
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
    const extensions = body.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined;
    const hash = extensions?.persistedQuery?.sha256Hash;
    // A listed hash runs the listed document, whatever text came with it (a client that sends both gets what the
    // manifest says).
    const id = typeof body.documentId === 'string' ? body.documentId : typeof hash === 'string' ? hash : undefined;
    const document = id === undefined ? undefined : trustedDocuments?.get(id);
    if (document !== undefined) {
      body.query = document;
      delete body.documentId;
      if (extensions?.persistedQuery) delete extensions.persistedQuery;
      return;
    }
    if (body.documentId !== undefined) {
      return sendFailure(
        reply,
        400,
        'PERSISTED_QUERY_NOT_FOUND',
        trustedDocuments
          ? 'No trusted document has this id'
          : 'This vault takes no trusted documents (VAULT_TRUSTED_DOCUMENTS is not set)',
      );
    }
    if (trustedDocuments && (await requestPrincipal(request, verifier))?.role === 'service') {
      return sendFailure(
        reply,
        403,
        'PERSISTED_QUERY_REQUIRED',
        'Services send trusted documents by id (documentId), not query text',
      );
    }
    if (typeof body.query !== 'string') return;
    const text = checkQueryText(body.query, limits);
    if (text) return refuse(reply, text);
    let parsed;
    try {
      // graphql's Parser, not its `parse`: OpenTelemetry's graphql instrumentation wraps `parse`, and this measuring
      // parse is no step of the operation's own. A span for it would make every request a span more (a fifth of a
      // read's spans, sampled or not), beside the parse span Apollo's own parse gives a document it has not cached.
      parsed = new Parser(body.query, { noLocation: true }).parseDocument();
    } catch {
      return; // Apollo parses again and reports the syntax error in GraphQL's words.
    }
    const shape = checkDocument(parsed, limits);
    if (shape) return refuse(reply, shape);
  };
}

/** `/graphql`: POST only, authenticated in the context, bounded before it runs and by a deadline while it runs. */
export async function graphqlRoutes(app: FastifyInstance, options: GraphqlRouteOptions): Promise<void> {
  const { logger, limits, requestTimeoutMs } = options;
  const apollo = new ApolloServer<ApiContext>({
    gateway: jitGateway(options.schema),
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    // A backstop for callers that bypass the gate (executeOperation): the parser stops past the limit too.
    parseOptions: { maxTokens: limits.maxTokens },
    logger,
    plugins: [
      operationLimitsPlugin(limits, options.budget),
      ...(options.vault.metrics.enabled ? [metricsPlugin(options.vault.metrics)] : []),
      ApolloServerPluginLandingPageDisabled(),
      // Operations (and their variables) never leave the process for a reporting service.
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      // No HTTP caching of personal data, and no per-field hook on every resolver call.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();
  app.addHook('onClose', async () => {
    await apollo.stop();
  });

  addRequestDeadline(app, requestTimeoutMs);
  app.addHook('preHandler', gate(options));
  // Each POST's server span, sampled at the root (tracing on only), around the route declared next.
  traceRequests(app, '/graphql');

  const context = createContextFunction({
    vault: options.vault,
    verifier: options.verifier,
    access: options.access,
    limits,
    publicUrl: options.publicUrl,
  });
  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    // POST only: a GET puts the query, identifiers included, in URLs that proxies and load balancers log.
    method: ['POST'],
    context: (request) => context(request.headers.authorization, request.id),
  });
  // Any other method on /graphql: 405 in the API's error format. Fastify's own 404 would quote the URL, query string
  // included.
  app.route({
    method: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/graphql',
    handler: async (_request, reply) =>
      sendFailure(reply.header('allow', 'POST'), 405, 'METHOD_NOT_ALLOWED', 'Send GraphQL requests with POST'),
  });
}
