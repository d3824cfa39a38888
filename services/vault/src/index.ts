/** The public face of the vault package: ports, domain, adapters and the composition root. */
export * from './adapters/kurrentdb/index.js';
export * from './adapters/localKek/index.js';
export * from './adapters/postgres/index.js';
export * from './adapters/sqlite/index.js';
export * from './adapters/webhooks/index.js';
export * from './api/index.js';
export {
  actorOf,
  createTokenVerifier,
  hasProductionKey,
  mintDevToken,
  type Principal,
  principalFrom,
  type Role,
  type TokenVerifier,
} from './auth/tokens.js';
export * from './cli/auditErasure.js';
export * from './commands/importPlan.js';
export * from './commands/importSubjects.js';
export * from './commands/sealDecision.js';
export * from './commands/SubjectCommands.js';
export * from './commands/sweepRetention.js';
export * from './config/loadConfig.js';
export * from './config/openStores.js';
export * from './crypto/index.js';
export * from './domain/access.js';
export * from './domain/errors.js';
export * from './domain/events.js';
export * from './domain/propagation.js';
export * from './domain/register.js';
export * from './domain/requests.js';
export * from './domain/retention.js';
export * from './domain/subject.js';
export * from './domain/time.js';
export * from './domain/values.js';
export * from './observability/healthFacts.js';
export * from './observability/metrics.js';
export * from './observability/metricsPrometheus.js';
export * from './ports/index.js';
export * from './projections/Projector.js';
export * from './propagation/Propagation.js';
export * from './propagation/propagationReceipt.js';
export * from './read/preparedValues.js';
export * from './read/SubjectReader.js';
export * from './register/index.js';
export * from './rights/eraseSubject.js';
export * from './rights/reports.js';
export * from './rights/SubjectRights.js';
export { createLogger, loggablePath, type LoggerOptions, REDACT_PATHS } from './support/logger.js';
export * from './support/uuidv7.js';
export { fixtureRegister } from './testing/fixtureRegister.js';
export * from './vault.js';
