import { readFileSync } from 'node:fs';

import { VaultError } from '../domain/errors.js';

/** Where and whether `vault serve` exposes its Prometheus metrics. Documented in docs/configuration.md. */
export interface MetricsSettings {
  /** `VAULT_METRICS`: `on` (default) counts and serves the metrics; `off` instruments nothing and serves nothing. */
  enabled: boolean;
  /**
   * `VAULT_METRICS_PORT`: serve `/metrics` on a listener of its own, without a token (keep the port off the API's
   * network). Default: unset, `/metrics` on the API's port, for a bearer of the metrics token or a DPO token.
   */
  port?: number;
  /** `VAULT_METRICS_HOST`: the interface that listener binds. Default: `HOST`. */
  host?: string;
  /**
   * `VAULT_METRICS_TOKEN_FILE`: a file holding the bearer token Prometheus scrapes with (at least 32 characters);
   * required on the metrics port too when set. Default: none (on the API's port only a DPO token then scrapes).
   */
  token?: string;
}

export function loadMetricsSettings(env: NodeJS.ProcessEnv): MetricsSettings {
  const flag = (env.VAULT_METRICS ?? 'on').toLowerCase();
  if (!['on', 'off', 'true', 'false'].includes(flag))
    throw new VaultError('CONFIG_INVALID', 'VAULT_METRICS must be on or off');
  const out: MetricsSettings = { enabled: flag === 'on' || flag === 'true' };
  if (env.VAULT_METRICS_PORT) {
    const port = Number(env.VAULT_METRICS_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new VaultError('CONFIG_INVALID', 'VAULT_METRICS_PORT must be an integer from 0 to 65535');
    out.port = port;
  }
  if (env.VAULT_METRICS_HOST) out.host = env.VAULT_METRICS_HOST;
  if (env.VAULT_METRICS_TOKEN_FILE) {
    let token: string;
    try {
      token = readFileSync(env.VAULT_METRICS_TOKEN_FILE, 'utf8').trim();
    } catch (e) {
      throw new VaultError('CONFIG_INVALID', 'VAULT_METRICS_TOKEN_FILE cannot be read', { cause: e });
    }
    if (token.length < 32)
      throw new VaultError('CONFIG_INVALID', 'The token in VAULT_METRICS_TOKEN_FILE must be at least 32 characters');
    out.token = token;
  }
  return out;
}
