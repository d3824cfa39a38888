import { createRequire } from 'node:module';

import {
  type Context,
  context,
  propagation,
  type Span,
  type SpanKind,
  trace,
  TraceFlags,
  type Tracer,
} from '@opentelemetry/api';
import type { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import type { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import type { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type * as TraceBase from '@opentelemetry/sdk-trace-base';
import type { IdGenerator, Sampler, SamplingResult, SpanProcessor } from '@opentelemetry/sdk-trace-base';

import { disableTracing, enableTracing, type RootStarter } from './tracing.js';

// The helpers beside the SDK, for callers of this entry point (`@pdv/vault/tracing`: the benchmarks).
export { inSpan, tracingEnabled, tracingRequested } from './tracing.js';

/**
 * The OpenTelemetry SDK with the instrumentations the vault uses: HTTP (outgoing node:http calls in a request), graphql
 * (parse and validate; execution is graphql-jit's and traced by the vault itself), and pg (the PostgreSQL adapters'
 * queries, as children of a traced request only). The server span of each GraphQL request is the vault's own
 * (`tracingRequests.ts`), sampled at the root: only the GraphQL route is traced (health probes make no traces, and a
 * download's URL is its one-time token), and a request the sampler drops makes no span and enters no context.
 *
 * The SDK packages are CommonJS and loaded with `require` inside `startTracing`, so that (a) nothing of them loads
 * while tracing is off, and (b) the whole start is synchronous: `tracingPreload.ts` starts it while the CLI's imports
 * are still being evaluated, so that http, graphql and pg are patched as they load (the require hooks of the
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

function instrumentations() {
  const { HttpInstrumentation: Http } = require('@opentelemetry/instrumentation-http') as {
    HttpInstrumentation: typeof HttpInstrumentation;
  };
  const { GraphQLInstrumentation: GraphQL } = require('@opentelemetry/instrumentation-graphql') as {
    GraphQLInstrumentation: typeof GraphQLInstrumentation;
  };
  const { PgInstrumentation: Pg } = require('@opentelemetry/instrumentation-pg') as {
    PgInstrumentation: typeof PgInstrumentation;
  };
  return [
    // Outgoing node:http calls only, and only inside a traced request (webhooks use fetch, outside requests). Incoming
    // requests are the vault's to trace: the HTTP instrumentation's server side binds each request's and response's
    // event emitters to a context and builds a dozen attributes (the client's address among them) for every request,
    // sampled or not.
    new Http({ disableIncomingRequestInstrumentation: true, requireParentforOutgoingSpans: true }),
    // allowValues false (the default, said here because it matters): literals in a query's text become `*`.
    new GraphQL({ allowValues: false, mergeItems: true, ignoreTrivialResolveSpans: true }),
    // No parameter values (enhancedDatabaseReporting off), and no spans for queries outside a vault span.
    new Pg({ requireParentSpan: true, enhancedDatabaseReporting: false }),
  ];
}

/** The sampler `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` name, as the SDK reads them. */
function samplerFromEnv(base: typeof TraceBase, env: NodeJS.ProcessEnv): Sampler {
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
  const ratio = () => new base.TraceIdRatioBasedSampler(Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1);
  const parentBased = (root: Sampler) => new base.ParentBasedSampler({ root });
  switch (env.OTEL_TRACES_SAMPLER?.trim()) {
    case 'always_on':
      return new base.AlwaysOnSampler();
    case 'always_off':
      return new base.AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return parentBased(new base.AlwaysOffSampler());
    case 'parentbased_traceidratio':
      return parentBased(ratio());
    default:
      return parentBased(new base.AlwaysOnSampler());
  }
}

/**
 * Sampling at the root only. `start` asks the sampler the environment names once per trace, before anything is made,
 * with the trace id the root will carry (the caller's, or a new one); only if it takes the trace is the SDK's tracer
 * asked for the span, and given that answer and that id (`admitted`, for the synchronous `startSpan`). Below a root
 * the SDK follows the parent's sampled flag. A root the vault did not start (graphql's parse outside a traced request,
 * the schema's at start-up) is not recorded.
 */
function rootSampling(base: typeof TraceBase, env: NodeJS.ProcessEnv) {
  const configured = samplerFromEnv(base, env);
  const random = new base.RandomIdGenerator();
  let admitted: { result: SamplingResult; traceId: string | undefined } | undefined;
  const { RECORD_AND_SAMPLED, NOT_RECORD } = base.SamplingDecision;
  const sampler: Sampler = {
    shouldSample(ctx) {
      if (admitted) return admitted.result;
      const parent = trace.getSpanContext(ctx);
      const sampled = parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
      return { decision: sampled ? RECORD_AND_SAMPLED : NOT_RECORD };
    },
    toString: () => `VaultRootSampler{${configured.toString()}}`,
  };
  const idGenerator: IdGenerator = {
    generateTraceId: () => admitted?.traceId ?? random.generateTraceId(),
    generateSpanId: () => random.generateSpanId(),
  };
  const start =
    (tracer: Tracer): RootStarter =>
    (name: string, kind: SpanKind, parent: Context): Span | undefined => {
      const remote = trace.getSpanContext(parent);
      const traceId = remote && trace.isSpanContextValid(remote) ? undefined : random.generateTraceId();
      const result = configured.shouldSample(parent, traceId ?? remote!.traceId, name, kind, {}, []);
      if (result.decision === NOT_RECORD) return undefined;
      admitted = { result, traceId };
      try {
        return tracer.startSpan(name, { kind }, parent);
      } finally {
        admitted = undefined;
      }
    };
  return { sampler, idGenerator, start };
}

/** Starts the SDK, registers it with `@opentelemetry/api` and turns the vault's own spans on. Synchronous. */
export function startTracing(options: TracingOptions = {}): RunningTracing {
  const { NodeSDK: Sdk } = require('@opentelemetry/sdk-node') as { NodeSDK: typeof NodeSDK };
  const base = require('@opentelemetry/sdk-trace-base') as typeof TraceBase;
  const hooks = instrumentations();
  const roots = rootSampling(base, process.env);
  const sdk = new Sdk({
    serviceName: process.env.OTEL_SERVICE_NAME ?? options.serviceName ?? 'pdv-vault',
    instrumentations: hooks,
    sampler: roots.sampler,
    idGenerator: roots.idGenerator,
    // Traces only: the vault's metrics are Prometheus's (`/metrics`), and its logs are pino's.
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  // The require hooks patch a module when it is next required: modules loaded before the start (by a test runner) are
  // patched here. node:http's request and pg's Client.prototype are shared by every importer.
  for (const m of ['node:http', 'pg']) {
    try {
      require(m);
    } catch {
      // Not installed: nothing to patch.
    }
  }
  enableTracing(roots.start);
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
