import type { Command } from 'commander';
import type { Logger } from 'pino';

import { JWKS_PATH, startServer } from '../../api/server.js';
import { hasProductionKey } from '../../auth/tokens.js';
import { DEFAULT_TRANSMISSION_SWEEP_MS, embeddedState, loadConfig } from '../../config/loadConfig.js';
import { createPrometheusMetrics } from '../../observability/metricsPrometheus.js';
import { TRANSMIT_CLAIM_MS } from '../../rights/transmitExport.js';
import { createLogger } from '../../support/logger.js';
import { openVault, type Vault } from '../../vault.js';
import { markServing } from '../serveMarker.js';
import { startEpochSchedule } from '../startEpochSchedule.js';
import { startRetentionSchedule } from '../startRetentionSchedule.js';

/**
 * `vault serve`: the HTTP API on the configured adapters; SIGTERM lets in-flight requests finish, then closes the
 * stores.
 */
export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the vault: GraphQL at /graphql, /healthz and /readyz')
    .action(async () => {
      // Reads the master key and the PIN once and drops them from the environment (docs/security.md).
      const config = loadConfig();
      // Listened for before anything starts: a SIGTERM that arrives while the vault opens, or just as
      // it starts to listen, still shuts it down gracefully instead of killing it.
      const stopRequested = new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      const logger = createLogger({ level: config.logLevel });
      const metrics = config.metrics?.enabled
        ? createPrometheusMetrics({ retentionIntervalSeconds: (config.retentionIntervalMinutes ?? 60) * 60 })
        : undefined;
      const vault = await openVault(config, {
        live: true,
        warn: (m) => logger.warn(m),
        ...(metrics ? { metrics } : {}),
      });
      let server;
      // Only the embedded read models can be replaced under a running server (`vault rebuild` checks
      // for the marker); a networked deployment may have no writable data directory at all. Written
      // before the server listens, so that a failure here leaves nothing running.
      let marker: { remove(): void } | undefined;
      try {
        if (embeddedState(config)) marker = markServing(config.dataDir);
        server = await startServer(vault, { logger, closeVault: true });
      } catch (e) {
        marker?.remove();
        await vault.close();
        throw e;
      }
      const interval = config.retentionIntervalMinutes ?? 60;
      const retention =
        interval > 0
          ? startRetentionSchedule({
              intervalMs: interval * 60_000,
              sweep: () => vault.sweepRetention(),
              onResult: (r) =>
                'error' in r
                  ? logger.error({ code: (r.error as { code?: string }).code ?? 'INTERNAL' }, 'retention sweep failed')
                  : logger.info(r, 'retention sweep'),
            })
          : undefined;
      const epochs = startEpochSchedule({
        epochMs: vault.keyRing.epochMs,
        schedule: () => vault.keyRing.epochSchedule(),
        unfinished: async () => (await vault.keyRing.kek.epochs()).length > 1,
        rotate: () => vault.rotateEpoch(),
        onResult: (r) =>
          'error' in r
            ? logger.error({ code: (r.error as { code?: string }).code ?? 'INTERNAL' }, 'key epoch rotation failed')
            : r.late
              ? logger.warn(r, "key epoch rotation finished after the epoch's stated end")
              : logger.info(r, 'key epoch rotation'),
      });
      // Art. 20(2) transmissions a stopped vault left retrying go on, from where they stopped; and those a replica
      // that died in a pause left, once their next attempt is overdue.
      const transmissions = resumeTransmissions(vault, config.publicUrl ?? server.url, logger, {
        intervalMs: config.transmissionSweepMs ?? DEFAULT_TRANSMISSION_SWEEP_MS,
      });
      console.log(
        `vault listening at ${server.url}/graphql (data in ${config.dataDir}, signing key ` +
          `${vault.signer.publicJwk.kid})`,
      );
      if (server.metricsUrl) console.log(`metrics at ${server.metricsUrl}/metrics`);
      if (hasProductionKey(config)) console.log('tokens: verified with the configured production key');
      else {
        const cli = process.argv[1] ?? 'dist/cli/main.js';
        console.log('mint a development token:');
        console.log(
          `  VAULT_DATA_DIR=${config.dataDir} node ${cli} token --role service --name billing --purposes ` +
            `contract,marketing`,
        );
      }
      await stopRequested;
      transmissions.stop();
      logger.info('shutting down: finishing in-flight requests');
      await retention?.stop();
      await epochs.stop();
      await server.close();
      marker?.remove();
      logger.info('stopped');
    });
}

/**
 * How overdue the next attempt of a transmission another process left retrying must be before a running vault's sweep
 * takes it over: the claim's life, so a live process that is making it is not raced for it. How often the sweep looks
 * is `VAULT_TRANSMISSION_SWEEP_MS` (15 s).
 */
export const TRANSMISSION_OVERDUE_MS = TRANSMIT_CLAIM_MS;

/**
 * Starts the transmissions left retrying on their way again, then every `intervalMs` those whose next attempt is
 * overdue by `TRANSMISSION_OVERDUE_MS` (their process died while it paused); `stop()` keeps them from starting another
 * attempt and ends the sweeps.
 */
function resumeTransmissions(
  vault: Vault,
  publicUrl: string,
  logger: Logger,
  { intervalMs }: { intervalMs: number },
): { stop(): void } {
  let stopping = false;
  const keyUrl = `${publicUrl.replace(/\/+$/, '')}${JWKS_PATH}`;
  const run = (message: string, overdueByMs?: number) =>
    void vault.rights
      .resumeTransmissions(keyUrl, () => stopping, overdueByMs)
      .then(
        (r) => r.resumed > 0 && logger.info(r, message),
        (e: unknown) =>
          logger.error({ code: (e as { code?: string }).code ?? 'INTERNAL' }, 'resuming transmissions failed'),
      );
  run('transmissions resumed');
  const sweep = setInterval(() => run('transmissions taken over', TRANSMISSION_OVERDUE_MS), intervalMs);
  sweep.unref();
  return {
    stop: () => {
      stopping = true;
      clearInterval(sweep);
    },
  };
}
