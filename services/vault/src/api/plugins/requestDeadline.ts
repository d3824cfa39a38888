import type { FastifyInstance } from 'fastify';

import { sendFailure } from '../routes/failures.js';

/**
 * A deadline on the requests of the routes it is registered beside, so no request waits forever
 * on something that never answers (and shutdown, which lets in-flight requests finish, cannot hang
 * on one): past `ms`, 503 SERVICE_UNAVAILABLE. The work it started is not undone. Registered in the
 * GraphQL routes only: downloads stream for as long as the client reads. Not Fastify's
 * `handlerTimeout`: on Node 20 it clears its timer once a request body has been read (the
 * request's 'close'), so a POST is never bounded.
 */
export function addRequestDeadline(app: FastifyInstance, ms: number): void {
  if (ms <= 0) return;
  app.addHook('onRequest', async (request, reply) => {
    const timer = setTimeout(() => {
      if (reply.sent || reply.raw.headersSent) return;
      request.log.warn({ ms }, 'request timed out');
      sendFailure(reply, 503, 'SERVICE_UNAVAILABLE', 'The request did not finish in time; retry later');
    }, ms);
    reply.raw.once('close', () => clearTimeout(timer));
  });
}
