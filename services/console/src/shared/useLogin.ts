import type { UserManager } from 'oidc-client-ts';
import { useCallback, useEffect, useRef, useState } from 'react';

import { completeLogin, createUserManager, loadLoginConfig, type Page } from './auth.js';

export type LoginState =
  | { status: 'loading' }
  | { status: 'failed'; message: string }
  | { status: 'anonymous'; oidc: boolean }
  | { status: 'ready' };

export interface Login {
  state: LoginState;
  /** The current access token (memory only). */
  token: () => string | undefined;
  logIn: () => void;
  /** Development: a token made by `vault token`, kept in memory like any other. */
  useToken: (token: string) => void;
  logOut: () => void;
}

/** The login of a page: OIDC when the vault names a provider, else a pasted development token. */
export function useLogin(page: Page): Login {
  const [state, setState] = useState<LoginState>({ status: 'loading' });
  const token = useRef<string | undefined>(undefined);
  const manager = useRef<UserManager | undefined>(undefined);

  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const config = await loadLoginConfig();
        if (!config.oidc) {
          if (live) setState({ status: 'anonymous', oidc: false });
          return;
        }
        const um = createUserManager(config.oidc, page);
        manager.current = um;
        um.events.addUserLoaded((u) => {
          token.current = u.access_token;
        });
        um.events.addUserUnloaded(() => {
          token.current = undefined;
        });
        // Renewal failed for good (the provider ended the session, or the refresh token expired): log in again
        // rather than send a token the vault refuses.
        um.events.addAccessTokenExpired(() => {
          token.current = undefined;
          void um.removeUser();
          if (live) setState({ status: 'anonymous', oidc: true });
        });
        const user = await completeLogin(um);
        token.current = user?.access_token;
        if (live) setState(user ? { status: 'ready' } : { status: 'anonymous', oidc: true });
      } catch (e) {
        if (live) setState({ status: 'failed', message: e instanceof Error ? e.message : 'login failed' });
      }
    })();
    return () => {
      live = false;
    };
  }, [page]);

  const logIn = useCallback(() => void manager.current?.signinRedirect(), []);
  const useToken = useCallback((t: string) => {
    token.current = t.trim();
    setState({ status: 'ready' });
  }, []);
  const logOut = useCallback(() => {
    token.current = undefined;
    const um = manager.current;
    if (um) void um.removeUser().then(() => setState({ status: 'anonymous', oidc: true }));
    else setState({ status: 'anonymous', oidc: false });
  }, []);
  return { state, token: useCallback(() => token.current, []), logIn, useToken, logOut };
}
