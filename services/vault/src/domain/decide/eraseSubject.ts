import { assertCode, badInput, VaultError } from '../errors.js';
import { ERASURE_REASONS, type EventOf, type Unsealed } from '../events.js';
import { requestOf } from '../requests.js';
import { holdOn, retainedEntries } from '../retention.js';
import { categoryKeyIds, liveEntryKeyIds, type SubjectState } from '../state.js';
import type { CommandOf, Decider } from './command.js';

type Shredded = EventOf<'CategoryShredded', Unsealed>;
type Retained = EventOf<'SubjectErased', Unsealed>['data']['retained'][number];

/**
 * Erasure of the subject (Art. 17): every category key no hold covers is shredded; held categories
 * are retained with their basis and end date, and each value's own end where the period runs per
 * entry, for the certificate. Erasing twice decides nothing.
 */
export const eraseSubject: Decider<CommandOf<'EraseSubject'>> = (state, command, { register, now }) => {
  assertCode(ERASURE_REASONS, command.reason, 'reason');
  if (command.requestId !== undefined) checkErasureRequest(state, command.requestId);
  if (state.erasedAt) return [];
  // Only this subject's keys, and only ones no category of its state holds now.
  const current = new Set(Object.values(state.categories).map((c) => c.keyId));
  if (command.strayKeyIds?.some((id) => !id.startsWith(`${state.subjectId}/`) || current.has(id))) {
    const message = 'strayKeyIds may name only keys of this subject that no category holds';
    throw new VaultError('BAD_USER_INPUT', message, { path: 'strayKeyIds' });
  }
  const shredded: Shredded[] = [];
  const retained: Retained[] = [];
  for (const [name, c] of Object.entries(state.categories)) {
    // A category whose own key is gone may still have entries with theirs.
    if (c.shredded && liveEntryKeyIds(c).length === 0) continue;
    const hold = holdOn(state, register.categories[name], name, now);
    const entries = hold && retainedEntries(state, register.categories[name], name, hold.until);
    if (hold) retained.push({ category: name, basis: hold.basis, until: hold.until, ...(entries ? { entries } : {}) });
    else {
      const keyIds = categoryKeyIds(c);
      shredded.push({ type: 'CategoryShredded', data: { category: name, keyIds, reason: 'erasure' } });
    }
  }
  return [
    ...shredded,
    {
      type: 'SubjectErased',
      data: {
        reason: command.reason,
        ...(command.requestId ? { requestId: command.requestId } : {}),
        shredded: shredded.map((e) => e.data.category),
        retained,
        ...(command.strayKeyIds?.length ? { strayKeyIds: command.strayKeyIds } : {}),
      },
    },
  ];
};

/** A request id is a reference, never free text: it must name one of this subject's erasure requests, still open. */
function checkErasureRequest(state: SubjectState, requestId: string): void {
  const request = requestOf(state, requestId);
  if (!request) throw new VaultError('NOT_FOUND', 'No such request for this subject', { path: 'requestId' });
  if (request.requestType !== 'ERASURE') {
    throw badInput(`Request is a ${request.requestType} request, not an erasure request`, 'requestId');
  }
  if (request.status !== 'OPEN') {
    throw new VaultError('CONFLICT', `Request is already ${request.status.toLowerCase()}`, { path: 'requestId' });
  }
}
