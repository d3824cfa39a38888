import { assertCode, badInput, VaultError } from '../errors.js';
import { ERASURE_REASONS, type EventOf, type RetainedValue, type Unsealed } from '../events.js';
import type { CategorySpec } from '../register.js';
import { requestOf } from '../requests.js';
import { entryEvent, entryHoldOn, type Hold, holdOn, latestHold, retainedEntries } from '../retention.js';
import { categoryKeyIds, type CategoryState, liveEntryKeyIds, type SubjectState } from '../state.js';
import type { CommandOf, Decider } from './command.js';

type Shredded = EventOf<'CategoryShredded', Unsealed>;
type Retained = EventOf<'SubjectErased', Unsealed>['data']['retained'][number];

/**
 * Erasure of the subject (Art. 17): every category key no hold covers is shredded; held categories
 * are retained with their basis and end date, and each value's own end where the period runs per
 * entry, for the certificate. Where a category's entries run on their own clocks, each entry is
 * kept or shredded on its own holds (a DPO hold on one case keeps that case alone). Erasing twice
 * decides nothing.
 */
export const eraseSubject: Decider<CommandOf<'EraseSubject'>> = (state, command, { register, now }) => {
  assertCode(ERASURE_REASONS, command.reason, 'reason');
  if (command.requestId !== undefined) checkErasureRequest(state, command.requestId);
  if (state.erasedAt) return [];
  // Only this subject's keys, and only ones no category or entry of its state holds now.
  const current = new Set(
    Object.values(state.categories).flatMap((c) => [c.keyId, ...Object.values(c.entries ?? {}).map((e) => e.keyId)]),
  );
  if (command.strayKeyIds?.some((id) => !id.startsWith(`${state.subjectId}/`) || current.has(id))) {
    const message = 'strayKeyIds may name only keys of this subject that no category holds';
    throw new VaultError('BAD_USER_INPUT', message, { path: 'strayKeyIds' });
  }
  const shredded: Shredded[] = [];
  const retained: Retained[] = [];
  for (const [name, c] of Object.entries(state.categories)) {
    // A category whose own key is gone may still have entries with theirs.
    if (c.shredded && liveEntryKeyIds(c).length === 0) continue;
    const spec = register.categories[name];
    if (entryEvent(spec) && liveEntryKeyIds(c).length > 0) {
      const { shreds, kept } = erasePerEntry(state, spec!, name, c, now);
      shredded.push(...shreds);
      if (kept) retained.push(kept);
      continue;
    }
    const hold = holdOn(state, spec, name, now);
    const entries = hold && retainedEntries(state, spec, name);
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
        shredded: [...new Set(shredded.map((e) => e.data.category))],
        retained,
        ...(command.strayKeyIds?.length ? { strayKeyIds: command.strayKeyIds } : {}),
      },
    },
  ];
};

/**
 * A category whose entries run on their own clocks: its own values and each live entry are kept while a hold keeps
 * them (a DPO hold on the category keeps all; one on an entry, or the law's period of an entry, that entry alone) and
 * shredded otherwise. One shred for the category's own key with its free entries; each entry's own shred where the
 * category's own values stay. The retained row lists each value kept with its end, and its basis where that differs
 * from the row's (the hold that ends last).
 */
function erasePerEntry(
  state: SubjectState,
  spec: CategorySpec,
  category: string,
  c: CategoryState,
  now: string,
): { shreds: Shredded[]; kept?: Retained } {
  const own = !c.shredded && c.keyId !== '';
  const ownHold = own ? holdOn(state, spec, category, now) : undefined;
  const holds: Hold[] = ownHold ? [ownHold] : [];
  const values: RetainedValue[] = ownHold
    ? Object.keys(c.fields).map((field) => ({ field, until: ownHold.until, basis: ownHold.basis }))
    : [];
  const free: { entry: string; keyId: string }[] = [];
  for (const [entry, e] of Object.entries(c.entries ?? {})) {
    if (e.shredded) continue;
    const hold = entryHoldOn(state, spec, category, entry, now);
    if (!hold) {
      free.push({ entry, keyId: e.keyId });
      continue;
    }
    holds.push(hold);
    values.push(...Object.keys(e.fields).map((field) => ({ field, until: hold.until, entry, basis: hold.basis })));
  }
  const shreds: Shredded[] = ownHold
    ? free.map(({ entry, keyId }) => ({
        type: 'CategoryShredded',
        data: { category, keyIds: [keyId], reason: 'erasure', entry },
      }))
    : own || free.length > 0
      ? [
          {
            type: 'CategoryShredded',
            data: { category, keyIds: [...(own ? [c.keyId] : []), ...free.map((f) => f.keyId)], reason: 'erasure' },
          },
        ]
      : [];
  if (holds.length === 0) return { shreds };
  const last = latestHold(holds)!;
  const entries = values
    .map(({ basis, ...v }) => (basis === last.basis ? v : { ...v, basis }))
    .sort((a, b) => (a.entry ?? '').localeCompare(b.entry ?? '') || a.field.localeCompare(b.field));
  return { shreds, kept: { category, basis: last.basis, until: last.until, entries } };
}

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
