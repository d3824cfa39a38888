import { missedDeadlineAt } from '../domain/deadlines.js';
import { badInput } from '../domain/errors.js';
import { REPORT_LANGUAGES } from '../domain/register.js';
import type { TrackedRow } from '../domain/requests.js';
import { type AccessReportDoc, renderAccessReportHtml } from '../rights/reportHtml.js';
import { reportLanguageOf } from '../rights/reportLanguages.js';
import type { ExportLink as ServiceLink } from '../rights/SubjectRights.js';
import type { ApiContext } from './context.js';
import type {
  Channel,
  DataSubjectRequestResolvers,
  ExportLink,
  MutationResolvers,
  PendingNotificationResolvers,
  QueryResolvers,
  RequestStatus,
  RequestType,
  SignedReportResolvers,
  VerificationMethod,
} from './generated/graphql.js';
import { month, text } from './inputs.js';
import type { RequestModel } from './models.js';
import { authorize, authorizeSubject } from './policy.js';
import { propagationOverdueOf, requestsWithPropagationOverdue } from './propagationResolvers.js';
import { JWKS_PATH } from './routes/downloads.js';

/** The link as the API shows it: an absolute URL under the vault's public address. The token stays inside the URL. */
const exportLink = (ctx: ApiContext, link: ServiceLink): ExportLink => ({
  url: `${ctx.publicUrl}${link.path}`,
  kind: link.kind,
  expiresAt: link.expiresAt,
});

const options = (ctx: ApiContext) => ({ actor: ctx.actor, correlationId: ctx.requestId });

/** The deadline a listed request missed by now, from its tracked row (domain/deadlines.ts decides). */
const missedBy = (r: TrackedRow, now: string): string | null =>
  missedDeadlineAt(
    {
      status: r.status as RequestStatus,
      dueAt: r.dueAt!,
      closedAt: (r.data.closedAt as string | null | undefined) ?? null,
      missedDeadlineAt: r.data.missedDeadlineAt as string | null | undefined,
    },
    now,
  );

/** Loads a request for a DPO step, runs the step, and returns the request as it is now. */
const step = (ctx: ApiContext, command: Parameters<ApiContext['vault']['rights']['step']>[1]): Promise<RequestModel> =>
  ctx.vault.rights.step(command.requestId, command, options(ctx));

/**
 * A report read by anyone but the subject discloses its values: it goes to the access log like
 * any other read, under the purpose of answering the subject's rights.
 */
async function disclosed(ctx: ApiContext, subjectId: string, kind: 'ACCESS' | 'PORTABILITY') {
  const signed = await ctx.vault.rights.report(subjectId, kind);
  // Its values, and the reasons and grounds the DPO gave (opened in the report), are read as they are on a subject or a
  // request.
  if (ctx.principal.role !== 'subject' && signed.categories.length > 0) {
    ctx.access.record({
      actor: ctx.actor,
      purpose: 'dataSubjectRights',
      subjectId,
      categories: signed.categories,
      at: ctx.vault.now(),
    });
  }
  return signed;
}

/** Data-subject rights (issue 4) and retention (issue 5): the resolvers merged into `resolvers.ts`. */
export const rightsQuery: QueryResolvers = {
  accessReport(_, { subjectId }, ctx) {
    authorize(ctx.principal, 'accessReport');
    authorizeSubject(ctx.principal, subjectId);
    return disclosed(ctx, subjectId, 'ACCESS');
  },
  portabilityExport(_, { subjectId }, ctx) {
    authorize(ctx.principal, 'portabilityExport');
    authorizeSubject(ctx.principal, subjectId);
    return disclosed(ctx, subjectId, 'PORTABILITY');
  },
  consultations(_, { subjectId, until, offset, first }, ctx) {
    authorize(ctx.principal, 'consultations');
    authorizeSubject(ctx.principal, subjectId);
    return ctx.vault.rights.consultations(subjectId, { until, offset: offset ?? 0, first: first ?? 100 });
  },
  myRequests(_, _args, ctx) {
    authorize(ctx.principal, 'myRequests');
    const p = ctx.principal;
    return p.role === 'subject' ? ctx.vault.rights.requestsOf(p.subjectId) : [];
  },
  async requests(_, { status, overdue, dueBefore, propagationOverdue }, ctx) {
    authorize(ctx.principal, 'requests');
    if (!propagationOverdue)
      return ctx.vault.rights.requests({
        ...(status ? { status } : {}),
        ...(overdue ? { overdue } : {}),
        ...(dueBefore ? { dueBefore } : {}),
      });
    // Few at a time (a recipient late to acknowledge): each loaded by id, then the other filters as the view
    // applies them.
    const now = ctx.vault.now();
    const rows = await Promise.all(requestsWithPropagationOverdue(ctx).map((id) => ctx.vault.rights.request(id)));
    return rows
      .filter(
        (r) =>
          (!status || r.status === status) &&
          (!overdue || (r.status === 'OPEN' && missedBy(r, now) !== null)) &&
          (!dueBefore || r.dueAt! < dueBefore),
      )
      .sort((a, b) => a.dueAt!.localeCompare(b.dueAt!));
  },
  pendingNotifications(_, { dueBefore }, ctx) {
    authorize(ctx.principal, 'pendingNotifications');
    return ctx.vault.rights.pendingNotifications(dueBefore ?? undefined);
  },
  legalHolds(_, { endingBefore, subjectId }, ctx) {
    authorize(ctx.principal, 'legalHolds');
    return ctx.vault.stores.views.listHolds({
      ...(subjectId ? { subjectId } : {}),
      ...(endingBefore ? { endingBefore } : {}),
    });
  },
  statistics(_, { fromMonth, toMonth }, ctx) {
    authorize(ctx.principal, 'statistics');
    const from = month(fromMonth, 'fromMonth');
    const to = month(toMonth, 'toMonth');
    return ctx.vault.stores.views.listStats({ ...(from ? { fromMonth: from } : {}), ...(to ? { toMonth: to } : {}) });
  },
  retentionPreview(_, { asOf }, ctx) {
    authorize(ctx.principal, 'retentionPreview');
    return ctx.vault.sweepRetention({ dryRun: true, ...(asOf ? { asOf } : {}) });
  },
};

export const rightsMutation: MutationResolvers = {
  transmitPortabilityExport(_, { subjectId, receiver }, ctx) {
    authorize(ctx.principal, 'transmitPortabilityExport');
    authorizeSubject(ctx.principal, subjectId);
    return ctx.vault.rights.transmitExport(subjectId, receiver, `${ctx.publicUrl}${JWKS_PATH}`, options(ctx));
  },
  async createExportLink(_, { subjectId, kind }, ctx) {
    authorize(ctx.principal, 'createExportLink');
    return exportLink(ctx, await ctx.vault.rights.createExportLink(subjectId, kind, options(ctx)));
  },
  async openRequest(_, { subjectId, type, receivedAt, channel }, ctx) {
    authorize(ctx.principal, 'openRequest');
    authorizeSubject(ctx.principal, subjectId);
    const p = ctx.principal;
    if (p.role !== 'subject') {
      const requestId = await ctx.vault.rights.openRequest(
        subjectId,
        { requestType: type, receivedAt, channel },
        options(ctx),
      );
      return ctx.vault.rights.request(requestId);
    }
    // A subject's own request arrives now through the privacy centre, whatever the page says, and the login that
    // authenticated it verified who asks (Art. 12(6)): recorded with the identity provider, in the append that opens
    // the request, so a failure cannot leave it open and unverified.
    const verifiedBy = p.login ? { method: p.login.method, issuer: p.login.issuer } : { method: 'accountLogin' };
    const opened = { requestType: type, receivedAt: ctx.vault.now(), channel: 'webForm', verifiedBy };
    return ctx.vault.rights.request(await ctx.vault.rights.openRequest(subjectId, opened, options(ctx)));
  },
  verifyIdentity(_, { requestId, method }, ctx) {
    authorize(ctx.principal, 'verifyIdentity');
    return step(ctx, { type: 'VerifyIdentity', requestId, method });
  },
  extendRequest(_, { requestId, months, reason }, ctx) {
    authorize(ctx.principal, 'extendRequest');
    return step(ctx, { type: 'ExtendRequest', requestId, months, reason: text(reason, 'reason') });
  },
  refuseRequest(_, { requestId, reason }, ctx) {
    authorize(ctx.principal, 'refuseRequest');
    return step(ctx, { type: 'RefuseRequest', requestId, reason: text(reason, 'reason') });
  },
  async completeRequest(_, { requestId }, ctx) {
    authorize(ctx.principal, 'completeRequest');
    const { request, certificate, link } = await ctx.vault.rights.completeRequest(requestId, options(ctx));
    return { request, certificate: certificate ?? null, link: link ? exportLink(ctx, link) : null };
  },
};

export const DataSubjectRequest: DataSubjectRequestResolvers = {
  id: (r) => r.id,
  subjectId: (r) => r.subjectId,
  type: (r) => r.data.requestType as RequestType,
  status: (r) => r.status as RequestStatus,
  receivedAt: (r) => r.data.receivedAt as string,
  channel: (r) => r.data.channel as Channel,
  // The row is listed by the deadline a still open request missed; its due date as the log has it is in data.
  dueAt: (r) => (r.data.dueAt as string | undefined) ?? r.dueAt!,
  extendedMonths: (r) => (r.data.extendedMonths as number | undefined) ?? 0,
  verifiedAt: (r) => (r.data.verifiedAt as string | null | undefined) ?? null,
  verificationMethod: (r) =>
    (r.data.verificationMethod as VerificationMethod | undefined) ?? (r.data.verifiedAt ? 'other' : null),
  verificationIssuer: (r) => (r.data.verificationIssuer as string | undefined) ?? null,
  closedAt: (r) => (r.data.closedAt as string | null | undefined) ?? null,
  overdue: (r, _, ctx) => r.status === 'OPEN' && missedBy(r, ctx.vault.now()) !== null,
  propagationOverdue: (r, _, ctx) => propagationOverdueOf(ctx, r.id),
  missedDeadlineAt: (r, _, ctx) => missedBy(r, ctx.vault.now()),
  // The texts are opened only when asked for and there is one: a listing of requests does not open every subject's key.
  extensions: async (r, _, ctx) =>
    ((r.data.extendedMonths as number | undefined) ?? 0) > 0
      ? ((await ctx.loaders.requestTexts.load(r.subjectId))?.requests.get(r.id)?.extensions ?? [])
      : [],
  refusalReason: async (r, _, ctx) =>
    r.status === 'REFUSED'
      ? ((await ctx.loaders.requestTexts.load(r.subjectId))?.requests.get(r.id)?.refusalReason ?? null)
      : null,
};

/** The signed report's readable form, rendered from the very text signed (`rights/reportHtml.ts`). */
export const SignedReport: SignedReportResolvers = {
  html(parent, { language }, ctx) {
    if (parent.signature.kind !== 'ACCESS') return null;
    const chosen = reportLanguageOf(language ?? 'en');
    if (!chosen) throw badInput(`language must be one of ${REPORT_LANGUAGES.join(', ')}`, 'language');
    const { protected: header, payload, signature } = parent.jws;
    return renderAccessReportHtml(JSON.parse(parent.text) as AccessReportDoc, ctx.vault.register, chosen, {
      text: parent.text,
      sha256: parent.signature.sha256,
      jws: `${header}.${payload}.${signature}`,
      keyUrl: `${ctx.publicUrl}${JWKS_PATH}`,
    });
  },
};

export const PendingNotification: PendingNotificationResolvers = {
  subjectId: (n) => n.subjectId,
  categories: (n) => [...((n.data.categories as string[] | undefined) ?? [])],
  openedAt: (n) => n.data.openedAt as string,
  dueAt: (n) => n.dueAt!,
};
