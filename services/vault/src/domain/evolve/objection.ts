import type { Evolver } from './evolver.js';

export const objectionRaised: Evolver<'ObjectionRaised'> = (state, { data, at }) => {
  state.objections[data.purpose] = { at };
  // A new objection after an override stands again (new circumstances, Art. 21(1)).
  if (state.overriddenObjections) delete state.overriddenObjections[data.purpose];
};

export const objectionOverridden: Evolver<'ObjectionOverridden'> = (state, event) => {
  const { at, data } = event;
  const objection = state.objections[data.purpose];
  delete state.objections[data.purpose];
  const grounds = { sealed: data.grounds, eventId: event.id };
  (state.overriddenObjections ??= {})[data.purpose] = { objectedAt: objection?.at ?? at, at, grounds };
};
