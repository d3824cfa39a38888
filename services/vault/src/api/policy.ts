import type { Principal, Role } from '../auth/tokens.js';
import { VaultError } from '../domain/errors.js';

/**
 * Which roles may call each operation: the one table the resolvers enforce and the
 * authorization-matrix test reads. Finer checks follow in the resolvers: a service needs the
 * purpose in its token to record, rectify or give consent for it; a subject acts on its own id only.
 */
export const OPERATION_ROLES = {
  // queries
  subject: ['service', 'dpo', 'subject'],
  subjects: ['service', 'dpo', 'subject'],
  findSubjects: ['service', 'dpo'],
  processingRegister: ['service', 'dpo', 'subject'],
  signingKey: ['service', 'dpo', 'subject'],
  me: ['service', 'dpo', 'subject'],
  // Art. 15 and 20 answer the subject: the subject may read its own, the DPO anyone's. A service is
  // purpose-bound, and a report is every purpose at once.
  accessReport: ['dpo', 'subject'],
  portabilityExport: ['dpo', 'subject'],
  consultations: ['dpo', 'subject'],
  requests: ['dpo'],
  // The privacy centre follows the caller's own requests.
  myRequests: ['subject'],
  pendingNotifications: ['dpo'],
  legalHolds: ['dpo'],
  statistics: ['dpo'],
  retentionPreview: ['dpo'],
  // A recipient's own pull feed (issue 26); the DPO follows propagation of every subject and request.
  notifications: ['service'],
  propagation: ['dpo'],
  propagationReceipts: ['dpo'],
  // mutations
  registerSubject: ['service', 'dpo'],
  recordPersonalData: ['service'],
  rectifyPersonalData: ['service', 'dpo', 'subject'],
  erasePersonalData: ['service', 'dpo'],
  giveConsent: ['service', 'dpo', 'subject'],
  // Withdrawal and objection may shred data at once (marketing): a service records them only for
  // purposes its token carries; the DPO and the subject for any.
  withdrawConsent: ['service', 'dpo', 'subject'],
  objectToProcessing: ['service', 'dpo', 'subject'],
  // Weighing the subject's interests against compelling grounds is the controller's call, answerable to the DPO.
  overrideObjection: ['dpo'],
  restrictProcessing: ['dpo'],
  liftRestriction: ['dpo'],
  placeLegalHold: ['dpo'],
  releaseLegalHold: ['dpo'],
  recordLifecycleEvent: ['service', 'dpo'],
  eraseSubject: ['dpo'],
  // A link hands every value, for every purpose, to whoever holds the URL: a purpose-bound service
  // token must not be able to mint one. The DPO creates links (or completes an access request).
  createExportLink: ['dpo'],
  // Art. 20(2): the subject has its own export sent to a controller the register names; the DPO on its behalf.
  transmitPortabilityExport: ['dpo', 'subject'],
  // The privacy centre (issue 27): a subject opens its own, received now through the web form; its login verifies it.
  openRequest: ['dpo', 'subject'],
  verifyIdentity: ['dpo'],
  extendRequest: ['dpo'],
  completeRequest: ['dpo'],
  refuseRequest: ['dpo'],
  markInformed: ['dpo'],
  acknowledgeNotifications: ['service'],
  retryNotification: ['dpo'],
} as const satisfies Record<string, readonly Role[]>;

export type Operation = keyof typeof OPERATION_ROLES;

const forbidden = (message: string, path?: string) =>
  new VaultError('FORBIDDEN', message, path === undefined ? {} : { path });

export function authorize(principal: Principal, operation: Operation): void {
  if (!(OPERATION_ROLES[operation] as readonly Role[]).includes(principal.role)) {
    throw forbidden(`Role ${principal.role} may not call ${operation}`);
  }
}

/** A subject acts on its own id only. */
export function authorizeSubject(principal: Principal, subjectId: string, path = 'subjectId'): void {
  if (principal.role === 'subject' && principal.subjectId !== subjectId)
    throw forbidden('A subject may act on its own data only', path);
}

/** A service writes only for purposes its token carries. */
export function authorizePurpose(principal: Principal, purpose: string, path: string): void {
  if (principal.role === 'service' && !principal.purposes.includes(purpose)) {
    throw forbidden(`The token of service ${principal.name} does not carry purpose "${purpose}"`, path);
  }
}

/**
 * Erasing a field destroys every past value of its category (re-key): a service may do it only
 * for a category it processes, i.e. one registered for a purpose its token carries.
 */
export function authorizeCategory(
  principal: Principal,
  categoryPurposes: readonly string[] | undefined,
  path: string,
): void {
  if (
    principal.role === 'service' &&
    categoryPurposes &&
    !categoryPurposes.some((p) => principal.purposes.includes(p))
  ) {
    throw forbidden(`The token of service ${principal.name} carries no purpose this category is processed for`, path);
  }
}

/** Purposes the caller reads for: a service's token purposes; the DPO and the subject itself read for any. */
export const callerPurposes = (principal: Principal): readonly string[] | 'all' =>
  principal.role === 'service' ? principal.purposes : 'all';
