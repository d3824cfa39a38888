import { Readable } from 'node:stream';

import type { FastifyInstance, FastifyReply } from 'fastify';

import { isVaultError, VaultError } from '../../domain/errors.js';
import { REPORT_LANGUAGES, type ReportLanguage } from '../../domain/register.js';
import { type AccessReportDoc, renderAccessReportHtml, reportHtmlPolicy } from '../../rights/reportHtml.js';
import { negotiateReportLanguage, reportLanguageOf } from '../../rights/reportLanguages.js';
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
  app.get<{ Params: { token: string }; Querystring: Record<string, unknown> }>(
    '/exports/:token',
    { exposeHeadRoute: false },
    async (request, reply) => {
      void reply
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff');
      // Checked before the link is touched: a wrong parameter never spends it.
      const form = readableForm(request.query, request.headers['accept-language']);
      if (typeof form === 'string') return reply.code(400).send({ code: 'BAD_USER_INPUT', message: form });
      let download: Download;
      try {
        // The link is a bearer credential: whoever holds it reads the report, so the read is logged
        // like any other disclosure, before the link is spent (a full access log leaves it usable).
        download = await vault.rights.redeem(request.params.token, (d) => {
          // Thrown here, the link stays usable: the export is for machines and has no readable form.
          if (form.html && d.kind !== 'ACCESS')
            throw new VaultError('BAD_USER_INPUT', 'Only the access report has a readable form: download this as JSON');
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
          return reply
            .code(410)
            .send({ code: 'LINK_GONE', message: `${e.message}; ask the controller for a new link` });
        if (isVaultError(e, 'BAD_USER_INPUT')) return reply.code(400).send({ code: e.code, message: e.message });
        if (isVaultError(e, 'STORE_UNAVAILABLE'))
          return reply.code(503).send({
            code: 'SERVICE_UNAVAILABLE',
            message: 'The download cannot be served now; the link is still valid, try again later',
          });
        throw e;
      }
      if (form.html) return sendReadable(reply, download, form.language, vault, `${publicUrl()}${JWKS_PATH}`);
      // A body that fails (a category shredded while it streams fails it before its last chunk) makes
      // Fastify destroy the socket: the client gets fewer bytes than the content-length, never the
      // whole signed report. The link stays spent, as for any transfer that breaks once begun; a new
      // one from the controller serves what is left, with the shredded categories shown erased.
      // Readable.from asks for one chunk at a time, so the report is checked close to the socket.
      const body = Readable.from(download.body);
      // With request logging off, Fastify logs nothing of a body that fails after the headers.
      // The code only: no detail.
      body.on('error', (e) => request.log.warn({ code: isVaultError(e) ? e.code : 'INTERNAL' }, 'download aborted'));
      return reply
        .code(200)
        .header('content-type', 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${FILE_NAMES[download.kind]}"`)
        .header('content-length', download.signature.bytes)
        .header('vault-signature', download.jws)
        .header('vault-signing-key', `${publicUrl()}${JWKS_PATH}`)
        .send(body);
    },
  );
  app.get(JWKS_PATH, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').send({ keys: [vault.signer.publicJwk] }),
  );
}

/**
 * Whether a download asks for the readable form (`?format=html`) and in which language
 * (`?language=nb`, else the `Accept-Language` header's, else English); a message for a parameter
 * the route does not know.
 */
function readableForm(
  query: Record<string, unknown>,
  acceptLanguage: string | undefined,
): { html: boolean; language: ReportLanguage } | string {
  const { format = 'json', language } = query;
  if (format !== 'json' && format !== 'html') return 'format must be json or html';
  if (language === undefined) return { html: format === 'html', language: negotiateReportLanguage(acceptLanguage) };
  const chosen = typeof language === 'string' ? reportLanguageOf(language) : undefined;
  if (!chosen) return `language must be one of ${REPORT_LANGUAGES.join(', ')}`;
  return { html: format === 'html', language: chosen };
}

/**
 * The access report as a page a person reads, built from the signed bytes once they are all
 * checked (the body fails before its last chunk otherwise): in memory, unlike the JSON, which
 * streams. The page carries those bytes, their digest and the signature; no signature header, as
 * the signature covers the JSON, not the page.
 */
async function sendReadable(
  reply: FastifyReply,
  download: Download,
  language: ReportLanguage,
  vault: Vault,
  keyUrl: string,
): Promise<FastifyReply> {
  let text = '';
  try {
    for await (const chunk of download.body) text += chunk;
  } catch (e) {
    if (!isVaultError(e, 'KEY_SHREDDED')) throw e;
    return reply.code(409).send({
      code: 'KEY_SHREDDED',
      message: 'Data was erased while the report was made; ask the controller for a new link',
    });
  }
  const html = renderAccessReportHtml(JSON.parse(text) as AccessReportDoc, vault.register, language, {
    text,
    sha256: download.signature.sha256,
    jws: download.jws,
    keyUrl,
  });
  return reply
    .code(200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-language', language)
    .header('content-security-policy', reportHtmlPolicy())
    .header('content-disposition', `inline; filename="access-report.${language}.html"`)
    .send(html);
}
