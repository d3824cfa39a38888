import { accessDecision, type DenialReason } from '../domain/access.js';
import type { ProcessingRegister } from '../domain/register.js';
import type { SubjectState } from '../domain/subject.js';
import type { KeyRing } from '../crypto/keyRing.js';
import type { ViewStore } from '../ports/ViewStore.js';
import { openField } from '../crypto/sealDecision.js';

export type ReadItem =
  | { status: 'VALUE'; category: string; field: string; value: unknown; recordedAt: string; updatedAt: string; source: string; legalBasis: string }
  | { status: 'DENIED'; category: string; field: string | null; reason: DenialReason }
  | { status: 'ERASED'; category: string; field: string | null; erasedAt: string; reason: string };

export interface SubjectRead {
  subjectId: string;
  registeredAt: string;
  erasedAt: string | null;
  items: ReadItem[];
}

export interface ReadRequest {
  purpose: string;
  /** The purposes the caller's token carries, or `all` for the DPO and the subject itself. */
  callerPurposes: readonly string[] | 'all';
  categories?: readonly string[];
}

/**
 * Purpose-bound reads of many subjects at once: one read-model query and one key batch,
 * whatever the number of subjects. Values are opened here, per request; denied and erased
 * items are typed, never a bare null.
 */
export class SubjectReader {
  constructor(private readonly deps: { views: ViewStore; keyRing: KeyRing; register: ProcessingRegister }) {}

  async read(subjectIds: readonly string[], request: ReadRequest): Promise<Map<string, SubjectRead>> {
    const snaps = await this.deps.views.getSubjects([...new Set(subjectIds)]);
    const states = [...snaps.values()].map((s) => s.state).filter((s) => s.registeredAt);
    const plan = states.map((state) => ({ state, items: this.plan(state, request) }));
    const keyIds = plan.flatMap((p) => p.items.flatMap((i) => (i.kind === 'open' ? [i.keyId] : [])));
    const keys = await this.deps.keyRing.get(keyIds);
    const out = new Map<string, SubjectRead>();
    for (const { state, items } of plan) {
      out.set(state.subjectId, {
        subjectId: state.subjectId,
        registeredAt: state.registeredAt!,
        erasedAt: state.erasedAt,
        items: items.map((i) => {
          if (i.kind === 'done') return i.item;
          const f = state.categories[i.category]!.fields[i.field]!;
          const key = keys.get(i.keyId);
          // A key shredded after the snapshot was read: the value is gone.
          if (!key) return { status: 'ERASED', category: i.category, field: i.field, erasedAt: f.updatedAt, reason: 'shredded' } as const;
          return {
            status: 'VALUE',
            category: i.category,
            field: i.field,
            value: openField(state.subjectId, i.category, i.field, f, key),
            recordedAt: f.recordedAt,
            updatedAt: f.updatedAt,
            source: f.source,
            legalBasis: f.legalBasis,
          } as const;
        }),
      });
    }
    return out;
  }

  private plan(state: SubjectState, request: ReadRequest): ({ kind: 'done'; item: ReadItem } | { kind: 'open'; category: string; field: string; keyId: string })[] {
    const out: ({ kind: 'done'; item: ReadItem } | { kind: 'open'; category: string; field: string; keyId: string })[] = [];
    for (const [category, c] of Object.entries(state.categories)) {
      if (request.categories && !request.categories.includes(category)) continue;
      if (c.shredded) {
        out.push({ kind: 'done', item: { status: 'ERASED', category, field: null, erasedAt: c.shredded.at, reason: c.shredded.reason } });
        continue;
      }
      const decision = accessDecision(state, this.deps.register, category, request.purpose, request.callerPurposes);
      for (const field of Object.keys(c.fields)) {
        if (!decision.allowed) out.push({ kind: 'done', item: { status: 'DENIED', category, field, reason: decision.reason } });
        else out.push({ kind: 'open', category, field, keyId: c.keyId });
      }
    }
    return out;
  }
}
