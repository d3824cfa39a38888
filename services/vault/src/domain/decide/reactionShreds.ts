import { objectionReaches } from '../access.js';
import type { DomainEvent, ShredReason, Unsealed } from '../events.js';
import type { ProcessingRegister } from '../register.js';
import { holdOn, shreddableKeyIds } from '../retention.js';
import type { SubjectState } from '../state.js';

/**
 * The shreds a withdrawal of consent or an objection to `purpose` causes at once: every live
 * category the register shreds for it (`onConsentWithdrawn` / `onObjection: shred`) that no hold
 * keeps. What a hold keeps, the retention schedule shreds when the hold ends.
 */
export function reactionShreds(
  state: SubjectState,
  register: ProcessingRegister,
  now: string,
  purpose: string,
  policy: 'onConsentWithdrawn' | 'onObjection',
  reason: ShredReason,
): DomainEvent<Unsealed>[] {
  const out: DomainEvent<Unsealed>[] = [];
  for (const [name, c] of Object.entries(state.categories)) {
    const spec = register.categories[name];
    if (!spec || c.shredded || spec[policy] !== 'shred' || !spec.purposes.includes(purpose)) continue;
    if (policy === 'onObjection' && !objectionReaches(spec, register.purposes[purpose])) continue;
    if (holdOn(state, spec, name, now)) continue;
    // An entry held on its own (a DPO hold on one case) stays, and goes when its hold ends (retention.ts entryEnds).
    const keyIds = shreddableKeyIds(state, register, name, now);
    out.push({ type: 'CategoryShredded', data: { category: name, keyIds, reason } });
  }
  return out;
}
