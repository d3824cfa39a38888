/** The HTTP and GraphQL API: the server, the authorization table and the limits. */
export { JWKS_PATH, startServer, type RunningServer, type ServerOptions } from './server.js';
export { OPERATION_ROLES, type Operation } from './policy.js';
export { DEFAULT_LIMITS, type ApiLimits } from './limits.js';
export { AccessRecorder, type AccessRecorderOptions } from './accessRecorder.js';
export { createFormatError, scrubValues } from './formatError.js';
