import { VaultError } from '../domain/errors.js';

/**
 * The API's bounds and trust settings from the environment. Unset, each takes the default the
 * server documents (`DEFAULT_LIMITS` in api/limits.ts, the write budget and rate limits).
 */
export interface ApiSettings {
  /** `VAULT_MAX_QUERY_BYTES`, `VAULT_MAX_QUERY_TOKENS`, … : the request limits that were set (see api/limits.ts). */
  limits: Partial<Record<ApiLimitName, number>>;
  /** `VAULT_COMMANDS_PER_MINUTE`: commands a principal may send a minute; 0 turns it off. Default 1,200. */
  commandsPerMinute?: number;
  /** `VAULT_ITEMS_PER_MINUTE`: items a principal's commands may write a minute; 0 turns it off. Default 30,000. */
  itemsPerMinute?: number;
  /**
   * `VAULT_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE`: requests a minute per address without a valid token; 0 turns it off.
   * Default 600.
   */
  unauthenticatedPerMinute?: number;
  /**
   * `VAULT_TRUSTED_DOCUMENTS`: manifest of the operations services may send (by id only). Default: none, ad-hoc
   * queries.
   */
  trustedDocumentsFile?: string;
  /**
   * `VAULT_TRUST_PROXY`: whom to believe about the client's address in `X-Forwarded-For`:
   * `true` (every hop), a number of hops, or addresses/CIDRs of the proxies (comma-separated).
   * Default: nobody, the socket's address counts.
   */
  trustProxy?: boolean | number | string[];
  /**
   * `VAULT_SCHEMA_BASE_URL`: the base of the `$id`s of the rights documents' JSON Schemas, ending
   * in `/` (added when missing). Default: `<VAULT_PUBLIC_URL>/schemas/`, where the vault serves them.
   */
  schemaBaseUrl?: string;
}

export const API_LIMIT_VARIABLES = {
  maxQueryBytes: 'VAULT_MAX_QUERY_BYTES',
  maxTokens: 'VAULT_MAX_QUERY_TOKENS',
  maxFields: 'VAULT_MAX_QUERY_FIELDS',
  maxAliases: 'VAULT_MAX_QUERY_ALIASES',
  maxDepth: 'VAULT_MAX_QUERY_DEPTH',
  maxCost: 'VAULT_MAX_QUERY_COST',
  maxSubjectsPerQuery: 'VAULT_MAX_SUBJECTS_PER_REQUEST',
  maxItemsPerCommand: 'VAULT_MAX_ITEMS_PER_COMMAND',
  maxCommandsPerRequest: 'VAULT_MAX_COMMANDS_PER_REQUEST',
  maxItemsPerRequest: 'VAULT_MAX_ITEMS_PER_REQUEST',
} as const;

export type ApiLimitName = keyof typeof API_LIMIT_VARIABLES;

function count(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new VaultError('CONFIG_INVALID', `${name} must be an integer of at least ${min}`);
  return n;
}

function trustProxyOf(raw: string | undefined): ApiSettings['trustProxy'] {
  if (raw === undefined || raw === '' || raw === 'false') return undefined;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw.split(',').map((s) => s.trim());
  if (list.some((s) => !/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(s))) {
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_TRUST_PROXY must be true, false, a number of hops, or comma-separated proxy addresses or CIDRs',
    );
  }
  return list;
}

function schemaBaseUrlOf(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search ||
    url.hash ||
    url.username ||
    url.password
  ) {
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_SCHEMA_BASE_URL must be an http:// or https:// URL with no query, fragment or credentials, e.g. ' +
        'https://vault.example.com/schemas/',
    );
  }
  // A base without its final slash would make every relative $ref resolve one level up.
  return raw.endsWith('/') ? raw : `${raw}/`;
}

/**
 * Where the rights documents' schemas and JSON-LD contexts are published: `VAULT_SCHEMA_BASE_URL`,
 * else `/schemas/` under the public URL; undefined when neither is known. The schemas' `$id`s and
 * the documents' `@context` both take it, so they name the same place.
 */
export function schemaBaseUrl(config: {
  publicUrl?: string | undefined;
  api?: ApiSettings | undefined;
}): string | undefined {
  return (
    config.api?.schemaBaseUrl ?? (config.publicUrl ? `${config.publicUrl.replace(/\/+$/, '')}/schemas/` : undefined)
  );
}

export function loadApiSettings(env: NodeJS.ProcessEnv): ApiSettings {
  const limits: ApiSettings['limits'] = {};
  for (const [limit, variable] of Object.entries(API_LIMIT_VARIABLES) as [ApiLimitName, string][]) {
    const n = count(env, variable, 1);
    if (n !== undefined) limits[limit] = n;
  }
  const commandsPerMinute = count(env, 'VAULT_COMMANDS_PER_MINUTE', 0);
  const itemsPerMinute = count(env, 'VAULT_ITEMS_PER_MINUTE', 0);
  const unauthenticatedPerMinute = count(env, 'VAULT_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE', 0);
  const trustProxy = trustProxyOf(env.VAULT_TRUST_PROXY);
  const schemaBaseUrl = schemaBaseUrlOf(env.VAULT_SCHEMA_BASE_URL);
  return {
    limits,
    ...(commandsPerMinute !== undefined ? { commandsPerMinute } : {}),
    ...(itemsPerMinute !== undefined ? { itemsPerMinute } : {}),
    ...(unauthenticatedPerMinute !== undefined ? { unauthenticatedPerMinute } : {}),
    ...(env.VAULT_TRUSTED_DOCUMENTS ? { trustedDocumentsFile: env.VAULT_TRUSTED_DOCUMENTS } : {}),
    ...(trustProxy !== undefined ? { trustProxy } : {}),
    ...(schemaBaseUrl !== undefined ? { schemaBaseUrl } : {}),
  };
}
