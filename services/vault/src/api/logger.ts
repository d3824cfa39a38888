import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino censors wherever they appear in a log object. Nothing the API logs should hold a
 * value in the first place; this is the second line: tokens, GraphQL variables, values, and the
 * lookup identifiers that are personal data.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'variables',
  '*.variables',
  'value',
  '*.value',
  'items',
  '*.items',
  'email',
  '*.email',
  'phone',
  '*.phone',
  'body',
  '*.body',
  'query',
  '*.query',
];

/**
 * A request path as it may be logged: no query string (a GET /graphql URL carries variables), and
 * no download token (the path of a download link is its secret).
 */
export function loggablePath(url: string | undefined): string | undefined {
  const path = url?.split('?')[0];
  // Anything under /exports, however written: the rest of the path may be a link's token.
  return path !== undefined && /^\/+exports(\/|$)/i.test(path) ? '/exports/[redacted]' : path;
}

export interface LoggerOptions {
  /** pino level. Default `info`. */
  level?: string;
  /** Where lines go. Default stdout. */
  destination?: DestinationStream;
}

/** The vault's logger: redacting, and with request serializers that drop query strings and headers. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        // A request Fastify routed is logged by its route (`/exports/:token`, never the token), one it
        // did not as `(no route)`: a near-miss URL (`/EXPORTS/…`, `/exports//…`) may carry a live link.
        req: (req: { method?: string; url?: string; id?: string; routeOptions?: { url?: string } }) => ({
          method: req.method,
          path: req.routeOptions ? (req.routeOptions.url ?? '(no route)') : loggablePath(req.url),
          id: req.id,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: (err: { name?: string; code?: unknown; statusCode?: unknown }) => ({ type: err.name, code: err.code, statusCode: err.statusCode }),
      },
    },
    options.destination,
  );
}
