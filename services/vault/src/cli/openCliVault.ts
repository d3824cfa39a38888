import { destination } from 'pino';

import { loadConfig, type VaultConfig } from '../config/loadConfig.js';
import { createLogger } from '../support/logger.js';
import { openVault, type Vault } from '../vault.js';

/** Opens the vault for a one-shot command; its warnings go through the redacting logger (stderr). */
export async function openCliVault(config: VaultConfig = loadConfig()): Promise<Vault> {
  // stderr: a command's own output (e.g. `vault retention --json`) stays clean on stdout.
  const logger = createLogger({ level: config.logLevel, destination: destination(2) });
  return openVault(config, { warn: (m) => logger.warn(m) });
}
