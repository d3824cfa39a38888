import { Writable } from 'node:stream';

import {
  createLogger,
  fixtureRegister,
  mintDevToken,
  type Principal,
  type RunningServer,
  type ServerOptions,
  startServer,
  type Vault,
  type VaultConfig,
} from '@pdv/vault';

import { tempVault } from '../support/tempVault.js';

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  data: T | null | undefined;
  errors:
    | { message: string; path?: (string | number)[]; extensions?: { code?: string; path?: string; reason?: string } }[]
    | undefined;
}

export interface Api {
  vault: Vault;
  config: VaultConfig;
  server: RunningServer;
  /** Every log line the server wrote (pino JSON), for leak checks. */
  logLines: string[];
  token(principal: Principal): Promise<string>;
  gql<T = Record<string, any>>(
    token: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GqlResponse<T>>;
  stop(): Promise<void>;
}

/** A vault on a temporary data directory with the fixture register, served over real HTTP on port 0. */
export async function startApi(
  options: { vault?: Parameters<typeof tempVault>[0]; server?: ServerOptions } = {},
): Promise<Api> {
  const { vault, config, cleanup } = await tempVault({ register: fixtureRegister(), ...options.vault });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  let server: RunningServer;
  try {
    server = await startServer(vault, {
      port: 0,
      logger: createLogger({ level: 'trace', destination: sink }),
      ...options.server,
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
  const tokens = new Map<string, string>();
  return {
    vault,
    config,
    server,
    logLines,
    async token(principal) {
      const key = JSON.stringify(principal);
      let t = tokens.get(key);
      if (!t) tokens.set(key, (t = await mintDevToken(config, principal)));
      return t;
    },
    async gql(token, query, variables) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: unknown; errors?: GqlResponse['errors'] };
      return { status: res.status, data: body.data as never, errors: body.errors };
    },
    async stop() {
      await server.close();
      await cleanup();
    },
  };
}

export const SERVICE: Principal = { role: 'service', name: 'crm', purposes: ['contract', 'billing', 'marketing'] };
export const DPO: Principal = { role: 'dpo', name: 'dpo-1' };
export const subjectPrincipal = (subjectId: string): Principal => ({ role: 'subject', subjectId });
