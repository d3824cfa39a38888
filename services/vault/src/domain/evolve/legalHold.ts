import type { Evolver } from './evolver.js';

export const legalHoldPlaced: Evolver<'LegalHoldPlaced'> = (state, { data, at }) => {
  state.holds[data.category] = { basis: data.basis, until: data.until, at };
};

export const legalHoldReleased: Evolver<'LegalHoldReleased'> = (state, { data }) => {
  delete state.holds[data.category];
};
