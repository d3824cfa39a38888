import type { ProcessingRegister, RetentionTrigger } from '../domain/register.js';
import { triggerTime, type SubjectState } from '../domain/subject.js';
import { addIsoDuration } from '../domain/time.js';
import type { HoldView, RetentionView } from '../ports/ViewStore.js';

export const describeTrigger = (t: RetentionTrigger): string => (t.kind === 'lifecycle' ? `after ${t.event}` : `after ${t.kind === 'recorded' ? 'first recorded' : 'last activity'}`);

/** Every hold on the subject's live categories: DPO holds and the register's legal periods. */
export function holdsOf(state: SubjectState, register: ProcessingRegister): HoldView[] {
  const rows: HoldView[] = [];
  for (const [category, h] of Object.entries(state.holds)) {
    rows.push({ subjectId: state.subjectId, category, basis: h.basis, until: h.until, source: 'dpo' });
  }
  for (const [category, c] of Object.entries(state.categories)) {
    const spec = register.categories[category];
    if (c.shredded || spec?.erasure.mode !== 'keep') continue;
    const from = triggerTime(state, category, spec.erasure.retention.trigger);
    rows.push({ subjectId: state.subjectId, category, basis: spec.erasure.law, until: from ? addIsoDuration(from, spec.erasure.retention.duration) : 'open', source: 'register' });
  }
  return rows;
}

/**
 * When each live category may be shredded: its retention end, pushed back by any hold. No row
 * while the trigger has not happened (the relationship goes on) or a hold has no end yet.
 */
export function retentionOf(state: SubjectState, register: ProcessingRegister, holds: HoldView[]): RetentionView[] {
  const rows: RetentionView[] = [];
  for (const [category, c] of Object.entries(state.categories)) {
    const spec = register.categories[category];
    if (!spec || c.shredded) continue;
    // Once the subject asked for erasure, only a hold keeps a category: it goes when the hold ends.
    const from = state.erasedAt ?? triggerTime(state, category, spec.retention.trigger);
    if (!from) continue;
    let dueAt = state.erasedAt ?? addIsoDuration(from, spec.retention.duration);
    let rule = state.erasedAt ? 'erased by request' : `${spec.retention.duration} ${describeTrigger(spec.retention.trigger)}`;
    let open = false;
    for (const h of holds) {
      if (h.category !== category) continue;
      if (h.until === 'open') open = true;
      else if (h.until > dueAt) {
        dueAt = h.until;
        rule = `${rule}; held until ${h.until} (${h.basis})`;
      }
    }
    if (!open) rows.push({ subjectId: state.subjectId, category, dueAt, rule });
  }
  return rows;
}
