import type { FastifyReply } from 'fastify';

/**
 * A refusal in the API's error format, `{ errors: [{ message, extensions: { code } }] }`, for
 * what is answered before GraphQL runs. The message is fixed text: never a value from the request.
 */
export function sendFailure(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  extensions: Record<string, unknown> = {},
): FastifyReply {
  return reply.code(status).send({ errors: [{ message, extensions: { code, ...extensions } }] });
}

/**
 * Client-facing codes and messages for failures Fastify raises before a route runs; generic, since a parser error may
 * quote the body.
 */
export function httpFailure(status: number): { code: string; message: string } {
  if (status === 413) return { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than the limit' };
  if (status === 415) return { code: 'BAD_REQUEST', message: 'Unsupported content type; send application/json' };
  if (status === 429) return { code: 'RATE_LIMITED', message: 'Too many requests for this token; retry later' };
  if (status === 503)
    return { code: 'SERVICE_UNAVAILABLE', message: 'The request did not finish in time; retry later' };
  if (status >= 400 && status < 500) return { code: 'BAD_REQUEST', message: 'The request is malformed' };
  return { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
}
