import type { BlindIndexEntry, ViewBatch } from '../../../ports/ViewStore.js';

/** The net effect of a batch's ordered blind-index changes, as three set operations. */
export interface IndexPlan {
  /** (subject, category) pairs whose stored rows are all deleted first. */
  clearCategories: { subjectId: string; category: string }[];
  /** Stored (subject, category, field) rows deleted next. */
  deleteFields: { subjectId: string; category: string; field: string }[];
  /** Rows upserted last. */
  puts: BlindIndexEntry[];
}

interface CategoryChanges {
  subjectId: string;
  category: string;
  cleared: boolean;
  fields: Map<string, BlindIndexEntry | 'deleted'>;
}

/**
 * Folds ordered put/delete changes into clear, delete, upsert sets with the same final result,
 * so a batch of any size costs three statements. A category delete drops earlier puts of that
 * category in the batch; a later put wins over an earlier field delete.
 */
export function planIndexChanges(changes: ViewBatch['index']): IndexPlan {
  const sep = '\u0000';
  const categories = new Map<string, CategoryChanges>();
  const group = (subjectId: string, category: string) => {
    const k = subjectId + sep + category;
    let g = categories.get(k);
    if (!g) categories.set(k, (g = { subjectId, category, cleared: false, fields: new Map() }));
    return g;
  };
  for (const c of changes) {
    if (c.op === 'put') group(c.entry.subjectId, c.entry.category).fields.set(c.entry.field, c.entry);
    else if (c.field === undefined) {
      const g = group(c.subjectId, c.category);
      g.cleared = true;
      g.fields.clear();
    } else group(c.subjectId, c.category).fields.set(c.field, 'deleted');
  }
  const plan: IndexPlan = { clearCategories: [], deleteFields: [], puts: [] };
  for (const g of categories.values()) {
    if (g.cleared) plan.clearCategories.push({ subjectId: g.subjectId, category: g.category });
    for (const [field, v] of g.fields) {
      if (v === 'deleted') {
        if (!g.cleared) plan.deleteFields.push({ subjectId: g.subjectId, category: g.category, field });
      } else plan.puts.push(v);
    }
  }
  return plan;
}
