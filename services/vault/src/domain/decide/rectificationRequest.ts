import { VaultError } from '../errors.js';
import type { DomainEvent, Unsealed } from '../events.js';
import { decideRights, type RightsCommand } from '../requests.js';
import type { FieldState, SubjectState } from '../state.js';
import { type CommandOf, type DecideContext, type Decider, plain, type Writer } from './command.js';

/**
 * Art. 16 with Art. 12 and 18(1)(a): the subject rectifies directly only what it provided. Its
 * rectification of anything else (a credit score, a risk rating, a case status: the controller's or
 * a third party's) opens a rectification request with the proposed value sealed, and marks the value
 * contested (services read it as denied, CONTESTED) until the DPO completes the request (the field
 * is rectified to the proposal) or refuses it (the mark goes).
 */

/**
 * The rights decision a rectification request takes, in one place: opening and completing one follow
 * the same deadline rules as a request the DPO opens (the register's answer period, where it sets one,
 * belongs here as in decide/index.ts).
 */
const rights = (state: SubjectState, command: RightsCommand, ctx: DecideContext) =>
  decideRights(state, command, ctx.now);

/** Whether this write of a field by this writer becomes a proposal rather than a rectification. */
export const proposes = (writer: Writer | undefined, rectifying: boolean, current: FieldState | undefined): boolean =>
  writer?.role === 'subject' && rectifying && current !== undefined && current.source !== 'subject';

/**
 * The proposal for one field, sealed (by the command side) under the key of its value: the category's
 * current key, or its entry's for a value of an entry (a debt-collection case).
 */
export function proposal(
  state: SubjectState,
  at: { category: string; field: string; entry?: string },
  value: unknown,
  requestId: string,
  path: string,
): DomainEvent<Unsealed> {
  const c = state.categories[at.category]!;
  const holder = at.entry === undefined ? c : c.entries![at.entry]!;
  const contested = holder.fields[at.field]?.contested;
  if (contested) {
    const message = `${at.category}.${at.field} is already contested: request ${contested.requestId} waits for the DPO`;
    throw new VaultError('CONFLICT', message, { path, details: { requestId: contested.requestId } });
  }
  const entry = at.entry === undefined ? {} : { entry: at.entry };
  return {
    type: 'RectificationRequested',
    data: { requestId, category: at.category, field: at.field, keyId: holder.keyId, value: plain(value), ...entry },
  };
}

/**
 * The request the proposals go with: received now, through the privacy centre, from the subject
 * whose own login (its token) verified who it is.
 */
export function rectificationRequestOpened(state: SubjectState, requestId: string, ctx: DecideContext) {
  const open: RightsCommand = {
    type: 'OpenRequest',
    requestId,
    requestType: 'RECTIFICATION',
    receivedAt: ctx.now,
    channel: 'app',
  };
  const opened = rights(state, open, ctx);
  const verified: DomainEvent<Unsealed> = { type: 'IdentityVerified', data: { requestId, method: 'accountLogin' } };
  return [...opened, verified];
}

/** A request id for a subject's write that names none: the same for two writers deciding on one state. */
export const defaultRequestId = (state: SubjectState): string =>
  `${state.subjectId}/rectification/${state.revision + 1}`;

/** The name a contested value's proposal has among the opened proposals: `category.field`, `@entry` for an entry's. */
export const proposalName = (category: string, field: string, entry?: string): string =>
  entry === undefined ? `${category}.${field}` : `${category}.${field}@${entry}`;

/** The fields a request contests (the category's own and its live entries'), with their names and current keys. */
export function contestedBy(state: SubjectState, requestId: string) {
  const out: { category: string; field: string; f: FieldState; keyId: string; entry?: string }[] = [];
  for (const [category, c] of Object.entries(state.categories)) {
    for (const [field, f] of Object.entries(c.fields))
      if (f.contested?.requestId === requestId) out.push({ category, field, f, keyId: c.keyId });
    for (const [entry, e] of Object.entries(c.entries ?? {}))
      for (const [field, f] of Object.entries(e.shredded ? {} : e.fields))
        if (f.contested?.requestId === requestId) out.push({ category, field, f, keyId: e.keyId, entry });
  }
  return out;
}

/** Completing a rectification request rectifies each field it contests to the value proposed. */
export const completeRequest: Decider<CommandOf<'CompleteRequest'>> = (state, command, ctx) => {
  const done = rights(state, command, ctx);
  const rectified = contestedBy(state, command.requestId).map(({ category, field, f, keyId, entry }) => {
    const name = `${category}.${field}`;
    const proposals = command.proposals ?? {};
    const opened = proposalName(category, field, entry);
    if (f.contested!.keyId !== keyId || !Object.hasOwn(proposals, opened)) {
      // A field erased since re-keyed the category: the proposal was sealed under a key now destroyed.
      const message = `The value proposed for ${name} can no longer be opened: refuse the request and ask again`;
      throw new VaultError('CONFLICT', message, { details: { requestId: command.requestId } });
    }
    const { purpose, legalBasis, source } = f;
    const at = entry === undefined ? {} : { entry };
    const data = { category, field, keyId, value: plain(proposals[opened]), purpose, legalBasis, source, ...at };
    return { type: 'PersonalDataRectified', data } satisfies DomainEvent<Unsealed>;
  });
  return [...rectified, ...done];
};
