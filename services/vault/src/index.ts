/** The public face of the vault package: ports, domain, adapters and the composition root. */
export * from './domain/errors.js';
export * from './domain/events.js';
export * from './domain/register.js';
export * from './domain/subject.js';
export * from './domain/time.js';
export * from './domain/values.js';
export * from './ports/index.js';
export * from './adapters/sqlite/index.js';
