import type { ProcessingRegister } from '../domain/register.js';
import type { SubjectState } from '../domain/subject.js';
import { lookupForm } from '../domain/values.js';
import type { KeyRing } from './keyRing.js';
import { openField } from './sealedFields.js';

/** One lookup field of one subject. */
export interface LookupField {
  subjectId: string;
  category: string;
  field: string;
}

/**
 * The lookup form (what the blind index hashes) of each field's current value, opened from the
 * subject's sealed state; undefined when there is none to index (the field was erased, its
 * category shredded, the subject or the field unknown). One batch load of the data keys. Used by
 * the projector for the fields a batch touched and by the re-index of an epoch rotation.
 */
export async function lookupForms<F extends LookupField>(
  deps: { keyRing: KeyRing; register: ProcessingRegister },
  states: ReadonlyMap<string, SubjectState>,
  fields: Iterable<F>,
): Promise<(F & { form: string | undefined })[]> {
  const list = [...fields];
  const keyIds = new Set<string>();
  for (const d of list) {
    const c = states.get(d.subjectId)?.categories[d.category];
    if (c?.fields[d.field]) keyIds.add(c.keyId);
  }
  const keys = await deps.keyRing.get([...keyIds]);
  return list.map((d) => {
    const c = states.get(d.subjectId)?.categories[d.category];
    const f = c?.fields[d.field];
    const key = f && keys.get(c.keyId);
    const type = deps.register.categories[d.category]?.fields[d.field]?.type;
    const form = f && key && type ? lookupForm(type, openField(d.subjectId, d.category, d.field, f, key)) : undefined;
    return { ...d, form };
  });
}
