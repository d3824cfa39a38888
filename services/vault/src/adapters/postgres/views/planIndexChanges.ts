import type { ViewBatch } from '../../../ports/ViewStore.js';
import { entryColumn } from '../../sqlRows.js';

/** One blind-index row as `apply_batch` takes it: `entry` '' for the category's own value. */
export interface IndexPlanRow {
  hash: string;
  subjectId: string;
  category: string;
  field: string;
  entry: string;
}

/** The net effect of a batch's ordered blind-index changes, as three set operations. */
export interface IndexPlan {
  /** (subject, category, entry) scopes whose stored rows are all deleted first. */
  clearCategories: { subjectId: string; category: string; entry: string }[];
  /** Stored (subject, category, field, entry) rows deleted next. */
  deleteFields: { subjectId: string; category: string; field: string; entry: string }[];
  /** Rows upserted last. */
  puts: IndexPlanRow[];
}

/** The rows of one key's values: a category's own (entry '') or one entry's. */
interface ScopeChanges {
  subjectId: string;
  category: string;
  entry: string;
  cleared: boolean;
  fields: Map<string, IndexPlanRow | 'deleted'>;
}

/**
 * Folds ordered put/delete changes into clear, delete, upsert sets with the same final result,
 * so a batch of any size costs three statements. A delete of a scope (the category's own values,
 * or one entry's) drops earlier puts of that scope in the batch; a later put wins over an earlier
 * field delete.
 */
export function planIndexChanges(changes: ViewBatch['index']): IndexPlan {
  const sep = '\u0000';
  const scopes = new Map<string, ScopeChanges>();
  const scope = (subjectId: string, category: string, entry: string) => {
    const k = subjectId + sep + category + sep + entry;
    let g = scopes.get(k);
    if (!g) scopes.set(k, (g = { subjectId, category, entry, cleared: false, fields: new Map() }));
    return g;
  };
  for (const c of changes) {
    if (c.op === 'put') {
      const { hash, subjectId, category, field } = c.entry;
      const entry = entryColumn(c.entry.entry);
      scope(subjectId, category, entry).fields.set(field, { hash, subjectId, category, field, entry });
    } else if (c.field === undefined) {
      const g = scope(c.subjectId, c.category, entryColumn(c.entry));
      g.cleared = true;
      g.fields.clear();
    } else scope(c.subjectId, c.category, entryColumn(c.entry)).fields.set(c.field, 'deleted');
  }
  const plan: IndexPlan = { clearCategories: [], deleteFields: [], puts: [] };
  for (const g of scopes.values()) {
    const { subjectId, category, entry } = g;
    if (g.cleared) plan.clearCategories.push({ subjectId, category, entry });
    for (const [field, v] of g.fields) {
      if (v === 'deleted') {
        if (!g.cleared) plan.deleteFields.push({ subjectId, category, field, entry });
      } else plan.puts.push(v);
    }
  }
  return plan;
}
