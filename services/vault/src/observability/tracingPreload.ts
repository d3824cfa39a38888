import { tracingRequested } from './tracing.js';
import { startTracing } from './tracingSdk.js';

/**
 * Imported first by the CLI (`cli/main.ts`), for its side effect: `vault serve` with an OTLP endpoint in the
 * environment starts the OpenTelemetry SDK before http, graphql and pg are evaluated, so that their
 * instrumentations see them load. Any other command, or no endpoint, loads nothing of the SDK.
 */
if (process.argv[2] === 'serve' && tracingRequested(process.env)) {
  const tracing = startTracing();
  // After serve has closed the server and the stores: the last batch of spans is exported before the process ends.
  process.once('beforeExit', () => {
    void tracing.shutdown();
  });
}
