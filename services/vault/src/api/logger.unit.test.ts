import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loggablePath } from './logger.js';

describe('loggablePath', () => {
  it('drops the query string and the download token', () => {
    expect(loggablePath('/graphql?query={subject}&variables={"e":"ann@example.com"}')).toBe('/graphql');
    expect(loggablePath('/exports/SECRET-token_123?x=1')).toBe('/exports/[redacted]');
    expect(loggablePath('/exports/SECRET/more')).toBe('/exports/[redacted]/more');
    expect(loggablePath('/healthz')).toBe('/healthz');
  });

  it('is what the request serializer logs', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }) });
    logger.info({ req: { method: 'GET', url: '/exports/SECRET', id: 'r1' } }, 'request completed');
    expect(lines.join('')).toContain('/exports/[redacted]');
    expect(lines.join('')).not.toContain('SECRET');
  });
});
