import { createRequire } from 'node:module';

import type { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, propagation, trace } from '@opentelemetry/api';
import type { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import type { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import type { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

import { disableTracing, enableTracing } from './tracing.js';

// The helpers beside the SDK, for callers of this entry point (`@pdv/vault/tracing`: the benchmarks).
export { inSpan, tracingEnabled, tracingRequested } from './tracing.js';

/**
 * The OpenTelemetry SDK with the instrumentations the vault uses: Fastify (one server span per GraphQL request), HTTP
 * (outgoing calls made inside a request), graphql (parse and validate; execution is graphql-jit's and traced by the
 * vault itself), and pg (the PostgreSQL adapters' queries, as children of a request or a projection batch only). Only
 * the GraphQL route is traced: health probes make no traces, and a download's URL is its one-time token.
 *
 * The SDK packages are CommonJS and loaded with `require` inside `startTracing`, so that (a) nothing of them loads
 * while tracing is off, and (b) the whole start is synchronous: `tracingPreload.ts` starts it while the CLI's imports
 * are still being evaluated, so that fastify, http, graphql and pg are patched as they load (the require hooks of the
 * instrumentations see the CommonJS packages the ESM service imports; no ESM loader hook is needed for them).
 */

const require = createRequire(import.meta.url);

export interface TracingOptions {
  /**
   * Where spans go. Default: from the standard OTel environment (`OTEL_EXPORTER_OTLP_ENDPOINT`,
   * `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_TRACES_SAMPLER`, …): an OTLP exporter behind a batching processor.
   */
  spanProcessors?: SpanProcessor[];
  /** `service.name` of the resource, unless `OTEL_SERVICE_NAME` says otherwise. Default `pdv-vault`. */
  serviceName?: string;
}

export interface RunningTracing {
  /** Exports what is buffered and unregisters the SDK, its instrumentations and the vault's own spans. */
  shutdown(): Promise<void>;
}

const TRACED_ROUTE = '/graphql';

function instrumentations() {
  const { HttpInstrumentation: Http } = require('@opentelemetry/instrumentation-http') as {
    HttpInstrumentation: typeof HttpInstrumentation;
  };
  const { FastifyOtelInstrumentation: Fastify } = require('@fastify/otel') as {
    FastifyOtelInstrumentation: typeof FastifyOtelInstrumentation;
  };
  const { GraphQLInstrumentation: GraphQL } = require('@opentelemetry/instrumentation-graphql') as {
    GraphQLInstrumentation: typeof GraphQLInstrumentation;
  };
  const { PgInstrumentation: Pg } = require('@opentelemetry/instrumentation-pg') as {
    PgInstrumentation: typeof PgInstrumentation;
  };
  return [
    // Outgoing calls only (a webhook, a JWKS fetch), and only inside a traced request. Incoming requests are
    // Fastify's to trace: the HTTP instrumentation's server side binds each request's and response's event emitters
    // to a context and builds a dozen attributes (the client's address among them) for every request, sampled or not.
    new Http({ disableIncomingRequestInstrumentation: true, requireParentforOutgoingSpans: true }),
    // Hooks into every Fastify instance as it is created (a diagnostics channel), whenever fastify was loaded. Its
    // request span is the server span (`POST /graphql`, the traceparent header honoured), and its handler span
    // carries the request's context into the handler; no span per hook (any hook list at all wraps every hook of
    // every request in a check).
    new Fastify({
      registerOnInitialization: true,
      ignorePaths: (route) => route.url !== TRACED_ROUTE,
      instrumentHooks: false,
      instrumentHandler: true,
      requestHook: (span, request) => span.updateName(`${request.method} ${TRACED_ROUTE}`),
    }),
    // allowValues false (the default, said here because it matters): literals in a query's text become `*`.
    new GraphQL({ allowValues: false, mergeItems: true, ignoreTrivialResolveSpans: true }),
    // No parameter values (enhancedDatabaseReporting off), and no spans for queries outside a vault span.
    new Pg({ requireParentSpan: true, enhancedDatabaseReporting: false }),
  ];
}

/** Starts the SDK, registers it with `@opentelemetry/api` and turns the vault's own spans on. Synchronous. */
export function startTracing(options: TracingOptions = {}): RunningTracing {
  const { NodeSDK: Sdk } = require('@opentelemetry/sdk-node') as { NodeSDK: typeof NodeSDK };
  const hooks = instrumentations();
  const sdk = new Sdk({
    serviceName: process.env.OTEL_SERVICE_NAME ?? options.serviceName ?? 'pdv-vault',
    instrumentations: hooks,
    // Traces only: the vault's metrics are Prometheus's (`/metrics`), and its logs are pino's.
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  // The require hooks patch a module when it is next required: modules loaded before the start (a test runner's
  // fastify) are patched here. Server.prototype.emit and pg's Client.prototype are shared by every importer.
  for (const m of ['node:http', 'pg']) {
    try {
      require(m);
    } catch {
      // Not installed: nothing to patch.
    }
  }
  enableTracing();
  return {
    shutdown: async () => {
      disableTracing();
      for (const h of hooks) h.disable();
      try {
        await sdk.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}
