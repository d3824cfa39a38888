/** The public face of the vault package: ports, domain, adapters and the composition root. */
export * from './domain/errors.js';
export * from './domain/events.js';
export * from './domain/register.js';
export * from './domain/subject.js';
export * from './domain/time.js';
export * from './domain/values.js';
export * from './ports/index.js';
export * from './adapters/sqlite/index.js';
export * from './adapters/postgres/index.js';
export * from './adapters/kurrentdb/index.js';
export * from './domain/access.js';
export * from './crypto/index.js';
export * from './register/index.js';
export * from './config/loadConfig.js';
export * from './commands/SubjectCommands.js';
export * from './projections/Projector.js';
export * from './read/SubjectReader.js';
export * from './read/preparedValues.js';
export * from './rights/eraseSubject.js';
export * from './vault.js';
export { fixtureRegister } from './testing/fixtureRegister.js';
export * from './commands/sealDecision.js';
export * from './config/openStores.js';
export {
  actorOf,
  createTokenVerifier,
  hasProductionKey,
  mintDevToken,
  principalFrom,
  type Principal,
  type Role,
  type TokenVerifier,
} from './auth/tokens.js';
export * from './api/index.js';
export * from './domain/retention.js';
export * from './commands/sweepRetention.js';
export * from './domain/requests.js';
export * from './rights/SubjectRights.js';
export * from './rights/reports.js';
export * from './support/uuidv7.js';
export { createLogger, loggablePath, REDACT_PATHS, type LoggerOptions } from './support/logger.js';
export * from './cli/auditErasure.js';
export * from './adapters/localKek/index.js';
