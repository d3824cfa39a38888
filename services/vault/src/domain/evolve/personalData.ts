import {
  type CategoryState,
  entryOf,
  type FieldState,
  generationOf,
  liveEntryOf,
  type SubjectState,
} from '../state.js';
import type { Applied, Evolver } from './evolver.js';

/** Values and their keys: recorded or rectified, erased one field at a time, re-keyed, shredded. */

export const dataWritten: Evolver<'PersonalDataRecorded' | 'PersonalDataRectified'> = (state, event) => {
  if (event.data.entry !== undefined) return entryWritten(state, event, event.data.entry);
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
    // Entries have keys of their own: a new key of the category's leaves them as they are.
    const entries = state.categories[d.category]?.entries;
    if (entries) c.entries = entries;
    // A new key on a live category: its oldest entry is this write, not the category's first.
    if (live) c.keySince = at;
    state.categories[d.category] = c;
  }
  if (c.erasedFields) delete c.erasedFields[d.field];
  c.fields[d.field] = writtenField(event, c.fields[d.field]);
  c.lastActivityAt = at;
};

/** A value as a recording or rectification leaves it, where `prev` was the value before (in the same key). */
function writtenField(event: Applied<'PersonalDataRecorded' | 'PersonalDataRectified'>, prev?: FieldState): FieldState {
  const { at, data: d } = event;
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
  return field;
}

export const dataHeld: Evolver<'PersonalDataHeld'> = (state, { data }) => {
  const f = fieldOf(state, data);
  if (!f || f.purpose === data.purpose || f.alsoHeldFor?.some((h) => h.purpose === data.purpose)) return;
  (f.alsoHeldFor ??= []).push({ purpose: data.purpose, legalBasis: data.legalBasis });
};

/** The value an event names: the category's own, or (with `entry`) that entry's while its key lives. */
function fieldOf(state: SubjectState, data: { category: string; field: string; entry?: string }) {
  const c = state.categories[data.category];
  if (data.entry === undefined) return c?.fields[data.field];
  return liveEntryOf(c, data.entry)?.fields[data.field];
}

export const dataReleased: Evolver<'PersonalDataReleased'> = (state, { data }) => {
  const f = fieldOf(state, data);
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
  if (data.entry !== undefined) {
    const e = liveEntryOf(c, data.entry);
    if (!e) return;
    delete e.fields[data.field];
    (e.erasedFields ??= {})[data.field] = { at, reason: data.reason };
    e.lastActivityAt = at;
    c.lastActivityAt = at;
    return;
  }
  delete c.fields[data.field];
  (c.erasedFields ??= {})[data.field] = { at, reason: data.reason };
  c.lastActivityAt = at;
};

export const categoryRekeyed: Evolver<'CategoryRekeyed'> = (state, event) => {
  const c = state.categories[event.data.category];
  if (!c) return;
  if (event.data.entry !== undefined) {
    entryRekeyed(c, event);
    return;
  }
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

/** An entry's remaining values re-sealed under its next key (an erasure of some of its values). */
function entryRekeyed(c: CategoryState, event: Applied<'CategoryRekeyed'>): void {
  const e = liveEntryOf(c, event.data.entry!);
  if (!e) return;
  e.keyId = event.data.newKeyId;
  e.generation = generationOf(event.data.newKeyId);
  for (const v of event.data.values) {
    const f = e.fields[v.field];
    if (f) {
      f.value = v.value;
      f.eventId = event.id;
    }
  }
}

/**
 * The keys named go: the category's own (its values with it) and each entry's whose key is among
 * them; an entry's own shred (`entry`) leaves the category and its other entries as they are.
 */
export const categoryShredded: Evolver<'CategoryShredded'> = (state, { data, at }) => {
  const c = state.categories[data.category];
  if (!c) return;
  const shredded = { at, reason: data.reason };
  for (const e of Object.values(c.entries ?? {})) {
    if (!e.shredded && data.keyIds.includes(e.keyId)) {
      e.fields = {};
      e.shredded = shredded;
    }
  }
  if (data.entry !== undefined) return;
  c.fields = {};
  c.shredded = shredded;
};

/**
 * A value of one entry, under the entry's own key: its first write (or the first after its key was
 * shredded) starts a new generation. The category is made (with no values of its own) if it has none.
 */
function entryWritten(
  state: SubjectState,
  event: Applied<'PersonalDataRecorded' | 'PersonalDataRectified'>,
  id: string,
): void {
  const { at, data: d } = event;
  const c: CategoryState = (state.categories[d.category] ??= {
    generation: 0,
    keyId: '',
    fields: {},
    firstRecordedAt: at,
    lastActivityAt: at,
    shredded: null,
  });
  const entries = (c.entries ??= {});
  let e = entryOf(c, id);
  if (!e || e.shredded || e.keyId !== d.keyId) {
    e = {
      generation: generationOf(d.keyId),
      keyId: d.keyId,
      fields: {},
      firstRecordedAt: at,
      lastActivityAt: at,
      lifecycle: {},
      shredded: null,
    };
    entries[id] = e;
  }
  if (e.erasedFields) delete e.erasedFields[d.field];
  e.fields[d.field] = writtenField(event, e.fields[d.field]);
  e.lastActivityAt = at;
  c.lastActivityAt = at;
}

/** A lifecycle event of one entry starts that entry's clock in each category it reaches; the subject's otherwise. */
export const lifecycleRecorded: Evolver<'LifecycleEventRecorded'> = (state, { data, at }) => {
  if (data.entry === undefined) {
    state.lifecycle[data.event] = at;
    return;
  }
  for (const category of data.categories) {
    const e = liveEntryOf(state.categories[category], data.entry);
    if (e) e.lifecycle[data.event] = at;
  }
};
