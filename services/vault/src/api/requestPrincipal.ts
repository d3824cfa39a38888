import type { FastifyRequest } from 'fastify';

import type { Principal, TokenVerifier } from '../auth/tokens.js';
import { bearerToken } from './bearer.js';

const principals = new WeakMap<FastifyRequest, Promise<Principal | undefined>>();

/**
 * The principal of a request's bearer token once its signature is checked, or undefined (no
 * token, or one that does not verify). Verified once per request, whatever asks first (the rate
 * limiter, the trusted-documents gate); the GraphQL context verifies through the same cache.
 */
export function requestPrincipal(request: FastifyRequest, verifier: TokenVerifier): Promise<Principal | undefined> {
  let p = principals.get(request);
  if (!p) {
    const token = bearerToken(request.headers.authorization);
    p = token === undefined ? Promise.resolve(undefined) : verifier.verify(token).catch(() => undefined);
    principals.set(request, p);
  }
  return p;
}
