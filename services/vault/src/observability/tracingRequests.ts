import { type Context, context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

import { startRootSpan, tracingEnabled } from './tracing.js';

/** The traced request's context (its server span in it), set only when the sampler took the request. */
const kContext = Symbol('vault.traceContext');
type Traced = FastifyRequest & { [kContext]?: Context | undefined };

const hookList = <T>(hooks: T | T[] | undefined): T[] =>
  hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];

/**
 * The server span of each POST to `url` (the GraphQL route), made by the vault. The sampler is asked once per request,
 * in a hook of that route alone, with the caller's `traceparent` (W3C trace context) as the parent a parent-based
 * sampler follows, before any span or context exists. A request it drops makes no span and enters no context, so the
 * commands and store calls it runs find no sampled parent and make none either. A request it takes gets `POST <url>`
 * (kind SERVER), ended once the response is sent (or, status `ABORTED`, when the caller goes away before it), and its
 * handler runs in the span's context, so the operation's spans nest beneath it. Attributes: method, route, path
 * (never the query string, where a caller may have put an identifier) and status code. Call before the route is
 * declared; tracing off, nothing is added.
 */
export function traceRequests(app: FastifyInstance, url: string): void {
  if (!tracingEnabled()) return;
  const name = `POST ${url}`;
  // The headers the configured propagators read (`traceparent`, `tracestate`, `baggage` by default): a request with
  // none of them has no remote parent, and skips the propagators altogether.
  const fields = propagation.fields();
  /** The traced request's span, taken so that it is ended once (after the response, or as aborted). */
  const takeSpan = (request: FastifyRequest) => {
    const traced = request as Traced;
    const span = traced[kContext] && trace.getSpan(traced[kContext]);
    traced[kContext] = undefined;
    return span;
  };
  /** Ends a traced request's span as aborted: the caller went away before the response. */
  const abort = (request: FastifyRequest) => {
    const span = takeSpan(request);
    if (span) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'ABORTED' });
      span.setAttribute('error.type', 'ABORTED');
      span.end();
    }
  };
  const start = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const headers = request.headers;
    const parent = fields.some((f) => headers[f] !== undefined)
      ? propagation.extract(ROOT_CONTEXT, headers)
      : ROOT_CONTEXT;
    const span = startRootSpan(name, SpanKind.SERVER, parent);
    if (span) {
      span.setAttributes({ 'http.request.method': 'POST', 'http.route': url, 'url.path': url });
      (request as Traced)[kContext] = trace.setSpan(parent, span);
      // The response closed before it was all written: the caller went away (Fastify's onResponse never comes then,
      // and its onRequestAbort only sees a caller gone while the request body was still arriving).
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) abort(request);
      });
    }
    done();
  };
  /** Ends the span after the response (once: a request whose caller went away has had its span ended already). */
  const end = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const span = takeSpan(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  };
  app.addHook('onRoute', (route) => {
    if (route.url !== url || !hookList(route.method).includes('POST')) return;
    route.onRequest = [...hookList(route.onRequest), start];
    route.onResponse = [...hookList(route.onResponse), end];
    const handler = route.handler;
    route.handler = function traced(this: FastifyInstance, request, reply) {
      const ctx = (request as Traced)[kContext];
      return ctx ? context.with(ctx, handler, this, request, reply) : handler.call(this, request, reply);
    };
  });
}
