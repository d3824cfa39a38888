import { type FieldState, generationOf } from '../state.js';
import type { Evolver } from './evolver.js';

/** Values and their keys: recorded or rectified, erased one field at a time, re-keyed, shredded. */

export const dataWritten: Evolver<'PersonalDataRecorded' | 'PersonalDataRectified'> = (state, event) => {
  const { at, data: d } = event;
  let c = state.categories[d.category];
  if (!c || c.shredded || c.keyId !== d.keyId) {
    // A new key: the first write, the first after a shred (fields start empty), or a new generation.
    const live = c && !c.shredded ? c : undefined;
    c = {
      generation: generationOf(d.keyId),
      keyId: d.keyId,
      fields: live ? live.fields : {},
      firstRecordedAt: live ? live.firstRecordedAt : at,
      lastActivityAt: at,
      shredded: null,
    };
    // A new key on a live category: its oldest entry is this write, not the category's first.
    if (live) c.keySince = at;
    state.categories[d.category] = c;
  }
  if (c.erasedFields) delete c.erasedFields[d.field];
  const prev = c.fields[d.field];
  const rectifies = event.type === 'PersonalDataRectified' && prev;
  const field: FieldState = {
    value: d.value,
    eventId: event.id,
    recordedAt: prev?.recordedAt ?? at,
    updatedAt: at,
    purpose: d.purpose,
    legalBasis: d.legalBasis,
    // A correction keeps where the value came from; a new recording says where it comes from now.
    source: rectifies ? prev.source : d.source,
  };
  // Added only when set, in this order, so a snapshot's JSON keeps the shape it has always had.
  if (rectifies) field.rectified = { by: event.actor ?? 'unknown', at };
  // A contest stands until the DPO decides it, whatever is written meanwhile.
  if (prev?.contested) field.contested = prev.contested;
  c.fields[d.field] = field;
  c.lastActivityAt = at;
};

export const dataHeld: Evolver<'PersonalDataHeld'> = (state, { data }) => {
  const f = state.categories[data.category]?.fields[data.field];
  if (!f || f.purpose === data.purpose || f.alsoHeldFor?.some((h) => h.purpose === data.purpose)) return;
  (f.alsoHeldFor ??= []).push({ purpose: data.purpose, legalBasis: data.legalBasis });
};

export const dataReleased: Evolver<'PersonalDataReleased'> = (state, { data }) => {
  const f = state.categories[data.category]?.fields[data.field];
  if (!f) return;
  const others = (f.alsoHeldFor ?? []).filter((h) => h.purpose !== data.purpose);
  if (f.purpose === data.purpose && others.length > 0) {
    // The next purpose keeping the value becomes its first.
    const [next] = others.splice(0, 1);
    f.purpose = next!.purpose;
    f.legalBasis = next!.legalBasis;
  }
  if (others.length > 0) f.alsoHeldFor = others;
  else delete f.alsoHeldFor;
};

export const fieldErased: Evolver<'PersonalDataErased'> = (state, { data, at }) => {
  const c = state.categories[data.category];
  if (!c) return;
  delete c.fields[data.field];
  (c.erasedFields ??= {})[data.field] = { at, reason: data.reason };
  c.lastActivityAt = at;
};

export const categoryRekeyed: Evolver<'CategoryRekeyed'> = (state, event) => {
  const c = state.categories[event.data.category];
  if (!c) return;
  c.keyId = event.data.newKeyId;
  c.generation = generationOf(event.data.newKeyId);
  // The new key holds only the carried values: its oldest entry is the oldest of them.
  let since = event.at;
  for (const v of event.data.values) {
    const f = c.fields[v.field];
    if (f) {
      f.value = v.value;
      f.eventId = event.id;
      if (f.updatedAt < since) since = f.updatedAt;
    }
  }
  c.keySince = since;
};

export const categoryShredded: Evolver<'CategoryShredded'> = (state, { data, at }) => {
  const c = state.categories[data.category];
  if (!c) return;
  c.fields = {};
  c.shredded = { at, reason: data.reason };
};
