import { context, ROOT_CONTEXT, type Span, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { inSpan, startRootSpan } from './tracing.js';
import { type RunningTracing, startTracing } from './tracingSdk.js';

// A new one with each SDK: shutting the SDK down stops its exporter for good.
let exporter = new InMemorySpanExporter();
let running: RunningTracing | undefined;
const saved = { sampler: process.env.OTEL_TRACES_SAMPLER, arg: process.env.OTEL_TRACES_SAMPLER_ARG };

/** The SDK with the sampler the standard environment names, as `vault serve` reads it. */
function startWithSampler(sampler: string, arg?: string): void {
  process.env.OTEL_TRACES_SAMPLER = sampler;
  if (arg === undefined) delete process.env.OTEL_TRACES_SAMPLER_ARG;
  else process.env.OTEL_TRACES_SAMPLER_ARG = arg;
  exporter = new InMemorySpanExporter();
  running = startTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
}

afterEach(async () => {
  await running?.shutdown();
  running = undefined;
  exporter.reset();
  for (const [key, value] of [
    ['OTEL_TRACES_SAMPLER', saved.sampler],
    ['OTEL_TRACES_SAMPLER_ARG', saved.arg],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

/** The active span seen inside an outer `inSpan` and inside an inner one nested in it, after both settle. */
async function nested(): Promise<{ outer: Span | undefined; inner: Span | undefined; result: number }> {
  let outer: Span | undefined;
  let inner: Span | undefined;
  const result = await inSpan('command Test', {}, async () => {
    outer = trace.getSpan(context.active());
    return inSpan('eventLog.append', {}, async () => {
      await new Promise((r) => setTimeout(r, 1));
      inner = trace.getSpan(context.active());
      return 42;
    });
  });
  return { outer, inner, result };
}

/** `nested()` under a root the vault starts, as a request's server span (`parent`: what the caller sent). */
async function underRoot(parent = ROOT_CONTEXT) {
  const root = startRootSpan('POST /graphql', SpanKind.SERVER, parent);
  const seen = await (root ? context.with(trace.setSpan(parent, root), nested) : nested());
  root?.end();
  return { root, ...seen };
}

/** A caller's span context, as a `traceparent` header gives it. */
const remote = (sampled: boolean) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });

describe('the vault’s own spans under head sampling', () => {
  it('nest under the root the sampler took, one trace', async () => {
    startWithSampler('always_on');
    const { root, outer, inner, result } = await underRoot();
    expect(result).toBe(42);
    expect(root).toBeDefined();
    expect(inner).not.toBe(outer);
    // Exported once the resource's detected attributes settle, a moment after the spans end.
    await vi.waitFor(() => expect(exporter.getFinishedSpans()).toHaveLength(3), { timeout: 5000 });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(['POST /graphql', 'command Test', 'eventLog.append']);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const child = spans.find((s) => s.name === 'eventLog.append')!;
    expect(child.parentSpanContext?.spanId).toBe(outer!.spanContext().spanId);
    expect(spans.find((s) => s.name === 'command Test')!.parentSpanContext?.spanId).toBe(root!.spanContext().spanId);
  });

  it('make no span and enter no context for a root the sampler dropped, and still run the calls', async () => {
    // parentbased_traceidratio at 0: every root is dropped, as 95% of them are at 5%.
    startWithSampler('parentbased_traceidratio', '0');
    const runs = await Promise.all(Array.from({ length: 200 }, () => underRoot()));
    for (const { root, outer, inner, result } of runs) {
      expect(result).toBe(42);
      // Not even a non-recording span: the commands and store calls found no parent and made none.
      expect(root).toBeUndefined();
      expect(outer).toBeUndefined();
      expect(inner).toBeUndefined();
    }
    // Given the moment a sampled span takes to be exported (above), nothing is.
    await new Promise((r) => setTimeout(r, 300));
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('follow a caller’s sampled traceparent whatever the ratio, and a dropped one', async () => {
    startWithSampler('parentbased_traceidratio', '0');
    const taken = await underRoot(remote(true));
    expect(taken.root?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    await vi.waitFor(() => expect(exporter.getFinishedSpans()).toHaveLength(3), { timeout: 5000 });
    const server = exporter.getFinishedSpans().find((s) => s.name === 'POST /graphql')!;
    expect(server.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    for (const s of exporter.getFinishedSpans())
      expect(s.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');

    // A caller's trace it did not sample: not sampled here either, even at a ratio of 1.
    await running?.shutdown();
    exporter.reset();
    startWithSampler('parentbased_traceidratio', '1');
    const dropped = await underRoot(remote(false));
    expect(dropped.root).toBeUndefined();
    expect(dropped.outer).toBeUndefined();
  });

  it('record no root that the vault did not start (an instrumentation’s span outside a traced request)', () => {
    startWithSampler('always_on');
    const orphan = trace.getTracer('graphql').startSpan('graphql.parse');
    expect(orphan.isRecording()).toBe(false);
    orphan.end();
    // The same tracer beneath a sampled root records.
    const root = startRootSpan('POST /graphql', SpanKind.SERVER, ROOT_CONTEXT)!;
    const child = trace.getTracer('graphql').startSpan('graphql.parse', {}, trace.setSpan(ROOT_CONTEXT, root));
    expect(child.isRecording()).toBe(true);
    child.end();
    root.end();
  });

  it('pass a thrown error through unchanged when the trace is dropped', async () => {
    startWithSampler('parentbased_traceidratio', '0');
    const failure = Object.assign(new Error('refused'), { code: 'FORBIDDEN' });
    expect(startRootSpan('POST /graphql', SpanKind.SERVER, ROOT_CONTEXT)).toBeUndefined();
    let caught: unknown;
    try {
      inSpan('command Test', {}, () =>
        inSpan('keyStore.getByIds', {}, () => {
          throw failure;
        }),
      );
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(failure);
  });
});
