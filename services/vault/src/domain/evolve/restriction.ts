import type { Evolver } from './evolver.js';

export const processingRestricted: Evolver<'ProcessingRestricted'> = (state, { data, at }) => {
  for (const c of data.categories) state.restrictions[c] = { at, reason: data.reason };
};

export const restrictionLifted: Evolver<'RestrictionLifted'> = (state, { data }) => {
  for (const c of data.categories) delete state.restrictions[c];
};
