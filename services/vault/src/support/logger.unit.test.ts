import { Writable } from 'node:stream';

import { describe, expect, it, vi } from 'vitest';

import { createLogger, lazyRequestLogger, loggablePath } from './logger.js';

describe('loggablePath', () => {
  it('drops the query string and the download token', () => {
    expect(loggablePath('/graphql?query={subject}&variables={"e":"ann@example.com"}')).toBe('/graphql');
    expect(loggablePath('/exports/SECRET-token_123?x=1')).toBe('/exports/[redacted]');
    expect(loggablePath('/exports/SECRET/more')).toBe('/exports/[redacted]');
    expect(loggablePath('//exports//SECRET')).toBe('/exports/[redacted]');
    expect(loggablePath('/EXPORTS/SECRET')).toBe('/exports/[redacted]');
    expect(loggablePath('/healthz')).toBe('/healthz');
  });

  it('is what the request serializer logs', () => {
    const lines: string[] = [];
    const logger = createLogger({
      destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
    });
    logger.info({ req: { method: 'GET', url: '/exports/SECRET', id: 'r1' } }, 'request completed');
    expect(lines.join('')).toContain('/exports/[redacted]');
    expect(lines.join('')).not.toContain('SECRET');
    // A routed request by its route; an unrouted one not by its URL at all.
    logger.info(
      { req: { method: 'GET', url: '/exports/SECRET2', id: 'r2', routeOptions: { url: '/exports/:token' } } },
      'request completed',
    );
    logger.info({ req: { method: 'GET', url: '/Exports/SECRET3', id: 'r3', routeOptions: {} } }, 'request completed');
    expect(lines.join('')).toContain('"path":"/exports/:token"');
    expect(lines.join('')).toContain('"path":"(no route)"');
    expect(lines.join('')).not.toMatch(/SECRET2|SECRET3/);
  });
});

describe('lazyRequestLogger', () => {
  const sink = () => {
    const lines: Record<string, unknown>[] = [];
    return {
      lines,
      destination: new Writable({
        write: (c, _e, done) => (lines.push(JSON.parse(String(c)) as Record<string, unknown>), done()),
      }),
    };
  };

  it('makes no pino child for a request that writes nothing at an enabled level', () => {
    const { lines, destination } = sink();
    const parent = createLogger({ level: 'warn', destination });
    const child = vi.spyOn(parent, 'child');
    const log = lazyRequestLogger(parent, { reqId: 'req-1' }, {});
    log.debug({ ms: 3 }, 'request completed');
    log.info('nothing');
    expect(log.level).toBe('warn');
    expect(log.isLevelEnabled('debug')).toBe(false);
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it('writes an enabled line through a child with the request id, redacted like any other', () => {
    const { lines, destination } = sink();
    const parent = createLogger({ level: 'info', destination });
    const log = lazyRequestLogger(parent, { reqId: 'req-2' }, {});
    log.warn({ value: 'ann@example.com', code: 'X' }, 'request failed');
    log.info('second');
    expect(lines).toEqual([
      expect.objectContaining({ reqId: 'req-2', value: '[redacted]', code: 'X', msg: 'request failed' }),
      expect.objectContaining({ reqId: 'req-2', msg: 'second' }),
    ]);
    expect(log.child({ more: 1 }).bindings()).toEqual({ reqId: 'req-2', more: 1 });
    // A level set on it is its own, as on a pino child.
    log.level = 'error';
    log.warn('dropped');
    expect(lines).toHaveLength(2);
    expect(parent.level).toBe('info');
  });

  it('gives a route with a level of its own a child at once', () => {
    const parent = createLogger({ level: 'info', destination: sink().destination });
    expect(lazyRequestLogger(parent, { reqId: 'r' }, { level: 'debug' }).level).toBe('debug');
  });
});
