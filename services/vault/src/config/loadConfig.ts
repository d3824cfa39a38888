import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

import { VaultError } from '../domain/errors.js';
import { dropFromEnvironment } from '../support/dropFromEnvironment.js';
import { type ApiSettings, loadApiSettings } from './apiSettings.js';
import { loadMetricsSettings, type MetricsSettings } from './metricsSettings.js';
import { loadOidcSettings, type OidcSettings } from './oidcSettings.js';

/** Everything the vault reads from its environment. Documented in docs/configuration.md's table. */
export interface VaultConfig {
  /** `VAULT_DATA_DIR`: where the embedded stores live. Default `./.vault-data`. */
  dataDir: string;
  /**
   * `VAULT_MASTER_KEY`: base64 32 bytes, or `v2:…,v1:…` during a rotation. `loadConfig` reads it
   * into bytes of their own (and drops the variable from the environment); bytes are consumed when
   * the vault opens: zeroed and deleted from this object, so one loaded configuration opens one
   * vault. A string (a configuration built in code) cannot be zeroed and is left as given.
   */
  masterKey?: string | Uint8Array;
  /** `VAULT_MASTER_KEY_FILE`: a file holding the same. */
  masterKeyFile?: string;
  /** `VAULT_REGISTER_FILE`: the processing register (YAML). Default: the shipped example register. */
  registerFile?: string;
  /**
   * `VAULT_SYNCHRONOUS`: SQLite durability, `FULL` (default: an acknowledged write survives power loss) or `NORMAL`.
   */
  synchronous: 'FULL' | 'NORMAL';
  /** `PORT`: HTTP port. Default 4000. */
  port: number;
  /**
   * `VAULT_PUBLIC_URL`: the base URL subjects reach the vault at, for download links
   * (e.g. `https://vault.example.com`). Default `http://localhost:<PORT>`; unset (a vault not
   * opened by `loadConfig`), the server uses the address it listens on.
   */
  publicUrl?: string;
  /** `VAULT_LOG_LEVEL`: pino level. Default `info`. */
  logLevel: string;
  /**
   * `VAULT_RETENTION_INTERVAL_MINUTES`: how often `vault serve` runs the retention sweep; 0 turns it off. Default 60.
   */
  retentionIntervalMinutes?: number;
  /**
   * `VAULT_TRANSMISSION_SWEEP_MS`: how often `vault serve` looks for Art. 20(2) transmissions another process left
   * retrying when it died in a pause (1,000 ms to a day). Default `DEFAULT_TRANSMISSION_SWEEP_MS`, 15,000.
   */
  transmissionSweepMs?: number;
  /** `HOST`: interface the HTTP server binds. Default `127.0.0.1`; set `0.0.0.0` in a container. */
  host?: string;
  /**
   * `VAULT_JWT_SECRET`: HS256 secret (at least 32 characters) that verifies, and lets `vault token` mint,
   * development tokens. Default: a secret generated into `<dataDir>/jwt-dev.secret`, unless a
   * production key below is set.
   */
  jwtSecret?: string;
  /** `VAULT_JWT_PUBLIC_KEY_FILE`: PEM public key (RSA, EC or Ed25519) of the production token issuer. */
  jwtPublicKeyFile?: string;
  /** `VAULT_JWKS_FILE`: a JWKS (JSON) file with the production issuer's public keys. */
  jwksFile?: string;
  /** `VAULT_JWT_ISSUER`: required `iss` of every token. Default: not checked (required in production). */
  jwtIssuer?: string;
  /** `VAULT_JWT_AUDIENCE`: required `aud` of every token. Default `pdv-vault`. */
  jwtAudience?: string;
  /** `VAULT_BODY_LIMIT_BYTES`: largest accepted request body. Default 8 MiB (a 5 MiB document, base64, fits). */
  bodyLimitBytes?: number;
  /**
   * `VAULT_RATE_LIMIT_PER_MINUTE`: requests a minute per principal (per client address until its token has verified); 0
   * turns it off. Default 6000.
   */
  rateLimitPerMinute?: number;
  /**
   * `VAULT_REQUEST_TIMEOUT_MS`: longest a GraphQL request may take before it is answered 503
   * SERVICE_UNAVAILABLE (the work it started is not undone: a mutation either committed or not,
   * as its next read shows); 0 turns it off. Downloads are not bounded by it. Default 30000.
   */
  requestTimeoutMs?: number;
  /**
   * `VAULT_CACHE_SUBJECTS`: subjects whose state the command side keeps between commands, whose
   * snapshot the projector keeps after writing it, and whose parsed snapshot (ciphertext only) the
   * reader keeps between reads; each is checked against the stores before it is trusted. 0 turns
   * them off. Default 2,000 (each cache holds a few kilobytes a subject).
   */
  cacheSubjects?: number;
  /**
   * `VAULT_EVENT_STORE`: where the event log lives, `sqlite` (default: `events.db` in the data
   * directory), `kurrentdb` (a KurrentDB / EventStoreDB 20+ cluster; needs `VAULT_KURRENTDB_URL`) or
   * `postgres` (tables in `VAULT_POSTGRES_SCHEMA`; needs `VAULT_POSTGRES_URL`).
   */
  eventStore?: EventStoreKind;
  /**
   * `VAULT_STATE_STORE`: where keys, read models and the access log live, `sqlite` (default: files
   * in the data directory) or `postgres` (needs `VAULT_POSTGRES_URL` and a configured master key).
   */
  stateStore?: StateStoreKind;
  /**
   * `VAULT_KURRENTDB_URL`: KurrentDB connection string, e.g. `kurrentdb+discover://node1:2113?tls=true`. No default.
   */
  kurrentdbUrl?: string;
  /** `VAULT_POSTGRES_URL`: PostgreSQL connection string, e.g. `postgres://vault@db:5432/vault`. No default. */
  postgresUrl?: string;
  /** `VAULT_POSTGRES_SCHEMA`: schema of the vault's tables, the event log's too (created on start). Default `vault`. */
  postgresSchema?: string;
  /**
   * `VAULT_STORE_TIMEOUT_MS`: deadline of every call to a networked store (KurrentDB call,
   * PostgreSQL statement); past it the call fails with STORE_UNAVAILABLE. Default 10000.
   */
  storeTimeoutMs?: number;
  /**
   * `VAULT_KEY_EPOCH`: how long a key epoch lasts (`90s`, `30m`, `12h`, `1d`, or milliseconds).
   * When it ends, every live data key is re-wrapped under the next epoch's key-encryption key and
   * the old one is destroyed: a stale copy of a shredded key anywhere opens nothing after it.
   * Default `1d`.
   */
  keyEpochMs?: number;
  /**
   * `VAULT_KEK_PROVIDER`: custody of the key-encryption keys, `local` (default: a file of epoch
   * keys sealed under the master key, `VAULT_KEK_FILE`) or `pkcs11` (an HSM; see docs/hsm.md).
   */
  kekProvider?: KekProviderKind;
  /** `VAULT_KEK_FILE`: the local custody's epoch key file. Default `<dataDir>/kek.slots`. */
  kekFile?: string;
  /**
   * `VAULT_PKCS11_MODULE`, `VAULT_PKCS11_SLOT`, `VAULT_PKCS11_PIN` or `VAULT_PKCS11_PIN_FILE`: the HSM of `pkcs11`;
   * `VAULT_PKCS11_LABEL_PREFIX`: the prefix of its KEK objects' labels, so that vaults can share one token.
   */
  pkcs11?: { module: string; slot: string; pin: string; labelPrefix?: string };
  /**
   * `VAULT_MODE`: `production` or `development`. Default: `production` when `NODE_ENV=production`,
   * else `development`. In production the vault refuses to start without a token public key or
   * JWKS, an issuer to check and an explicit master key (or an HSM), and never generates a
   * development master key or token secret. Unset in a configuration built by hand: development.
   */
  mode?: VaultMode;
  /**
   * `VAULT_STRICT_PERMISSIONS`: `true` refuses to start (CONFIG_INVALID) when the data directory,
   * a file in it or the epoch key file is open to group or others; `false` (default) warns.
   */
  strictPermissions?: boolean;
  /** The API's limits, budgets, trusted documents and proxy trust (see apiSettings.ts). */
  api?: ApiSettings;
  /** Whether and where `vault serve` serves its Prometheus metrics (see metricsSettings.ts). */
  metrics?: MetricsSettings;
  /** Login to the privacy centre and the DPO console through an OIDC provider (see oidcSettings.ts). */
  oidc?: OidcSettings;
  /** `VAULT_CONSOLE_DIR`: the built pages of services/console. Default: that workspace's `dist`. */
  consoleDir?: string;
}

export const VAULT_MODES = ['production', 'development'] as const;
export type VaultMode = (typeof VAULT_MODES)[number];

/** Whether a configuration runs in production mode (development keys refused). */
export const isProduction = (config: Pick<VaultConfig, 'mode'>): boolean => config.mode === 'production';

/**
 * `VAULT_MODE`, else `NODE_ENV`. Only the value `production` of NODE_ENV counts: test runners set
 * `test`, and anything else is a development machine. VAULT_MODE=development is the one way to
 * run the development fallbacks with NODE_ENV=production (which `npm start` sets for speed).
 */
function modeOf(env: NodeJS.ProcessEnv): VaultMode {
  const raw = (env.VAULT_MODE ?? '').trim().toLowerCase();
  if (raw === '') return env.NODE_ENV === 'production' ? 'production' : 'development';
  if (!(VAULT_MODES as readonly string[]).includes(raw))
    throw new VaultError('CONFIG_INVALID', `VAULT_MODE must be one of ${VAULT_MODES.join(', ')}`);
  return raw as VaultMode;
}

/** A flag variable: `true` or `false` (`1` or `0`); unset or empty is false, anything else refused. */
function flagOf(name: string, raw: string | undefined): boolean {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new VaultError('CONFIG_INVALID', `${name} must be true or false`);
}

/**
 * What production needs and the development defaults would otherwise invent: a token key the
 * vault cannot sign with (so no generated HS256 secret), an issuer to hold tokens to, and a
 * master key from outside the data directory (so no generated master.key beside keys.db, in the
 * same backup) or an HSM. Every missing setting is named at once; no value ever is.
 */
function assertProductionReady(env: NodeJS.ProcessEnv, source: string): void {
  const missing: { setting: string; why: string }[] = [];
  if (!env.VAULT_JWT_PUBLIC_KEY_FILE && !env.VAULT_JWKS_FILE) {
    const dev = env.VAULT_JWT_SECRET ? '; VAULT_JWT_SECRET is for development only' : '';
    missing.push({
      setting: 'VAULT_JWKS_FILE',
      why: `VAULT_JWKS_FILE or VAULT_JWT_PUBLIC_KEY_FILE (the token issuer's public keys${dev})`,
    });
  }
  if (!env.VAULT_JWT_ISSUER)
    missing.push({ setting: 'VAULT_JWT_ISSUER', why: 'VAULT_JWT_ISSUER (the iss every token must carry)' });
  const hsm = (env.VAULT_KEK_PROVIDER ?? '').trim().toLowerCase() === 'pkcs11';
  if (!env.VAULT_MASTER_KEY && !env.VAULT_MASTER_KEY_FILE && !hsm) {
    missing.push({
      setting: 'VAULT_MASTER_KEY_FILE',
      why:
        'VAULT_MASTER_KEY_FILE or VAULT_MASTER_KEY, or VAULT_KEK_PROVIDER=pkcs11 (no master key is generated in ' +
        'production)',
    });
  }
  if (missing.length === 0) return;
  throw new VaultError(
    'CONFIG_INVALID',
    `Production mode (${source}) refuses to start without ${missing.map((m) => m.why).join('; ')}. ` +
      `VAULT_MODE=development allows generated development keys`,
    {
      details: { missing: missing.map((m) => m.setting) },
    },
  );
}

export const KEK_PROVIDERS = ['local', 'pkcs11'] as const;
export type KekProviderKind = (typeof KEK_PROVIDERS)[number];
const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `VAULT_KEY_EPOCH` in ms: at least a second, at most a year. */
function keyEpochOf(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 86_400_000;
  const m = DURATION.exec(raw.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS] : NaN;
  if (!(ms >= 1000 && ms <= 366 * 86_400_000))
    throw new VaultError('CONFIG_INVALID', 'VAULT_KEY_EPOCH must be a duration from 1s to 366d, e.g. 1d, 12h or 90s');
  return ms;
}

/** The key-encryption key custody; its PIN from the environment or a file, never echoed. */
function loadKek(env: NodeJS.ProcessEnv) {
  const kekProvider = (env.VAULT_KEK_PROVIDER || 'local').toLowerCase();
  if (!(KEK_PROVIDERS as readonly string[]).includes(kekProvider))
    throw new VaultError('CONFIG_INVALID', `VAULT_KEK_PROVIDER must be one of ${KEK_PROVIDERS.join(', ')}`);
  if (kekProvider === 'local')
    return { kekProvider: 'local' as const, ...(env.VAULT_KEK_FILE ? { kekFile: resolve(env.VAULT_KEK_FILE) } : {}) };
  if (env.VAULT_PKCS11_PIN && env.VAULT_PKCS11_PIN_FILE)
    throw new VaultError('CONFIG_INVALID', 'Set VAULT_PKCS11_PIN or VAULT_PKCS11_PIN_FILE, not both');
  let pin = env.VAULT_PKCS11_PIN;
  if (!pin && env.VAULT_PKCS11_PIN_FILE) {
    try {
      pin = readFileSync(env.VAULT_PKCS11_PIN_FILE, 'utf8').trim();
    } catch {
      throw new VaultError('CONFIG_INVALID', 'VAULT_PKCS11_PIN_FILE cannot be read');
    }
  }
  if (!pin)
    throw new VaultError('CONFIG_INVALID', 'VAULT_KEK_PROVIDER=pkcs11 needs VAULT_PKCS11_PIN or VAULT_PKCS11_PIN_FILE');
  if (!env.VAULT_PKCS11_SLOT)
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_KEK_PROVIDER=pkcs11 needs VAULT_PKCS11_SLOT (a slot index or a token label)',
    );
  const labelPrefix = env.VAULT_PKCS11_LABEL_PREFIX;
  if (labelPrefix !== undefined && !/^[A-Za-z0-9._-]{1,48}$/.test(labelPrefix))
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_PKCS11_LABEL_PREFIX must be 1 to 48 letters, digits, dots, dashes or _',
    );
  return {
    kekProvider: 'pkcs11' as const,
    pkcs11: {
      module: env.VAULT_PKCS11_MODULE || '/usr/lib/softhsm/libsofthsm2.so',
      slot: env.VAULT_PKCS11_SLOT,
      pin,
      ...(labelPrefix ? { labelPrefix } : {}),
    },
  };
}

export const EVENT_STORES = ['sqlite', 'kurrentdb', 'postgres'] as const;
export const STATE_STORES = ['sqlite', 'postgres'] as const;
export type EventStoreKind = (typeof EVENT_STORES)[number];
export type StateStoreKind = (typeof STATE_STORES)[number];

const KURRENTDB_SCHEMES =
  /^(kurrentdb|kurrentdb\+discover|kurrent|kurrent\+discover|kdb|kdb\+discover|esdb|esdb\+discover):\/\//;
const POSTGRES_SCHEMES = /^postgres(ql)?:\/\//;

/** A number variable's value; set to nothing (`PORT=` in a compose file) it means its default, not 0. */
const numberVar = (raw: string | undefined, fallback: number): number =>
  raw === undefined || raw.trim() === '' ? fallback : Number(raw);

/** The store choice and its connection settings; every inconsistency is a CONFIG_INVALID naming the variable. */
function loadStores(env: NodeJS.ProcessEnv, hasMasterKey: boolean) {
  const invalid = (message: string) => new VaultError('CONFIG_INVALID', message);
  const eventStore = (env.VAULT_EVENT_STORE || 'sqlite').toLowerCase();
  if (!(EVENT_STORES as readonly string[]).includes(eventStore)) {
    throw invalid(`VAULT_EVENT_STORE must be one of ${EVENT_STORES.join(', ')} (got "${env.VAULT_EVENT_STORE}")`);
  }
  const stateStore = (env.VAULT_STATE_STORE || 'sqlite').toLowerCase();
  if (!(STATE_STORES as readonly string[]).includes(stateStore)) {
    throw invalid(`VAULT_STATE_STORE must be one of ${STATE_STORES.join(', ')} (got "${env.VAULT_STATE_STORE}")`);
  }
  const kurrentdbUrl = env.VAULT_KURRENTDB_URL || undefined;
  const postgresUrl = env.VAULT_POSTGRES_URL || undefined;
  if (eventStore === 'kurrentdb' && !kurrentdbUrl)
    throw invalid('VAULT_EVENT_STORE=kurrentdb needs VAULT_KURRENTDB_URL (e.g. kurrentdb+discover://node1:2113)');
  if (eventStore !== 'kurrentdb' && kurrentdbUrl)
    throw invalid(
      'VAULT_KURRENTDB_URL is set but VAULT_EVENT_STORE is not kurrentdb: set VAULT_EVENT_STORE=kurrentdb or unset ' +
        'the URL',
    );
  if (kurrentdbUrl && !KURRENTDB_SCHEMES.test(kurrentdbUrl))
    throw invalid(
      'VAULT_KURRENTDB_URL must start with kurrentdb://, kurrentdb+discover://, esdb:// or esdb+discover://',
    );
  const onPostgres = eventStore === 'postgres' || stateStore === 'postgres';
  if (onPostgres && !postgresUrl) {
    const variable = stateStore === 'postgres' ? 'VAULT_STATE_STORE' : 'VAULT_EVENT_STORE';
    throw invalid(`${variable}=postgres needs VAULT_POSTGRES_URL (e.g. postgres://vault@db:5432/vault)`);
  }
  if (!onPostgres && postgresUrl)
    throw invalid(
      'VAULT_POSTGRES_URL is set but VAULT_STATE_STORE is not postgres, nor VAULT_EVENT_STORE: set either to ' +
        'postgres or unset the URL',
    );
  if (postgresUrl && !POSTGRES_SCHEMES.test(postgresUrl))
    throw invalid('VAULT_POSTGRES_URL must start with postgres:// or postgresql://');
  if (postgresUrl && !URL.canParse(postgresUrl))
    throw invalid('VAULT_POSTGRES_URL is not a well-formed URL (host, port 1-65535, percent-encoded password)');
  if (env.VAULT_POSTGRES_SCHEMA !== undefined && !onPostgres)
    throw invalid('VAULT_POSTGRES_SCHEMA is set but VAULT_STATE_STORE is not postgres, nor VAULT_EVENT_STORE');
  const postgresSchema = postgresSchemaOf({ postgresSchema: env.VAULT_POSTGRES_SCHEMA });
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(postgresSchema))
    throw invalid('VAULT_POSTGRES_SCHEMA must be a lower-case identifier (letters, digits, _; at most 63)');
  // Replicas share one key store, so they must share the master key: a generated one would live on one machine only.
  if (stateStore === 'postgres' && !hasMasterKey)
    throw invalid(
      'VAULT_STATE_STORE=postgres needs VAULT_MASTER_KEY or VAULT_MASTER_KEY_FILE (every replica must use the same ' +
        'master key), or VAULT_KEK_PROVIDER=pkcs11',
    );
  const storeTimeoutMs = numberVar(env.VAULT_STORE_TIMEOUT_MS, 10_000);
  if (!Number.isInteger(storeTimeoutMs) || storeTimeoutMs < 100)
    throw invalid('VAULT_STORE_TIMEOUT_MS must be an integer of at least 100');
  return {
    eventStore: eventStore as EventStoreKind,
    stateStore: stateStore as StateStoreKind,
    ...(kurrentdbUrl ? { kurrentdbUrl } : {}),
    ...(postgresUrl ? { postgresUrl, postgresSchema } : {}),
    storeTimeoutMs,
  };
}

/** The PostgreSQL schema of the state stores and a PostgreSQL event log: `VAULT_POSTGRES_SCHEMA`, default `vault`. */
export const postgresSchemaOf = (config: Pick<VaultConfig, 'postgresSchema'>): string =>
  config.postgresSchema ?? 'vault';

/** Whether the read models, keys and access log are the embedded SQLite files of `dataDir`. */
export const embeddedState = (config: Pick<VaultConfig, 'stateStore'>): boolean =>
  (config.stateStore ?? 'sqlite') === 'sqlite';

/** How often `vault serve` sweeps for transmissions a dead process left retrying (`VAULT_TRANSMISSION_SWEEP_MS`). */
export const DEFAULT_TRANSMISSION_SWEEP_MS = 15_000;

/** Subjects each of the command side, the projector and the reader keeps in memory (`VAULT_CACHE_SUBJECTS`). */
export const DEFAULT_CACHE_SUBJECTS = 2_000;

/** A secret's text in bytes of their own (not a slice of Node's shared pool), so that it can be zeroed. */
function secretBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.byteLength(text));
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).write(text);
  return bytes;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const CRYPTO = ['sodium-native', 'tweetnacl'];

// One variable checked after another, in the order docs/configuration.md lists them.
// eslint-disable-next-line max-lines-per-function -- see above
export function loadConfig(env: NodeJS.ProcessEnv = process.env): VaultConfig {
  const mode = modeOf(env);
  const strictPermissions = flagOf('VAULT_STRICT_PERMISSIONS', env.VAULT_STRICT_PERMISSIONS);
  const logLevel = env.VAULT_LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new VaultError('CONFIG_INVALID', `VAULT_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  if (env.VAULT_CRYPTO && !CRYPTO.includes(env.VAULT_CRYPTO))
    throw new VaultError('CONFIG_INVALID', `VAULT_CRYPTO must be one of ${CRYPTO.join(', ')}`);
  if (env.VAULT_SCHEMA_DIR && !isDirectory(env.VAULT_SCHEMA_DIR))
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_SCHEMA_DIR must be a directory holding the GraphQL schema (*.graphql)',
    );
  const synchronous = (env.VAULT_SYNCHRONOUS ?? 'FULL').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL')
    throw new VaultError('CONFIG_INVALID', 'VAULT_SYNCHRONOUS must be FULL or NORMAL');
  const retentionIntervalMinutes = numberVar(env.VAULT_RETENTION_INTERVAL_MINUTES, 60);
  if (!Number.isFinite(retentionIntervalMinutes) || retentionIntervalMinutes < 0)
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_RETENTION_INTERVAL_MINUTES must be a number of minutes, 0 to turn the sweep off',
    );
  const transmissionSweepMs = numberVar(env.VAULT_TRANSMISSION_SWEEP_MS, DEFAULT_TRANSMISSION_SWEEP_MS);
  if (!Number.isInteger(transmissionSweepMs) || transmissionSweepMs < 1000 || transmissionSweepMs > 86_400_000)
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_TRANSMISSION_SWEEP_MS must be a whole number of milliseconds from 1000 to 86400000 (a day)',
    );
  const port = numberVar(env.PORT, 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new VaultError('CONFIG_INVALID', 'PORT must be an integer from 0 to 65535');
  if (env.VAULT_MASTER_KEY && env.VAULT_MASTER_KEY_FILE)
    throw new VaultError('CONFIG_INVALID', 'Set VAULT_MASTER_KEY or VAULT_MASTER_KEY_FILE, not both');
  if (env.VAULT_JWT_PUBLIC_KEY_FILE && env.VAULT_JWKS_FILE)
    throw new VaultError('CONFIG_INVALID', 'Set VAULT_JWT_PUBLIC_KEY_FILE or VAULT_JWKS_FILE, not both');
  if (env.VAULT_JWT_SECRET && (env.VAULT_JWT_PUBLIC_KEY_FILE || env.VAULT_JWKS_FILE)) {
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_JWT_SECRET (development) cannot be combined with a production key (VAULT_JWT_PUBLIC_KEY_FILE or ' +
        'VAULT_JWKS_FILE)',
    );
  }
  if (env.VAULT_JWT_SECRET !== undefined && env.VAULT_JWT_SECRET.length < 32)
    throw new VaultError('CONFIG_INVALID', 'VAULT_JWT_SECRET must be at least 32 characters');
  const bodyLimitBytes = numberVar(env.VAULT_BODY_LIMIT_BYTES, 8 * 1024 * 1024);
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1024)
    throw new VaultError('CONFIG_INVALID', 'VAULT_BODY_LIMIT_BYTES must be an integer of at least 1024');
  const rateLimitPerMinute = numberVar(env.VAULT_RATE_LIMIT_PER_MINUTE, 6000);
  if (!Number.isInteger(rateLimitPerMinute) || rateLimitPerMinute < 0)
    throw new VaultError('CONFIG_INVALID', 'VAULT_RATE_LIMIT_PER_MINUTE must be a non-negative integer');
  const requestTimeoutMs = numberVar(env.VAULT_REQUEST_TIMEOUT_MS, 30_000);
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 0)
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_REQUEST_TIMEOUT_MS must be a non-negative integer of milliseconds, 0 to turn it off',
    );
  const cacheSubjects = numberVar(env.VAULT_CACHE_SUBJECTS, DEFAULT_CACHE_SUBJECTS);
  if (!Number.isInteger(cacheSubjects) || cacheSubjects < 0)
    throw new VaultError('CONFIG_INVALID', 'VAULT_CACHE_SUBJECTS must be a non-negative integer');
  const publicUrl = (env.VAULT_PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, '');
  if (!isHttpUrl(publicUrl))
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_PUBLIC_URL must be an http:// or https:// URL with no query or fragment, e.g. https://vault.example.com',
    );
  const config: VaultConfig = {
    mode,
    strictPermissions,
    dataDir: resolve(env.VAULT_DATA_DIR ?? '.vault-data'),
    ...(env.VAULT_MASTER_KEY ? { masterKey: secretBytes(env.VAULT_MASTER_KEY) } : {}),
    ...(env.VAULT_MASTER_KEY_FILE ? { masterKeyFile: env.VAULT_MASTER_KEY_FILE } : {}),
    ...(env.VAULT_REGISTER_FILE ? { registerFile: env.VAULT_REGISTER_FILE } : {}),
    synchronous,
    port,
    publicUrl,
    logLevel,
    retentionIntervalMinutes,
    transmissionSweepMs,
    // Set to nothing means the default too: an empty host would bind every interface.
    host: env.HOST || '127.0.0.1',
    ...(env.VAULT_JWT_SECRET ? { jwtSecret: env.VAULT_JWT_SECRET } : {}),
    ...(env.VAULT_JWT_PUBLIC_KEY_FILE ? { jwtPublicKeyFile: resolve(env.VAULT_JWT_PUBLIC_KEY_FILE) } : {}),
    ...(env.VAULT_JWKS_FILE ? { jwksFile: resolve(env.VAULT_JWKS_FILE) } : {}),
    ...(env.VAULT_JWT_ISSUER ? { jwtIssuer: env.VAULT_JWT_ISSUER } : {}),
    jwtAudience: env.VAULT_JWT_AUDIENCE ?? 'pdv-vault',
    bodyLimitBytes,
    rateLimitPerMinute,
    requestTimeoutMs,
    cacheSubjects,
    ...loadStores(
      env,
      Boolean(
        env.VAULT_MASTER_KEY || env.VAULT_MASTER_KEY_FILE || (env.VAULT_KEK_PROVIDER ?? '').toLowerCase() === 'pkcs11',
      ),
    ),
    keyEpochMs: keyEpochOf(env.VAULT_KEY_EPOCH),
    ...loadKek(env),
    api: loadApiSettings(env),
    metrics: loadMetricsSettings(env),
    ...loadOidcSettings(env),
    ...(env.VAULT_CONSOLE_DIR ? { consoleDir: resolve(env.VAULT_CONSOLE_DIR) } : {}),
  };
  // After the checks of each variable: a malformed one is named as such first.
  if (mode === 'production')
    assertProductionReady(env, env.VAULT_MODE ? 'VAULT_MODE=production' : 'NODE_ENV=production');
  // Read once: the secrets leave the process's environment now (its initial copy too, where the platform allows).
  if (env === process.env && dropFromEnvironment(['VAULT_MASTER_KEY', 'VAULT_PKCS11_PIN']) === 'unsupported') {
    process.emitWarning(
      'VAULT_MASTER_KEY / VAULT_PKCS11_PIN were removed from process.env, but the copy the process started with ' +
        '(/proc/<pid>/environ) could not be cleared here: pass them as files (VAULT_MASTER_KEY_FILE, ' +
        'VAULT_PKCS11_PIN_FILE) instead',
    );
  }
  return config;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash && !u.username && !u.password;
  } catch {
    return false;
  }
}
