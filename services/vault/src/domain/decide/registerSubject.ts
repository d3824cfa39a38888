import { VaultError } from '../errors.js';
import type { Decider } from './command.js';

/** A subject is registered once; every other command needs it registered (decide/index.ts). */
export const registerSubject: Decider = (state) => {
  if (state.registeredAt) {
    throw new VaultError('CONFLICT', 'Subject already registered', { details: { subjectId: state.subjectId } });
  }
  return [{ type: 'SubjectRegistered', data: { subjectId: state.subjectId } }];
};
