import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';

import { loadOidcSettings } from '../../config/oidcSettings.js';
import { consoleCsp, consoleRoutes } from './console.js';

const dir = mkdtempSync(join(tmpdir(), 'pdv-console-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'privacy.html'), '<!doctype html><title>privacy</title>');
writeFileSync(join(dir, 'console.html'), '<!doctype html><title>console</title>');
writeFileSync(join(dir, 'assets', 'app-abc.js'), 'console.log(1)');

const oidc = loadOidcSettings({
  VAULT_OIDC_ISSUER: 'https://login.example.com/realm',
  VAULT_OIDC_CLIENT_ID: 'pages',
}).oidc!;

async function app(options: Parameters<typeof consoleRoutes>[1]) {
  const a = Fastify();
  await a.register(consoleRoutes, options);
  return a;
}

describe('the pages', () => {
  it('serve each single-page app at its path and below it, under a CSP with nothing inline', async () => {
    const a = await app({ dir, oidc });
    for (const [url, title] of [
      ['/privacy', 'privacy'],
      ['/privacy/requests', 'privacy'],
      ['/console', 'console'],
      ['/console/anything/deeper', 'console'],
    ]) {
      const res = await a.inject({ method: 'GET', url: url! });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(`<title>${title}</title>`);
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('let the pages reach the identity provider and nothing else beyond the vault', () => {
    expect(consoleCsp(oidc)).toContain("connect-src 'self' https://login.example.com;");
    expect(consoleCsp(undefined)).toContain("connect-src 'self';");
  });

  it('serve the hashed assets as immutable, and tell the pages where to log in', async () => {
    const a = await app({ dir, oidc });
    const js = await a.inject({ method: 'GET', url: '/ui/assets/app-abc.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    const config = await a.inject({ method: 'GET', url: '/ui/config.json' });
    expect(config.json()).toEqual({
      oidc: { issuer: 'https://login.example.com/realm', clientId: 'pages', scope: 'openid offline_access' },
    });
    await expect((await app({ dir })).inject({ method: 'GET', url: '/ui/config.json' })).resolves.toMatchObject({
      body: '{"oidc":null}',
    });
  });

  it('answer 404 saying how to build them when they are not built', async () => {
    const a = await app({ dir: join(dir, 'missing') });
    const res = await a.inject({ method: 'GET', url: '/privacy' });
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('npm run build');
  });
});
