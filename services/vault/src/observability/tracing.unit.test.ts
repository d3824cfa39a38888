import { context, type Span, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { inSpan } from './tracing.js';
import { type RunningTracing, startTracing } from './tracingSdk.js';

const exporter = new InMemorySpanExporter();
let running: RunningTracing | undefined;
const saved = { sampler: process.env.OTEL_TRACES_SAMPLER, arg: process.env.OTEL_TRACES_SAMPLER_ARG };

/** The SDK with the sampler the standard environment names, as `vault serve` reads it. */
function startWithSampler(sampler: string, arg?: string): void {
  process.env.OTEL_TRACES_SAMPLER = sampler;
  if (arg === undefined) delete process.env.OTEL_TRACES_SAMPLER_ARG;
  else process.env.OTEL_TRACES_SAMPLER_ARG = arg;
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
    return inSpan(
      'eventLog.append',
      {},
      async () => {
        await new Promise((r) => setTimeout(r, 1));
        inner = trace.getSpan(context.active());
        return 42;
      },
      true,
    );
  });
  return { outer, inner, result };
}

describe('the vault’s own spans under head sampling', () => {
  it('nest a child span under a sampled parent', async () => {
    startWithSampler('always_on');
    const { outer, inner, result } = await nested();
    expect(result).toBe(42);
    expect(inner).toBeDefined();
    expect(inner).not.toBe(outer);
    // Exported once the resource's detected attributes settle, a moment after the spans end.
    await vi.waitFor(() => expect(exporter.getFinishedSpans()).toHaveLength(2), { timeout: 5000 });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(['command Test', 'eventLog.append']);
    const child = spans.find((s) => s.name === 'eventLog.append')!;
    expect(child.parentSpanContext?.spanId).toBe(outer!.spanContext().spanId);
  });

  it('make no span and enter no context under a parent the sampler dropped, and still run the call', async () => {
    // parentbased_traceidratio at 0: every root is dropped, as 95% of them are at 5%.
    startWithSampler('parentbased_traceidratio', '0');
    const { outer, inner, result } = await nested();
    expect(result).toBe(42);
    expect(outer).toBeDefined();
    // The inner call ran in the dropped parent's context: no second (non-recording) span was made for it.
    expect(inner).toBe(outer);
    expect(outer!.isRecording()).toBe(false);
    // Given the moment a sampled span takes to be exported (above), nothing is.
    await new Promise((r) => setTimeout(r, 300));
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('pass a thrown error through unchanged when the trace is dropped', async () => {
    startWithSampler('parentbased_traceidratio', '0');
    const failure = Object.assign(new Error('refused'), { code: 'FORBIDDEN' });
    let caught: unknown;
    try {
      inSpan('command Test', {}, () =>
        inSpan(
          'keyStore.getByIds',
          {},
          () => {
            throw failure;
          },
          true,
        ),
      );
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(failure);
  });
});
