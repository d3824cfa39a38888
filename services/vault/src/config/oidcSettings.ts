import { VaultError } from '../domain/errors.js';

/**
 * Login to the privacy centre and the DPO console through the organisation's identity provider (OpenID Connect,
 * authorization code with PKCE in the browser). The vault verifies the access tokens the provider issues with its
 * ordinary token settings (`VAULT_JWKS_FILE` or `VAULT_JWT_PUBLIC_KEY_FILE`, `VAULT_JWT_AUDIENCE`) and maps their
 * claims to its roles with these.
 */
export interface OidcSettings {
  /** `VAULT_OIDC_ISSUER`: the provider's issuer URL; a token with this `iss` is read as an OIDC login. */
  issuer: string;
  /** `VAULT_OIDC_CLIENT_ID`: the pages' client id at the provider; a login token must carry it in `client_id`/`azp`. */
  clientId: string;
  /** `VAULT_OIDC_ROLE_CLAIM`: the claim that holds the user's roles (a string or a list). Default `roles`. */
  roleClaim: string;
  /** `VAULT_OIDC_DPO_ROLE`: the value of the role claim that makes a user the DPO. Default `dpo`. */
  dpoRole: string;
  /** `VAULT_OIDC_SUBJECT_CLAIM`: the claim that holds the user's subject id in the vault. Default `pdv_subject_id`. */
  subjectClaim: string;
  /** `VAULT_OIDC_SCOPE`: the scopes the pages ask for. Default `openid offline_access`. */
  scope: string;
}

const CLAIM = /^[A-Za-z_][A-Za-z0-9_.:/-]{0,127}$/;

function claimName(value: string, name: string): string {
  if (!CLAIM.test(value)) throw new VaultError('CONFIG_INVALID', `${name} must be a claim name`);
  return value;
}

/** The OIDC settings, or none when `VAULT_OIDC_ISSUER` is unset (the pages then take a pasted token). */
export function loadOidcSettings(env: NodeJS.ProcessEnv): { oidc?: OidcSettings } {
  const issuer = env.VAULT_OIDC_ISSUER;
  if (!issuer) {
    if (env.VAULT_OIDC_CLIENT_ID)
      throw new VaultError(
        'CONFIG_INVALID',
        'VAULT_OIDC_CLIENT_ID needs VAULT_OIDC_ISSUER (the provider to log in at)',
      );
    return {};
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new VaultError('CONFIG_INVALID', 'VAULT_OIDC_ISSUER must be the identity provider’s issuer URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new VaultError('CONFIG_INVALID', 'VAULT_OIDC_ISSUER must be an http(s) URL');
  const clientId = env.VAULT_OIDC_CLIENT_ID;
  if (!clientId || !/^[\x21-\x7e]{1,200}$/.test(clientId))
    throw new VaultError('CONFIG_INVALID', 'VAULT_OIDC_CLIENT_ID must name the pages’ client at the provider');
  const scope = env.VAULT_OIDC_SCOPE || 'openid offline_access';
  if (!/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(scope) || !scope.split(' ').includes('openid'))
    throw new VaultError('CONFIG_INVALID', 'VAULT_OIDC_SCOPE must be space-separated scopes including openid');
  return {
    oidc: {
      issuer,
      clientId,
      roleClaim: claimName(env.VAULT_OIDC_ROLE_CLAIM || 'roles', 'VAULT_OIDC_ROLE_CLAIM'),
      dpoRole: env.VAULT_OIDC_DPO_ROLE || 'dpo',
      subjectClaim: claimName(env.VAULT_OIDC_SUBJECT_CLAIM || 'pdv_subject_id', 'VAULT_OIDC_SUBJECT_CLAIM'),
      scope,
    },
  };
}
