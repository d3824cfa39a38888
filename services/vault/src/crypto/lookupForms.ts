import type { ProcessingRegister } from '../domain/register.js';
import { liveEntryOf, type SubjectState } from '../domain/state.js';
import { lookupForm } from '../domain/values.js';
import type { KeyRing } from './keyRing.js';
import { openField } from './sealedFields.js';

/** One lookup field of one subject: of the category's own values, or (`entry`) of that entry's. */
export interface LookupField {
  subjectId: string;
  category: string;
  field: string;
  entry?: string;
}

/** The values and key a lookup field's value is under: the category's own, or its live entry's. */
function valuesOf(state: SubjectState | undefined, d: LookupField) {
  const c = state?.categories[d.category];
  return d.entry === undefined ? c : liveEntryOf(c, d.entry);
}

/**
 * The lookup form (what the blind index hashes) of each field's current value, opened from the
 * subject's sealed state; undefined when there is none to index (the field was erased, its
 * category or entry shredded, the subject or the field unknown). One batch load of the data keys.
 * Used by the projector for the fields a batch touched and by the re-index of an epoch rotation.
 */
export async function lookupForms<F extends LookupField>(
  deps: { keyRing: KeyRing; register: ProcessingRegister },
  states: ReadonlyMap<string, SubjectState>,
  fields: Iterable<F>,
): Promise<(F & { form: string | undefined })[]> {
  const list = [...fields];
  const keyIds = new Set<string>();
  for (const d of list) {
    const at = valuesOf(states.get(d.subjectId), d);
    if (at && Object.hasOwn(at.fields, d.field)) keyIds.add(at.keyId);
  }
  const keys = await deps.keyRing.get([...keyIds]);
  return list.map((d) => {
    const at = valuesOf(states.get(d.subjectId), d);
    const f = at && Object.hasOwn(at.fields, d.field) ? at.fields[d.field] : undefined;
    const key = f && keys.get(at!.keyId);
    const type = deps.register.categories[d.category]?.fields[d.field]?.type;
    const form = f && key && type ? lookupForm(type, openField(d.subjectId, d.category, d.field, f, key)) : undefined;
    return { ...d, form };
  });
}
