import { openValue } from '../crypto/envelope.js';
import { overrideGroundsContext, requestTextContext } from '../crypto/sealedFields.js';
import type { SealedText } from '../domain/requests.js';
import type { SubjectState } from '../domain/subject.js';

/** An extension of a request's deadline (Art. 12(3)) with the reason the DPO gave. */
export interface RequestExtension {
  months: number;
  at: string;
  /** Null only if the subject's requests key is gone. */
  reason: string | null;
}

/** The free text the DPO wrote on one request, opened. */
export interface RequestTexts {
  extensions: RequestExtension[];
  /** The reason of a refusal (Art. 12(4)); null for a request that was not refused. */
  refusalReason: string | null;
}

/**
 * Everything the DPO wrote about a subject's rights, opened: per request, and the grounds of each overridden objection.
 */
export interface SubjectTexts {
  requests: Map<string, RequestTexts>;
  /** Per purpose whose objection the DPO overrode (Art. 21(1)): the grounds given. */
  overrideGrounds: Map<string, string | null>;
}

/**
 * Opens the reasons and grounds the DPO gave on a subject's requests and objections, sealed
 * under the subject's requests key (which erasure keeps: the controller must be able to show why
 * it refused, delayed or went on processing). `key` is that key, undefined if it is gone: then
 * every text is null. A tampered text throws CIPHERTEXT_INVALID, as a tampered value does.
 */
export function openSubjectTexts(state: SubjectState, key: Uint8Array | undefined): SubjectTexts {
  const open = (t: SealedText, context: Uint8Array): string | null =>
    key ? (openValue(key, t.sealed, context) as string) : null;
  const requests = new Map<string, RequestTexts>();
  for (const q of Object.values(state.rights?.requests ?? {})) {
    requests.set(q.requestId, {
      extensions: q.extensions.map((x) => ({
        months: x.months,
        at: x.at,
        reason: open(x.reason, requestTextContext(state.subjectId, q.requestId, x.reason.eventId)),
      })),
      refusalReason: q.refusalReason
        ? open(q.refusalReason, requestTextContext(state.subjectId, q.requestId, q.refusalReason.eventId))
        : null,
    });
  }
  const overrideGrounds = new Map<string, string | null>();
  for (const [purpose, o] of Object.entries(state.overriddenObjections ?? {})) {
    overrideGrounds.set(purpose, open(o.grounds, overrideGroundsContext(state.subjectId, purpose, o.grounds.eventId)));
  }
  return { requests, overrideGrounds };
}

/** True when the subject's state holds any text sealed under its requests key. */
export const holdsTexts = (state: SubjectState): boolean =>
  Object.keys(state.overriddenObjections ?? {}).length > 0 ||
  Object.values(state.rights?.requests ?? {}).some((q) => q.refusalReason !== null || q.extensions.length > 0);
