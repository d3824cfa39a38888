import { objectionReaches } from '../access.js';
import { badInput, VaultError } from '../errors.js';
import { type CommandOf, type Decider, plain } from './command.js';
import { objectionReleases, releaseEvents } from './consentReleases.js';
import { checkKnownPurpose } from './guards.js';
import { reactionShreds } from './reactionShreds.js';

/** Objections (Art. 21): raised by the subject, overridden by the DPO on compelling grounds. */

/**
 * An objection lies against direct marketing, and against processing on legitimate interests or a
 * public task; not against what a contract or a law requires. It shreds at once what the register
 * shreds for it, unless a hold keeps it, and one to direct marketing erases each value that was
 * kept for it alone (objectionReleases); the same objection twice records nothing new.
 */
export const objectToProcessing: Decider<CommandOf<'ObjectToProcessing'>> = (state, command, { register, now }) => {
  checkKnownPurpose(register, command.purpose, 'purpose');
  const purpose = register.purposes[command.purpose];
  const objectable = Object.values(register.categories).some(
    (c) => c.purposes.includes(command.purpose) && objectionReaches(c, purpose),
  );
  if (!objectable) {
    throw new VaultError(
      'FORBIDDEN',
      `Processing for ${command.purpose} rests on no basis an objection lies against ` +
        '(legitimate interests, a public task, direct marketing)',
      { path: 'purpose' },
    );
  }
  if (state.objections[command.purpose]) return [];
  const shreds = reactionShreds(state, register, now, command.purpose, 'onObjection', 'objection');
  const shredding = new Set(shreds.map((e) => (e.data as { category: string }).category));
  const releases = objectionReleases(state, register, command.purpose, now, shredding);
  return [
    { type: 'ObjectionRaised', data: { purpose: command.purpose } },
    ...shreds,
    ...releaseEvents(state, command.purpose, releases, command.remaining, 'objection'),
  ];
};

/** Art. 21(1): compelling legitimate grounds override a standing objection; never one to direct marketing (21(3)). */
export const overrideObjection: Decider<CommandOf<'OverrideObjection'>> = (state, command, { register }) => {
  checkKnownPurpose(register, command.purpose, 'purpose');
  if (register.purposes[command.purpose]!.directMarketing) {
    throw new VaultError(
      'FORBIDDEN',
      `An objection to direct marketing (${command.purpose}) cannot be overridden (Art. 21(3))`,
      { path: 'purpose' },
    );
  }
  if (!Object.hasOwn(state.objections, command.purpose)) {
    throw new VaultError('NOT_FOUND', `No objection to ${command.purpose} stands`, { path: 'purpose' });
  }
  if (!command.grounds.trim()) {
    throw badInput('An override needs its compelling legitimate grounds (Art. 21(1))', 'grounds');
  }
  return [{ type: 'ObjectionOverridden', data: { purpose: command.purpose, grounds: plain(command.grounds) } }];
};
