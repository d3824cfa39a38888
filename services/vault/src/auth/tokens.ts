import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  createLocalJWKSet,
  errors as joseErrors,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';

import { isProduction, type VaultConfig } from '../config/loadConfig.js';
import type { OidcSettings } from '../config/oidcSettings.js';
import { VaultError } from '../domain/errors.js';
import { makePrivateDir, writeNewPrivateFile } from '../support/privateFiles.js';

/** Who is calling, from a verified token. */
export type Principal =
  | { role: 'service'; name: string; purposes: readonly string[] }
  | { role: 'dpo'; name: string }
  | {
      role: 'subject';
      subjectId: string;
      /**
       * A login at the organisation's identity provider (OIDC), which proved who the subject is: a request the subject
       * opens records it as its verification. Absent for a token the vault's own issuer minted.
       */
      login?: { method: 'oidcLogin'; issuer: string };
    };

export type Role = Principal['role'];

/** The actor recorded in event metadata and the access log: a name or an opaque id, never personal data. */
export function actorOf(p: Principal): string {
  return p.role === 'subject' ? `subject:${p.subjectId}` : `${p.role}:${p.name}`;
}

export interface TokenVerifier {
  /**
   * Resolves the caller, or fails with UNAUTHENTICATED (never saying more than that the token is invalid or expired).
   */
  verify(token: string): Promise<Principal>;
  /** The principal of a token this verifier accepted recently, without verifying again; else undefined. */
  peek?(token: string): Principal | undefined;
  /** True when tokens are verified with a production public key or JWKS (dev tokens cannot be minted). */
  readonly production: boolean;
}

export const DEV_JWT_SECRET_FILE = 'jwt-dev.secret';
export const DEV_ISSUER = 'pdv-vault-dev';
const HS = ['HS256'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PURPOSE = /^[a-z][A-Za-z0-9]{0,63}$/;
const SUBJECT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when the configuration names a production verification key. */
export const hasProductionKey = (config: Pick<VaultConfig, 'jwtPublicKeyFile' | 'jwksFile'>): boolean =>
  Boolean(config.jwtPublicKeyFile || config.jwksFile);

/**
 * The development HS256 secret: `VAULT_JWT_SECRET`, else `<dataDir>/jwt-dev.secret`, generated on
 * first use (like the development master key). Refused when a production key is configured.
 */
export function resolveDevSecret(config: VaultConfig, options: { allowGenerate: boolean }): Uint8Array {
  if (hasProductionKey(config)) {
    throw new VaultError(
      'CONFIG_INVALID',
      'A production token key is configured (VAULT_JWT_PUBLIC_KEY_FILE or VAULT_JWKS_FILE): development tokens are ' +
        'disabled',
    );
  }
  // loadConfig refuses this configuration already; one built by hand must not slip through either.
  if (isProduction(config)) {
    throw new VaultError(
      'CONFIG_INVALID',
      'Production mode refuses development tokens: set VAULT_JWKS_FILE or VAULT_JWT_PUBLIC_KEY_FILE ' +
        "(the token issuer's public keys)",
    );
  }
  if (config.jwtSecret) return new TextEncoder().encode(config.jwtSecret);
  const file = join(config.dataDir, DEV_JWT_SECRET_FILE);
  if (!existsSync(file)) {
    if (!options.allowGenerate)
      throw new VaultError(
        'CONFIG_INVALID',
        `No token secret: set VAULT_JWT_SECRET, or start the vault once to generate ${file}`,
      );
    makePrivateDir(config.dataDir);
    try {
      writeNewPrivateFile(file, `${randomBytes(32).toString('base64url')}\n`);
    } catch (e) {
      // Another process generated it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}

/**
 * A production key file read at start: missing, unreadable or not a key, the start stops with CONFIG_INVALID naming the
 * variable.
 */
function keyFile<T>(variable: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw new VaultError('CONFIG_INVALID', `${variable} must name a readable file holding ${what}`, { cause: e });
  }
}

/** Builds the verifier the configuration asks for: a JWKS file, a PEM public key, or the development secret. */
export function createTokenVerifier(config: VaultConfig): TokenVerifier {
  // A production token without an issuer to hold it to is any token the key ever signed, for any system.
  if (isProduction(config) && !config.jwtIssuer)
    throw new VaultError('CONFIG_INVALID', 'Production mode needs VAULT_JWT_ISSUER: the iss every token must carry');
  const audience = config.jwtAudience ?? 'pdv-vault';
  // An OIDC provider's tokens verify with the same keys; the provider is an issuer the vault accepts besides its own.
  const issuers = [config.jwtIssuer, config.oidc?.issuer].filter((i): i is string => Boolean(i));
  const issuer = config.jwtIssuer ? { issuer: issuers } : {};
  const common = { audience, ...issuer, requiredClaims: ['exp'] };
  const toPrincipal = (payload: JWTPayload) =>
    config.oidc && payload.iss === config.oidc.issuer
      ? principalFromOidc(payload, config.oidc)
      : principalFrom(payload);
  const { jwksFile, jwtPublicKeyFile } = config;
  if (jwksFile) {
    const jwks: JWTVerifyGetKey = keyFile('VAULT_JWKS_FILE', 'a JWK Set (JSON)', () =>
      createLocalJWKSet(JSON.parse(readFileSync(jwksFile, 'utf8')) as Parameters<typeof createLocalJWKSet>[0]),
    );
    return verifierWith((t) => jwtVerify(t, jwks, { ...common, algorithms: ASYMMETRIC }), true, toPrincipal);
  }
  if (jwtPublicKeyFile) {
    const key = keyFile('VAULT_JWT_PUBLIC_KEY_FILE', 'a PEM public key', () =>
      createPublicKey(readFileSync(jwtPublicKeyFile, 'utf8')),
    );
    return verifierWith((t) => jwtVerify(t, key, { ...common, algorithms: ASYMMETRIC }), true, toPrincipal);
  }
  const secret = resolveDevSecret(config, { allowGenerate: true });
  return verifierWith((t) => jwtVerify(t, secret, { ...common, algorithms: HS }), false, toPrincipal);
}

/** Verified tokens kept in memory: at most this many, each for at most a minute and never past its `exp`. */
const VERIFIED_CACHE_SIZE = 10_000;
const VERIFIED_CACHE_MS = 60_000;

function verifierWith(
  verifyJwt: (token: string) => Promise<{ payload: JWTPayload }>,
  production: boolean,
  toPrincipal: (payload: JWTPayload) => Principal = principalFrom,
): TokenVerifier {
  // A service sends the same token with every request; jose verifies through WebCrypto, which
  // costs more than the rest of a small request. Remember what verified, briefly.
  const verified = new Map<string, { principal: Principal; until: number }>();
  return {
    production,
    peek(token) {
      const hit = verified.get(token);
      return hit && hit.until > Date.now() ? hit.principal : undefined;
    },
    async verify(token) {
      const hit = verified.get(token);
      if (hit && hit.until > Date.now()) return hit.principal;
      if (hit) verified.delete(token);
      let payload: JWTPayload;
      try {
        ({ payload } = await verifyJwt(token));
      } catch (e) {
        const expired = e instanceof joseErrors.JWTExpired;
        throw new VaultError('UNAUTHENTICATED', expired ? 'The token has expired' : 'The token is invalid');
      }
      const principal = toPrincipal(payload);
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(token, { principal, until: Math.min(Date.now() + VERIFIED_CACHE_MS, (payload.exp ?? 0) * 1000) });
      return principal;
    },
  };
}

/** The vault's claims: `role`, and `name` + `purposes` (service), `name` (dpo) or `sub` (subject). */
export function principalFrom(payload: JWTPayload): Principal {
  const invalid = (why: string) => new VaultError('UNAUTHENTICATED', `The token is invalid: ${why}`);
  const role = payload.role;
  if (role === 'service') {
    const { name, purposes } = payload as { name?: unknown; purposes?: unknown };
    if (typeof name !== 'string' || !NAME.test(name)) throw invalid('a service token needs a name claim');
    const list = typeof purposes === 'string' ? purposes.split(',') : purposes;
    if (!Array.isArray(list) || !list.every((p): p is string => typeof p === 'string' && PURPOSE.test(p)))
      throw invalid('purposes must be a list of purpose names');
    return { role, name, purposes: [...new Set(list)] };
  }
  if (role === 'dpo') {
    const name = (payload as { name?: unknown }).name ?? payload.sub;
    if (typeof name !== 'string' || !NAME.test(name)) throw invalid('a dpo token needs a name claim');
    return { role, name };
  }
  if (role === 'subject') {
    if (typeof payload.sub !== 'string' || !SUBJECT_ID.test(payload.sub))
      throw invalid('a subject token needs its subject id in sub');
    return { role, subjectId: payload.sub };
  }
  throw invalid('role must be service, dpo or subject');
}

/**
 * A login at the organisation's identity provider: the DPO when the role claim holds the DPO role, else the subject the
 * subject-id claim names. The token must have been issued to the pages' client.
 */
export function principalFromOidc(payload: JWTPayload, oidc: OidcSettings): Principal {
  const invalid = (why: string) => new VaultError('UNAUTHENTICATED', `The token is invalid: ${why}`);
  const client = (payload as { client_id?: unknown }).client_id ?? (payload as { azp?: unknown }).azp;
  if (client !== oidc.clientId) throw invalid('it was not issued to the configured client');
  const roles = (payload as Record<string, unknown>)[oidc.roleClaim];
  const list = typeof roles === 'string' ? roles.split(' ') : Array.isArray(roles) ? roles : [];
  if (list.includes(oidc.dpoRole)) {
    if (typeof payload.sub !== 'string' || !NAME.test(payload.sub)) throw invalid('the DPO needs a name in sub');
    return { role: 'dpo', name: payload.sub };
  }
  const subjectId = (payload as Record<string, unknown>)[oidc.subjectClaim];
  if (typeof subjectId !== 'string' || !SUBJECT_ID.test(subjectId))
    throw invalid(`a subject's login needs its subject id in ${oidc.subjectClaim}`);
  return { role: 'subject', subjectId, login: { method: 'oidcLogin', issuer: oidc.issuer } };
}

export interface MintOptions {
  /** Lifetime, e.g. `8h`, `30m`, `7d`. Default `8h`. */
  expiresIn?: string;
}

/** Mints a development token with the development secret. Refuses when a production key is configured. */
export async function mintDevToken(
  config: VaultConfig,
  principal: Principal,
  options: MintOptions = {},
): Promise<string> {
  const secret = resolveDevSecret(config, { allowGenerate: true });
  const claims: JWTPayload =
    principal.role === 'service'
      ? { role: 'service', name: principal.name, purposes: [...principal.purposes] }
      : principal.role === 'dpo'
        ? { role: 'dpo', name: principal.name }
        : { role: 'subject' };
  principalFrom({ ...claims, ...(principal.role === 'subject' ? { sub: principal.subjectId } : {}) });
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setIssuer(config.jwtIssuer ?? DEV_ISSUER)
    .setAudience(config.jwtAudience ?? 'pdv-vault')
    .setExpirationTime(options.expiresIn ?? '8h');
  if (principal.role === 'subject') jwt.setSubject(principal.subjectId);
  else jwt.setSubject(principal.name);
  return jwt.sign(secret);
}
