import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { Command } from 'commander';
import { destination } from 'pino';

import { embeddedState, loadConfig, type VaultConfig } from '../../config/loadConfig.js';
import { DATA_FILES, openStores } from '../../config/openStores.js';
import { VaultError } from '../../domain/errors.js';
import { isoNow } from '../../domain/time.js';
import { readHealthFacts } from '../../observability/healthFacts.js';
import { PROJECTION } from '../../projections/Projector.js';
import { createLogger } from '../../support/logger.js';
import { renderStatus, type StatusInput, statusLines } from '../statusReport.js';

/** Where a `vault serve` with this configuration serves its metrics (its queues live in that process). */
function metricsUrlOf(config: VaultConfig): string {
  const m = config.metrics;
  const host = m?.host ?? config.host ?? '127.0.0.1';
  // A listener on every interface is reached on this machine's loopback.
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${m?.port ?? config.port}/metrics`;
}

/** The queue depths a running server reports, or why they could not be read (at most 2 s). */
async function readQueues(config: VaultConfig, url: string | undefined): Promise<StatusInput['queues']> {
  if (url === undefined && config.metrics?.enabled === false) return { unavailable: 'VAULT_METRICS=off' };
  const target = url ?? metricsUrlOf(config);
  const token = config.metrics?.token;
  let res: Response;
  try {
    res = await fetch(target, {
      signal: AbortSignal.timeout(2000),
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
  } catch {
    return { unavailable: `no vault serve answered at ${target}` };
  }
  if (res.status === 401)
    return { unavailable: `${target} wants the scrape token (VAULT_METRICS_TOKEN_FILE) or a metrics port` };
  if (!res.ok) return { unavailable: `${target} answered ${res.status}` };
  const queues: Record<string, number> = {};
  for (const m of (await res.text()).matchAll(/^vault_queue_depth\{queue="([A-Za-z]+)"\} (\d+(?:\.\d+)?)$/gm))
    queues[m[1]!] = Number(m[2]);
  return queues;
}

/**
 * `vault status`: the facts the metrics show, for someone at a terminal. Read from the stores
 * (opened as for any command, nothing written) and, for the queues, from the metrics of the
 * `vault serve` that holds them. Exits 2 when a line is a failure (an overdue request, a lagging
 * projection, a sweep or an epoch late), so a script can act on it.
 */
export function addStatusCommand(program: Command): void {
  program
    .command('status')
    .description('Print projection lag, queues, overdue and due requests, due retention, the last sweep, the key epoch')
    .option('--json', 'print the facts as JSON')
    .option(
      '--metrics-url <url>',
      "the running vault serve's /metrics, for its queues (default: from the configuration)",
    )
    .action(async (opts: { json?: boolean; metricsUrl?: string }) => {
      const config = loadConfig();
      if (embeddedState(config) && !existsSync(join(config.dataDir, DATA_FILES.keys)))
        throw new VaultError('CONFIG_INVALID', `There is no vault in ${config.dataDir} (VAULT_DATA_DIR)`);
      const logger = createLogger({ level: config.logLevel, destination: destination(2) });
      const stores = await openStores(config, { warn: (m) => logger.warn(m) });
      let input: StatusInput;
      try {
        const { log, views, keys } = stores;
        const [facts, queues] = await Promise.all([
          readHealthFacts({
            log,
            views,
            keys,
            checkpoint: () => views.checkpoint(PROJECTION),
            epochs: () => keys.epochsInUse(),
            now: isoNow,
          }),
          readQueues(config, opts.metricsUrl),
        ]);
        input = { facts, queues, retentionIntervalSeconds: (config.retentionIntervalMinutes ?? 60) * 60 };
      } finally {
        await Promise.allSettled([
          stores.log.close(),
          stores.keys.close(),
          stores.views.close(),
          stores.access?.close(),
        ]);
      }
      const { worst } = statusLines(input);
      if (opts.json) console.log(JSON.stringify({ ...input, worst }, null, 2));
      else console.log(renderStatus(input, Boolean(process.stdout.isTTY && process.stdout.hasColors())));
      if (worst === 'bad') process.exitCode = 2;
    });
}
