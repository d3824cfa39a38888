import { VaultError } from '../errors.js';
import { decideRights, type RightsCommand } from '../requests.js';
import type { SubjectState } from '../state.js';
import { recordTransmissionAttempt, requestTransmission } from '../transmissions.js';
import type { Command, CommandOf, CommandType, DecideContext, Decider, Decision } from './command.js';
import { giveConsent, withdrawConsent } from './consent.js';
import { releaseEndedPurposes } from './endedPurposes.js';
import { erasePersonalData } from './erasePersonalData.js';
import { eraseSubject } from './eraseSubject.js';
import { placeLegalHold, releaseLegalHold } from './legalHold.js';
import { recordLifecycleEvent } from './lifecycle.js';
import { objectToProcessing, overrideObjection } from './objection.js';
import { recordPersonalData, rectifyPersonalData } from './recordPersonalData.js';
import { completeRequest } from './rectificationRequest.js';
import { registerSubject } from './registerSubject.js';
import { liftRestriction, restrictProcessing } from './restriction.js';
import { applyRetention, shredCategory } from './shredding.js';

export type {
  Command,
  CommandOf,
  CommandType,
  DataItemInput,
  DecideContext,
  Decider,
  Decision,
  Writer,
} from './command.js';

/**
 * Requests, the duty to inform and export links decide in domain/requests.ts, on the decision time
 * and the controller's answer period alone.
 */
const rights: Decider<RightsCommand> = (state, command, ctx) =>
  decideRights(state, command, ctx.now, ctx.register.answerPeriod);

/** One decider per command; the compiler checks that every command has one. */
const deciders: { [K in CommandType]: Decider<CommandOf<K>> } = {
  RegisterSubject: registerSubject,
  RecordPersonalData: recordPersonalData,
  RectifyPersonalData: rectifyPersonalData,
  ErasePersonalData: erasePersonalData,
  GiveConsent: giveConsent,
  WithdrawConsent: withdrawConsent,
  ObjectToProcessing: objectToProcessing,
  OverrideObjection: overrideObjection,
  RestrictProcessing: restrictProcessing,
  LiftRestriction: liftRestriction,
  PlaceLegalHold: placeLegalHold,
  ReleaseLegalHold: releaseLegalHold,
  RecordLifecycleEvent: recordLifecycleEvent,
  ShredCategory: shredCategory,
  ApplyRetention: applyRetention,
  ReleaseEndedPurposes: releaseEndedPurposes,
  EraseSubject: eraseSubject,
  OpenRequest: rights,
  VerifyIdentity: rights,
  ExtendRequest: rights,
  CompleteRequest: completeRequest,
  RefuseRequest: rights,
  MarkInformed: rights,
  CreateExportLink: rights,
  UseExportLink: rights,
  RequestTransmission: (state, command) => requestTransmission(state, command),
  RecordTransmissionAttempt: (state, command) => recordTransmissionAttempt(state, command),
};

/**
 * The events a command leads to, or a VaultError; no I/O. Every command but RegisterSubject needs
 * the subject registered.
 */
export function decide(state: SubjectState, command: Command, ctx: DecideContext): Decision {
  if (command.type !== 'RegisterSubject' && !state.registeredAt) {
    const details = { subjectId: state.subjectId };
    throw new VaultError('NOT_FOUND', 'Subject not found', { path: 'subjectId', details });
  }
  const decider = deciders[command.type] as Decider;
  return decider(state, command, ctx);
}
