// One API under test for observability.bench.ts, in a process of its own: the vault and server of the API
// benchmark (setupApiBench), with tracing and metrics on or off as the environment says. Tracing starts before the
// vault's modules load (they are imported after it, below), as vault serve's tracingPreload.ts starts it, so HTTP,
// graphql and the vault's own spans (its server span among them) are all made. Prints what the load generator needs
// as one JSON line, then serves until its stdin closes.
import type { OpenVaultOptions } from '@pdv/vault';

const tracing =
  process.env.BENCH_OBS_TRACING === 'on' ? (await import('@pdv/vault/tracing')).startTracing() : undefined;
const vault: Record<string, unknown> = await import('@pdv/vault');
const { setupApiBench } = await import('./api.bench.js');

// The Prometheus metrics, where this build of the vault has them (openVault's `metrics`; none by default).
const createMetrics = vault.createPrometheusMetrics as (() => unknown) | undefined;
const metrics = process.env.BENCH_OBS_METRICS === 'on' && createMetrics ? createMetrics() : undefined;
const setup = await setupApiBench(undefined, (metrics ? { metrics } : {}) as OpenVaultOptions);
const { url, token, readers, writers } = setup;
process.stdout.write(`${JSON.stringify({ url, token, readers, writers, metrics: metrics !== undefined })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void (async () => {
    await setup.close();
    await tracing?.shutdown();
    process.exit(0);
  })();
});
