import { badInput, VaultError } from '../domain/errors.js';
import { isOverdue, type RecipientNotification as Notification } from '../domain/propagation.js';
import { signReceipt } from '../propagation/propagationReceipt.js';
import type { ApiContext } from './context.js';
import type { MutationResolvers, QueryResolvers, RecipientNotification } from './generated/graphql.js';
import { authorize } from './policy.js';

/** A notification as the API shows it: its state, and whether its acknowledgement is overdue. */
function shown(ctx: ApiContext, s: Notification): RecipientNotification {
  const recipient = ctx.vault.propagation?.recipient(s.due.recipient);
  return {
    id: s.due.notificationId,
    recipient: s.due.recipient,
    subjectId: s.due.subjectId,
    action: s.due.action,
    categories: s.due.categories,
    fields: s.due.fields,
    entry: s.due.entry ?? null,
    requestId: s.due.requestId ?? null,
    occurredAt: s.due.occurredAt,
    status: s.status,
    attempts: s.totalAttempts,
    lastFailure: s.lastReason ?? null,
    deliveredAt: s.deliveredAt ?? null,
    acknowledgedAt: s.acknowledgedAt ?? null,
    overdue: isOverdue(s, recipient, ctx.vault.now()),
  };
}

/** The register's recipient the calling service is, if the register names it. */
function callingRecipient(ctx: ApiContext): string | undefined {
  const p = ctx.principal;
  return p.role === 'service' ? ctx.vault.propagation?.recipientOfService(p.name)?.name : undefined;
}

export const propagationQuery: QueryResolvers = {
  notifications(_, { after, first }, ctx) {
    authorize(ctx.principal, 'notifications');
    const recipient = callingRecipient(ctx);
    const n = first ?? 100;
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw badInput('first must be 1 to 1000', 'first');
    const from = after === undefined || after === null ? -1 : Number(after);
    if (!Number.isInteger(from)) throw badInput('after must be a cursor from an earlier page', 'after');
    // A service that is no recipient has nothing to pull: an empty feed.
    const all = recipient ? ctx.vault.propagation!.list({ recipient }) : [];
    const items = all.filter((s) => s.seq > from).slice(0, n);
    return {
      items: items.map((s) => shown(ctx, s)),
      cursor: items.length ? String(items[items.length - 1]!.seq) : null,
    };
  },
  propagation(_, { subjectId, requestId }, ctx) {
    authorize(ctx.principal, 'propagation');
    if (!subjectId && !requestId) throw badInput('Give subjectId or requestId', 'subjectId');
    const list =
      ctx.vault.propagation?.list({
        ...(subjectId ? { subjectId } : {}),
        ...(requestId ? { requestId } : {}),
      }) ?? [];
    return list.map((s) => shown(ctx, s));
  },
  propagationReceipts(_, { subjectId, requestId }, ctx) {
    authorize(ctx.principal, 'propagationReceipts');
    if (!subjectId && !requestId) throw badInput('Give subjectId or requestId', 'subjectId');
    const recorded =
      ctx.vault.propagation?.receiptsOf({
        ...(subjectId ? { subjectId } : {}),
        ...(requestId ? { requestId } : {}),
      }) ?? [];
    return recorded.map((data) => {
      const { receipt, jws } = signReceipt(ctx.vault.signer, data);
      // A subject erasure's receipt has neither in what was signed: GraphQL answers null for them.
      return { jws, receipt: { ...receipt, fields: receipt.fields ?? null, entry: receipt.entry ?? null } };
    });
  },
};

/** Whether a notification made for the request is overdue (`isOverdue`): shown on the request as its deadline is. */
export const propagationOverdueOf = (ctx: ApiContext, requestId: string): boolean =>
  (ctx.vault.propagation?.overdue({ requestId }).length ?? 0) > 0;

/** The ids of the requests with a notification overdue now, in the order their notifications became due. */
export const requestsWithPropagationOverdue = (ctx: ApiContext): string[] => [
  ...new Set((ctx.vault.propagation?.overdue() ?? []).flatMap((s) => (s.due.requestId ? [s.due.requestId] : []))),
];

export const propagationMutation: MutationResolvers = {
  async acknowledgeNotifications(_, { ids }, ctx) {
    authorize(ctx.principal, 'acknowledgeNotifications');
    const recipient = callingRecipient(ctx);
    if (ids.length > 1000) throw badInput('Give at most 1000 ids', 'ids');
    const out: RecipientNotification[] = [];
    for (const id of ids) {
      if (!recipient) throw new VaultError('NOT_FOUND', `No notification ${id} for this recipient`, { path: 'ids' });
      out.push(shown(ctx, await ctx.vault.propagation!.acknowledge(id, recipient, 'pull')));
    }
    return out;
  },
  async retryNotification(_, { id }, ctx) {
    authorize(ctx.principal, 'retryNotification');
    const propagation = ctx.vault.propagation;
    if (!propagation) throw new VaultError('NOT_FOUND', 'This vault notifies no recipients', { path: 'id' });
    return shown(ctx, await propagation.retry(id));
  },
};
