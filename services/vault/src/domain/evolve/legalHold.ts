import { liveEntryOf } from '../state.js';
import type { Evolver } from './evolver.js';

/** A hold on the category, or (`entry`) on that entry alone while it lives. */
export const legalHoldPlaced: Evolver<'LegalHoldPlaced'> = (state, { data, at }) => {
  const hold = { basis: data.basis, until: data.until, at };
  if (data.entry === undefined) state.holds[data.category] = hold;
  else {
    const e = liveEntryOf(state.categories[data.category], data.entry);
    if (e) e.hold = hold;
  }
};

export const legalHoldReleased: Evolver<'LegalHoldReleased'> = (state, { data }) => {
  if (data.entry === undefined) delete state.holds[data.category];
  else {
    const e = liveEntryOf(state.categories[data.category], data.entry);
    if (e) delete e.hold;
  }
};
