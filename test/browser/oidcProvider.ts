import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK } from 'jose';
import Provider from 'oidc-provider';

/**
 * A user of the test's identity provider: the DPO, or a data subject with its id in the vault; `accessTokenTTL`
 * (seconds, default 600) shortens this user's access tokens, so a test can watch the pages renew them, and
 * `noRefreshToken` leaves the pages nothing to renew them with.
 */
export type Account = { roles: string[]; subjectId?: string; accessTokenTTL?: number; noRefreshToken?: boolean };

export interface TestProvider {
  issuer: string;
  /** The public keys the vault verifies access tokens with (its `VAULT_JWKS_FILE`). */
  jwks: { keys: Record<string, unknown>[] };
  close(): Promise<void>;
}

export const CLIENT_ID = 'pdv-pages';
export const RESOURCE = 'urn:pdv:vault';
export const SCOPE = 'openid vault';

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body><main><h1>${title}</h1>${body}</main></body></html>`;

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * A real OpenID provider (oidc-provider) with a login form of its own, not the development interactions: the user
 * types a user name, consent to the requested scopes is granted once logged in, and the access token is a JWT for the
 * vault (resource indicator `urn:pdv:vault`, audience `pdv-vault`) with the roles and the subject id the vault maps.
 */
export async function startProvider(accounts: Record<string, Account>, redirectOrigin: string): Promise<TestProvider> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signing = { ...(await exportJWK(privateKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        id_token_signed_response_alg: 'ES256',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${redirectOrigin}/privacy`, `${redirectOrigin}/console`],
        post_logout_redirect_uris: [`${redirectOrigin}/privacy`, `${redirectOrigin}/console`],
      },
    ],
    jwks: { keys: [signing] },
    cookies: { keys: ['a test cookie key that is long enough'] },
    findAccount: (_ctx: unknown, id: string) =>
      accounts[id] ? { accountId: id, claims: () => ({ sub: id }) } : undefined,
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'vault',
          audience: 'pdv-vault',
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    // The organisation's policy, not the client's choice of scope: the pages' client gets a refresh token (rotated at
    // each use, as for any public client) and renews its short access tokens with it.
    issueRefreshToken: (
      _ctx: unknown,
      client: { grantTypeAllowed: (grant: string) => boolean },
      code: { accountId?: string },
    ) => client.grantTypeAllowed('refresh_token') && !accounts[code.accountId ?? '']?.noRefreshToken,
    ttl: {
      AccessToken: (_ctx: unknown, token: { accountId?: string }) =>
        accounts[token.accountId ?? '']?.accessTokenTTL ?? 600,
      IdToken: 600,
    },
    extraTokenClaims: (_ctx: unknown, token: { accountId?: string }) => {
      const account = accounts[token.accountId ?? ''];
      if (!account) return undefined;
      return { roles: account.roles, ...(account.subjectId ? { pdv_subject_id: account.subjectId } : {}) };
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });
  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/interaction/')) return void callback(req, res);
    interaction(provider, accounts, req, res).catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  return {
    issuer,
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' }] },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The provider's own pages: a login form, then the grant of what the pages asked for. */
async function interaction(
  provider: Provider,
  accounts: Record<string, Account>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (req.method === 'POST' && req.url?.endsWith('/login')) {
    const login = (await formBody(req)).get('username') ?? '';
    if (!accounts[login]) {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return void res.end(page('Sign in', '<p role="alert">Unknown user</p>'));
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === 'login') {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    const form =
      `<form method="post" action="/interaction/${uid}/login">` +
      '<label for="username">Username</label> <input id="username" name="username" autocomplete="off"> ' +
      '<button type="submit">Sign in</button></form>';
    return void res.end(page('Sign in', form));
  }
  const grant = new provider.Grant({ accountId: session!.accountId, clientId: params.client_id as string });
  const missing = prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}
