import { Readable } from 'node:stream';

import type { FastifyInstance } from 'fastify';

import { isVaultError } from '../../domain/errors.js';
import { type Download, DOWNLOAD_ACTOR } from '../../rights/SubjectRights.js';
import type { Vault } from '../../vault.js';
import type { AccessRecorder } from '../accessRecorder.js';

/** Path of the public signing key (RFC 7517 JWK Set), as standard JOSE tools expect it. */
export const JWKS_PATH = '/.well-known/jwks.json';

const FILE_NAMES: Record<Download['kind'], string> = {
  ACCESS: 'access-report.json',
  PORTABILITY: 'portability-export.json',
};

export interface DownloadRouteOptions {
  vault: Vault;
  access: AccessRecorder;
  publicUrl: () => string;
}

/**
 * The subjects' one-time downloads at `/exports/:token`, and the key that verifies them at `/.well-known/jwks.json`.
 */
export async function downloadRoutes(
  app: FastifyInstance,
  { vault, access, publicUrl }: DownloadRouteOptions,
): Promise<void> {
  // No token: the link is the credential. No HEAD route either: a HEAD would use up the link.
  app.get<{ Params: { token: string } }>('/exports/:token', { exposeHeadRoute: false }, async (request, reply) => {
    void reply
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff');
    let download: Download;
    try {
      // The link is a bearer credential: whoever holds it reads the report, so the read is logged
      // like any other disclosure, before the link is spent (a full access log leaves it usable).
      download = await vault.rights.redeem(request.params.token, (d) => {
        if (d.categories.length > 0)
          access.record({
            actor: DOWNLOAD_ACTOR,
            purpose: 'dataSubjectRights',
            subjectId: d.subjectId,
            categories: d.categories,
            at: vault.now(),
          });
      });
    } catch (e) {
      // Fixed messages: neither answer says whether the subject (or the link's subject) exists.
      if (isVaultError(e, 'NOT_FOUND'))
        return reply.code(404).send({ code: 'NOT_FOUND', message: 'Unknown download link' });
      if (isVaultError(e, 'LINK_GONE'))
        return reply.code(410).send({ code: 'LINK_GONE', message: `${e.message}; ask the controller for a new link` });
      if (isVaultError(e, 'STORE_UNAVAILABLE'))
        return reply.code(503).send({
          code: 'SERVICE_UNAVAILABLE',
          message: 'The download cannot be served now; the link is still valid, try again later',
        });
      throw e;
    }
    // A body that fails (a category shredded while it streams fails it before its last chunk) makes
    // Fastify destroy the socket: the client gets fewer bytes than the content-length, never the
    // whole signed report. The link stays spent, as for any transfer that breaks once begun; a new
    // one from the controller serves what is left, with the shredded categories shown erased.
    // Readable.from asks for one chunk at a time, so the report is checked close to the socket.
    const body = Readable.from(download.body);
    // With request logging off, Fastify logs nothing of a body that fails after the headers. The code only: no detail.
    body.on('error', (e) => request.log.warn({ code: isVaultError(e) ? e.code : 'INTERNAL' }, 'download aborted'));
    return reply
      .code(200)
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${FILE_NAMES[download.kind]}"`)
      .header('content-length', download.signature.bytes)
      .header('vault-signature', download.jws)
      .header('vault-signing-key', `${publicUrl()}${JWKS_PATH}`)
      .send(body);
  });
  app.get(JWKS_PATH, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').send({ keys: [vault.signer.publicJwk] }),
  );
}
