/** The HTTP and GraphQL API: the server, the authorization table and the limits. */
export { AccessRecorder, type AccessRecorderOptions } from './accessRecorder.js';
export { createFormatError, scrubValues } from './formatError.js';
export { type ApiLimits, DEFAULT_LIMITS } from './limits.js';
export { type Operation, OPERATION_ROLES } from './policy.js';
export { JWKS_PATH, type RunningServer, type ServerOptions, startServer } from './server.js';
