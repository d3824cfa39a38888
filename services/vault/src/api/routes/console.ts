import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

import type { VaultConfig } from '../../config/loadConfig.js';
import type { OidcSettings } from '../../config/oidcSettings.js';
import { sendFailure } from './failures.js';

/** The pages' assets live under this prefix (Vite's `base` in services/console/vite.config.ts). */
export const CONSOLE_ASSETS = '/ui/';

/** services/console/dist, from this file in src/api/routes or dist/api/routes alike. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../../console/dist/', import.meta.url));

export interface ConsoleRouteOptions {
  /** The built pages. Default `DEFAULT_CONSOLE_DIR`. */
  dir?: string;
  oidc?: OidcSettings;
}

/** The options the configuration sets: `VAULT_CONSOLE_DIR` and `VAULT_OIDC_*`. */
export const consoleOptions = (config: Pick<VaultConfig, 'consoleDir' | 'oidc'>): ConsoleRouteOptions => ({
  ...(config.consoleDir ? { dir: config.consoleDir } : {}),
  ...(config.oidc ? { oidc: config.oidc } : {}),
});

/** What the pages learn from the vault before anyone logs in: where to log in, nothing else. */
export interface ConsoleConfig {
  oidc: { issuer: string; clientId: string; scope: string } | null;
}

/**
 * A Content-Security-Policy with no inline script or style anywhere: the pages load their own scripts and styles,
 * talk to the vault and to the identity provider (discovery, token and refresh requests), and cannot be framed.
 */
export function consoleCsp(oidc: OidcSettings | undefined): string {
  const idp = oidc ? ` ${new URL(oidc.issuer).origin}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${idp}`,
    `form-action 'self'${idp}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

const PAGES = { privacy: 'privacy.html', console: 'console.html' } as const;

/**
 * The privacy centre at `/privacy` and the DPO console at `/console`: one single-page app each, built by
 * services/console, with their assets under `/ui/`. Both are plain static files; everything they show comes
 * through `/graphql` with the user's token, which lives in the page's memory only.
 */
export async function consoleRoutes(app: FastifyInstance, options: ConsoleRouteOptions): Promise<void> {
  const dir = options.dir ?? DEFAULT_CONSOLE_DIR;
  const csp = consoleCsp(options.oidc);
  const secure = (reply: FastifyReply) =>
    reply
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cross-origin-opener-policy', 'same-origin');

  const config: ConsoleConfig = {
    oidc: options.oidc
      ? { issuer: options.oidc.issuer, clientId: options.oidc.clientId, scope: options.oidc.scope }
      : null,
  };
  app.get(`${CONSOLE_ASSETS}config.json`, async (_request, reply) => {
    void secure(reply).header('cache-control', 'no-store');
    return config;
  });

  const built = existsSync(join(dir, PAGES.privacy)) && existsSync(join(dir, PAGES.console));
  if (built) {
    await app.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: `${CONSOLE_ASSETS}assets/`,
      index: false,
      list: false,
      // Asset names carry their content hash: they never change under the same name.
      immutable: true,
      maxAge: 365 * 24 * 3600 * 1000,
      setHeaders: (res) => {
        res.setHeader('content-security-policy', csp);
        res.setHeader('x-content-type-options', 'nosniff');
      },
    });
  }

  for (const [page, file] of Object.entries(PAGES)) {
    const handler = async (_request: unknown, reply: FastifyReply) => {
      if (!built) return sendFailure(reply, 404, 'NOT_FOUND', 'The pages are not built: run npm run build');
      // Revalidated on every visit (a new build replaces it), unlike the hashed assets.
      return secure(reply).header('cache-control', 'no-cache').sendFile(file, dir, { cacheControl: false });
    };
    app.get(`/${page}`, handler);
    app.get(`/${page}/*`, handler);
  }
}
