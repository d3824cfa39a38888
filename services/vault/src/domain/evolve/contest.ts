import { entryOf } from '../state.js';
import type { Evolver } from './evolver.js';

/**
 * Contested values (Art. 16, 18(1)(a)): a subject's proposal for a value it did not provide marks
 * the field until the DPO completes or refuses the request it came with.
 */

export const rectificationRequested: Evolver<'RectificationRequested'> = (state, { id, at, data }) => {
  const c = state.categories[data.category];
  const f = data.entry === undefined ? c?.fields[data.field] : entryOf(c, data.entry)?.fields[data.field];
  if (f)
    f.contested = { requestId: data.requestId, at, keyId: data.keyId, proposal: { sealed: data.value, eventId: id } };
};

/**
 * A completed request's proposal was applied in the same append (decide/rectificationRequest.ts); a refused one
 * goes.
 */
export const contestSettled: Evolver<'RequestCompleted' | 'RequestRefused'> = (state, { data }) => {
  for (const c of Object.values(state.categories))
    for (const fields of [c.fields, ...Object.values(c.entries ?? {}).map((e) => e.fields)])
      for (const f of Object.values(fields)) if (f.contested?.requestId === data.requestId) delete f.contested;
};
