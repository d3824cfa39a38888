import type { Evolver } from './evolver.js';

/**
 * Contested values (Art. 16, 18(1)(a)): a subject's proposal for a value it did not provide marks
 * the field until the DPO completes or refuses the request it came with.
 */

export const rectificationRequested: Evolver<'RectificationRequested'> = (state, { id, at, data }) => {
  const f = state.categories[data.category]?.fields[data.field];
  if (f)
    f.contested = { requestId: data.requestId, at, keyId: data.keyId, proposal: { sealed: data.value, eventId: id } };
};

/**
 * A completed request's proposal was applied in the same append (decide/rectificationRequest.ts); a refused one
 * goes.
 */
export const contestSettled: Evolver<'RequestCompleted' | 'RequestRefused'> = (state, { data }) => {
  for (const c of Object.values(state.categories))
    for (const f of Object.values(c.fields)) if (f.contested?.requestId === data.requestId) delete f.contested;
};
