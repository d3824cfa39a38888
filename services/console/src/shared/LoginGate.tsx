import { type FormEvent, type ReactNode, useMemo, useState } from 'react';
import { Provider } from 'urql';

import type { Page } from './auth.js';
import { createClient } from './client.js';
import { t } from './i18n.js';
import { useLogin } from './useLogin.js';

/** The page's frame: a header with the title and the login, and the page itself once someone is logged in. */
export function LoginGate({ page, children }: { page: Page; children: ReactNode }) {
  const login = useLogin(page);
  const client = useMemo(() => createClient(login.token), [login.token]);
  const title = page === 'privacy' ? t.privacyTitle : t.consoleTitle;
  const { state } = login;
  return (
    <>
      <header className="top">
        <p className="brand">{title}</p>
        {state.status === 'ready' && (
          <button type="button" className="secondary" onClick={login.logOut}>
            {t.logOut}
          </button>
        )}
      </header>
      {state.status === 'ready' ? (
        <Provider value={client}>{children}</Provider>
      ) : (
        <main id="main" className="login">
          <h1>{title}</h1>
          {state.status === 'loading' && <p role="status">{t.loading}</p>}
          {state.status === 'failed' && <p role="alert">{state.message}</p>}
          {state.status === 'anonymous' && <p>{t.noLogin}</p>}
          {state.status === 'anonymous' && state.oidc && (
            <button type="button" onClick={login.logIn}>
              {t.logIn}
            </button>
          )}
          {state.status === 'anonymous' && !state.oidc && <TokenForm onToken={login.useToken} />}
        </main>
      )}
    </>
  );
}

function TokenForm({ onToken }: { onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onToken(value);
  };
  return (
    <form onSubmit={submit} className="stack" autoComplete="off">
      <label htmlFor="dev-token">{t.devTokenLabel}</label>
      <textarea id="dev-token" rows={4} value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} />
      <button type="submit">{t.useToken}</button>
    </form>
  );
}
