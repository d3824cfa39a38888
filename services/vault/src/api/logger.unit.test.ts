import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loggablePath } from './logger.js';

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
    const logger = createLogger({ destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }) });
    logger.info({ req: { method: 'GET', url: '/exports/SECRET', id: 'r1' } }, 'request completed');
    expect(lines.join('')).toContain('/exports/[redacted]');
    expect(lines.join('')).not.toContain('SECRET');
    // A routed request by its route; an unrouted one not by its URL at all.
    logger.info({ req: { method: 'GET', url: '/exports/SECRET2', id: 'r2', routeOptions: { url: '/exports/:token' } } }, 'request completed');
    logger.info({ req: { method: 'GET', url: '/Exports/SECRET3', id: 'r3', routeOptions: {} } }, 'request completed');
    expect(lines.join('')).toContain('"path":"/exports/:token"');
    expect(lines.join('')).toContain('"path":"(no route)"');
    expect(lines.join('')).not.toMatch(/SECRET2|SECRET3/);
  });
});
