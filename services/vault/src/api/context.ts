import { randomUUID } from 'node:crypto';

import { GraphQLError } from 'graphql';

import { actorOf, type Principal, type TokenVerifier } from '../auth/tokens.js';
import { isVaultError } from '../domain/errors.js';
import { REQUESTS_CATEGORY } from '../domain/events.js';
import type { Vault } from '../vault.js';
import type { AccessRecorder } from './accessRecorder.js';
import { bearerToken } from './bearer.js';
import type { ApiLimits } from './limits.js';
import { createLoaders, type Loaders } from './loaders.js';
import { callerPurposes } from './policy.js';

/** Everything a resolver may use, built fresh for each request. */
export interface ApiContext {
  vault: Vault;
  principal: Principal;
  /** The principal as recorded in event metadata and the access log. */
  actor: string;
  loaders: Loaders;
  access: AccessRecorder;
  limits: ApiLimits;
  /**
   * Subjects this request may still read beyond what its fields counted before it ran (set by the
   * limits plugin): a lookup that matches several subjects, counted as one, draws the rest from it.
   */
  subjectReadsLeft: number;
  requestId: string;
  /** Base URL of download links: `VAULT_PUBLIC_URL`, else the address the server listens on. No trailing slash. */
  publicUrl: string;
}

export interface ContextDeps {
  vault: Vault;
  verifier: TokenVerifier;
  access: AccessRecorder;
  limits: ApiLimits;
  /** Known once the server listens (port 0 picks the port then). */
  publicUrl: () => string;
}

const unauthenticated = (message: string) =>
  new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) } },
  });

/** Authenticates the caller (HTTP 401 when that fails) and creates the request's loaders. */
export function createContextFunction(
  deps: ContextDeps,
): (authorization: string | undefined, requestId?: string) => Promise<ApiContext> {
  return async (authorization, requestId) => {
    const token = bearerToken(authorization);
    if (token === undefined) throw unauthenticated('Send Authorization: Bearer <token>');
    let principal: Principal;
    try {
      principal = await deps.verifier.verify(token);
    } catch (e) {
      throw unauthenticated(isVaultError(e, 'UNAUTHENTICATED') ? e.message : 'The token is invalid');
    }
    const actor = actorOf(principal);
    return {
      vault: deps.vault,
      principal,
      actor,
      loaders: createLoaders(deps.vault.reader, callerPurposes(principal), async (subjectIds) => {
        const texts = await deps.vault.rights.requestTexts(subjectIds);
        // The DPO's free text may name the subject: reading it is a read like any other.
        const at = deps.vault.now();
        for (const subjectId of texts.keys())
          deps.access.record({ actor, purpose: 'dataSubjectRights', subjectId, categories: [REQUESTS_CATEGORY], at });
        return texts;
      }),
      access: deps.access,
      limits: deps.limits,
      subjectReadsLeft: deps.limits.maxSubjectsPerQuery,
      requestId: requestId ?? randomUUID(),
      publicUrl: deps.publicUrl(),
    };
  };
}
