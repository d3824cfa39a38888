import { type Bindings, type ChildLoggerOptions, type DestinationStream, type LogFn, type Logger, pino } from 'pino';

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
        err: (err: { name?: string; code?: unknown; statusCode?: unknown }) => ({
          type: err.name,
          code: err.code,
          statusCode: err.statusCode,
        }),
      },
    },
    options.destination,
  );
}

/**
 * Fastify's per-request logger (`request.log`, bound to the request id), made when the request
 * first writes a line at an enabled level. A pino child runs the redaction over its bindings
 * when it is made (about 3 µs and a kilobyte of garbage a request, on every request), and most
 * requests write nothing at the levels a service runs at. Use as Fastify's `childLoggerFactory`.
 */
export function lazyRequestLogger(parent: Logger, bindings: Bindings, opts: ChildLoggerOptions): Logger {
  // A route with a level of its own gets its child at once: the parent's level would not say what it writes.
  if (opts.level !== undefined) return parent.child(bindings, opts);
  return new LazyChild(parent, bindings, opts) as unknown as Logger;
}

class LazyChild {
  private made: Logger | undefined;
  constructor(
    private readonly parent: Logger,
    private readonly bindingsGiven: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {}

  private get logger(): Logger {
    return (this.made ??= this.parent.child(this.bindingsGiven, this.opts));
  }
  /** The child if made, else the parent: whose level stands. */
  private get current(): Logger {
    return this.made ?? this.parent;
  }
  get level(): string {
    return this.current.level;
  }
  set level(level: string) {
    this.logger.level = level;
  }
  isLevelEnabled(level: string): boolean {
    return this.current.isLevelEnabled(level);
  }
  /** Writes through the child (made now) only when the level is enabled. */
  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: Parameters<LogFn>): void {
    if (this.current.isLevelEnabled(level)) this.logger[level](...args);
  }
  fatal(...args: Parameters<LogFn>): void {
    this.write('fatal', args);
  }
  error(...args: Parameters<LogFn>): void {
    this.write('error', args);
  }
  warn(...args: Parameters<LogFn>): void {
    this.write('warn', args);
  }
  info(...args: Parameters<LogFn>): void {
    this.write('info', args);
  }
  debug(...args: Parameters<LogFn>): void {
    this.write('debug', args);
  }
  trace(...args: Parameters<LogFn>): void {
    this.write('trace', args);
  }
  silent(): void {}
  child(bindings: Bindings, opts?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, opts);
  }
  bindings(): Bindings {
    return this.logger.bindings();
  }
}
