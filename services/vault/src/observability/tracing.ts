import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Tracer,
} from '@opentelemetry/api';

/**
 * The vault's own spans (server spans, commands, projection batches, store calls), through `@opentelemetry/api`
 * alone: nothing here loads the SDK. Until `enableTracing` is called (by `tracingSdk.ts` once an SDK is started) every
 * helper runs its function directly and the composition root wraps nothing, so tracing off costs one boolean test per
 * command.
 *
 * A trace is sampled at its root only: `startRootSpan` asks the sampler once, before any span or context exists, and
 * every other span is made only beneath a sampled one. A request the sampler drops makes nothing at all.
 *
 * Attributes carry names, codes and counts only: never personal data, subject ids or GraphQL variable values.
 */

const TRACER_NAME = '@pdv/vault';

/** The span of a trace's root if the sampler takes it (`parent`: a caller's remote context, or none), else nothing. */
export type RootStarter = (name: string, kind: SpanKind, parent: Context) => Span | undefined;

let tracer: Tracer | undefined;
let rootStarter: RootStarter | undefined;

/**
 * Turns the vault's own spans on (the SDK is registered with the API by now). `root`: how the root of a trace is
 * sampled with the vault's tracer (`tracingSdk.ts`: the configured sampler asked before anything is made).
 */
export function enableTracing(root: (tracer: Tracer) => RootStarter): void {
  tracer = trace.getTracer(TRACER_NAME);
  rootStarter = root(tracer);
}

/** Turns them off again (tests; an SDK shut down). */
export function disableTracing(): void {
  tracer = undefined;
  rootStarter = undefined;
}

export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/**
 * The root span of a trace (a request's server span), made only if the sampler takes it: one sampler call, and
 * nothing else, for a trace it drops. `parent` holds the caller's remote span context when it sent one (`traceparent`),
 * which a parent-based sampler follows.
 */
export function startRootSpan(name: string, kind: SpanKind, parent: Context): Span | undefined {
  return rootStarter?.(name, kind, parent);
}

/** Whether the OTel environment asks for traces: an OTLP endpoint set, and neither the SDK nor traces turned off. */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined || endpoint.trim() === '') return false;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return !(env.OTEL_TRACES_EXPORTER ?? '').split(',').some((e) => e.trim() === 'none');
}

/** Whether `ctx` holds a span of a sampled trace: the only place the vault's own spans are made. */
function sampledParent(ctx: Context): boolean {
  const parent = trace.getSpan(ctx);
  return parent !== undefined && (parent.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

function finish<T>(span: Span, result: T): T {
  if (!(result instanceof Promise)) {
    span.end();
    return result;
  }
  return result.then(
    (value: unknown) => {
      span.end();
      return value;
    },
    (e: unknown) => {
      fail(span, e);
      span.end();
      throw e;
    },
  ) as T;
}

/** The error's stable code only: a message may quote what the caller sent. */
function fail(span: Span, e: unknown): void {
  const code = (e as { code?: unknown } | null)?.code;
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : 'INTERNAL' });
  span.setAttribute('error.type', typeof code === 'string' ? code : e instanceof Error ? e.name : 'unknown');
}

/**
 * Runs `fn` in a span named `name` (its children nest under it), ended when `fn` returns or its promise settles. The
 * span is made only beneath a sampled one: outside a trace (a projector polling an idle log, a background sweep) or
 * in a request the sampler dropped, `fn` runs as it is, without making a span or entering a context.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: () => T): T {
  const t = tracer;
  if (!t || !sampledParent(context.active())) return fn();
  return t.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, (span) => {
    try {
      return finish(span, fn());
    } catch (e) {
      fail(span, e);
      span.end();
      throw e;
    }
  });
}

/**
 * Runs `fn` in a span that nothing can nest under: made only inside a sampled span, and never entered as the active
 * context (no `context.with`, no closure for it). For store calls whose adapter makes no spans of its own (SQLite,
 * memory, KurrentDB's client is not instrumented): they are the leaves of a trace.
 */
export function inLeafSpan<T>(name: string, attributes: Attributes, fn: () => T): T {
  const t = tracer;
  if (!t) return fn();
  const active = context.active();
  if (!sampledParent(active)) return fn();
  const span = t.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, active);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    fail(span, e);
    span.end();
    throw e;
  }
  return finish(span, result);
}

/** The ports whose calls are traced, named as in the spans (`eventLog.append`, `keyStore.getByIds`, …). */
export type StoreName = 'eventLog' | 'keyStore' | 'viewStore' | 'accessLog';

/** Methods left untraced: `subscribe` returns at once (its batches are traced as projections), `close` is no call. */
const UNTRACED = new Set<PropertyKey>(['subscribe', 'close', 'constructor']);

/**
 * The store with each of its methods in a span `<store>.<method>`, made only under a sampled span. Properties and
 * untraced methods are the store's own (bound to it), so adapters that read their own state through `this` keep
 * working. Used by the composition root only while tracing is on. `leaf`: the adapter makes no spans of its own
 * (not PostgreSQL's, whose queries pg's instrumentation traces beneath the call), so the span is not entered.
 */
export function traceStore<T extends object>(store: StoreName, target: T, leaf = false): T {
  const run = leaf ? inLeafSpan : inSpan;
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof value !== 'function') return value;
      let out = wrapped.get(prop);
      if (out === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        const name = `${store}.${String(prop)}`;
        const attributes = { 'vault.store': store, 'vault.store.operation': String(prop) };
        out = UNTRACED.has(prop)
          ? method.bind(obj)
          : (...args: unknown[]) => run(name, attributes, () => method.apply(obj, args));
        wrapped.set(prop, out);
      }
      return out;
    },
  });
}

/**
 * Replaces `target[method]` on this one instance with the same method in a span (`span(args)` names it and gives its
 * attributes; `undefined` runs the call untraced). Calls the instance makes to itself through `this` are traced too,
 * which a proxy would miss: a projector's catch-up calls its own `project` for each batch.
 */
export function traceMethod<T extends object, K extends keyof T>(
  target: T,
  method: K,
  span: (args: unknown[]) => { name: string; attributes: Attributes } | undefined,
): void {
  const original = target[method] as (...args: unknown[]) => unknown;
  Object.defineProperty(target, method, {
    configurable: true,
    writable: true,
    value(this: T, ...args: unknown[]) {
      const s = span(args);
      return s ? inSpan(s.name, s.attributes, () => original.apply(this, args)) : original.apply(this, args);
    },
  });
}
