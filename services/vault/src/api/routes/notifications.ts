import type { FastifyInstance } from 'fastify';

import { isVaultError } from '../../domain/errors.js';
import type { Vault } from '../../vault.js';
import { sendFailure } from './failures.js';

/** Where a recipient acknowledges notifications: `POST /notifications/<recipient>/acknowledgements`. */
export const ACKNOWLEDGEMENTS_PATH = '/notifications/:recipient/acknowledgements';

const STATUS: Record<string, number> = { SIGNATURE_INVALID: 401, NOT_FOUND: 404, BAD_USER_INPUT: 400 };

/**
 * A recipient's signed callback (Art. 19): `{ "notificationIds": [...] }`, signed per Standard Webhooks with the
 * same secret its webhooks are signed with, says it has acted on those notifications. Each is recorded as an
 * acknowledgement event. The body is checked byte for byte, so it is taken as text, not parsed first.
 */
export async function notificationRoutes(app: FastifyInstance, { vault }: { vault: Vault }): Promise<void> {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) =>
    done(null, body),
  );
  app.post<{ Params: { recipient: string }; Body: string }>(ACKNOWLEDGEMENTS_PATH, async (request, reply) => {
    const propagation = vault.propagation;
    if (!propagation) return sendFailure(reply, 404, 'NOT_FOUND', 'This vault notifies no recipients');
    try {
      const done = await propagation.acknowledgeSigned(request.params.recipient, request.body, request.headers);
      return { acknowledged: done.map((s) => s.due.notificationId) };
    } catch (e) {
      if (isVaultError(e) && STATUS[e.code]) return sendFailure(reply, STATUS[e.code]!, e.code, e.message);
      throw e;
    }
  });
}
