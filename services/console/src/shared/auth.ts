import { InMemoryWebStorage, type User, UserManager, WebStorageStateStore } from 'oidc-client-ts';

/** What the vault tells the pages before a login (`/ui/config.json`). */
export interface LoginConfig {
  oidc: { issuer: string; clientId: string; scope: string } | null;
}

export type Page = 'privacy' | 'console';

export async function loadLoginConfig(): Promise<LoginConfig> {
  const res = await fetch('/ui/config.json', { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  return (await res.json()) as LoginConfig;
}

/**
 * Authorization code with PKCE at the organisation's identity provider. Tokens live in memory only (an in-memory user
 * store), are renewed with the refresh token, and are gone when the tab closes; only the PKCE verifier and state of a
 * login under way wait in the tab's session storage across the redirect, and are removed when it returns.
 */
export function createUserManager(oidc: NonNullable<LoginConfig['oidc']>, page: Page): UserManager {
  const redirect = `${window.location.origin}/${page}`;
  return new UserManager({
    authority: oidc.issuer,
    client_id: oidc.clientId,
    redirect_uri: redirect,
    post_logout_redirect_uri: redirect,
    response_type: 'code',
    scope: oidc.scope,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    loadUserInfo: false,
    monitorSession: false,
    automaticSilentRenew: true,
  });
}

/** Finishes a login the provider redirected back with, then drops `code` and `state` from the address bar. */
export async function completeLogin(manager: UserManager): Promise<User | null> {
  const params = new URLSearchParams(window.location.search);
  if (!params.has('state') || !(params.has('code') || params.has('error'))) return manager.getUser();
  try {
    return await manager.signinRedirectCallback();
  } finally {
    window.history.replaceState(null, '', window.location.pathname);
  }
}
