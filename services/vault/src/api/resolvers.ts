import { randomUUID } from 'node:crypto';

import type { ConsentInput as DomainConsent } from '../domain/consent.js';
import { badInput, VaultError } from '../domain/errors.js';
import type { EventOf } from '../domain/events.js';
import { unknownName } from '../domain/names.js';
import { originOf } from '../domain/register.js';
import type { Command, DataItemInput, Writer } from '../domain/subject.js';
import { lookupForm, validateValue } from '../domain/values.js';
import type { CommandResult } from '../ports/Commands.js';
import type { SubjectRead } from '../read/SubjectReader.js';
import { subjectDisclosures } from './accessRecorder.js';
import type { ApiContext } from './context.js';
import type { CommandPayload, ConsentInput, PersonalDataInput, Resolvers } from './generated/graphql.js';
import { text } from './inputs.js';
import type { SubjectModel } from './models.js';
import { authorize, authorizeCategory, authorizePurpose, authorizeSubject, type Operation } from './policy.js';
import { propagationMutation, propagationQuery } from './propagationResolvers.js';
import { LegalHold, RetentionPreviewItem } from './retentionResolvers.js';
import {
  DataSubjectRequest,
  PendingNotification,
  rightsMutation,
  rightsQuery,
  SignedReport,
} from './rightsResolvers.js';
import { DateTimeScalar, JSONScalar } from './scalars.js';
import { selectsField } from './selectsField.js';

function knownPurpose(ctx: ApiContext, purpose: string, path = 'purpose'): void {
  // The input is not echoed: a caller's mistake could put anything in it.
  if (!ctx.vault.register.purposes[purpose])
    throw unknownName('purpose', Object.keys(ctx.vault.register.purposes), path);
}

function payload(result: CommandResult): CommandPayload {
  return {
    subjectId: result.subjectId,
    revision: result.revision,
    eventCount: result.events.length,
    shreddedCategories: result.events
      .filter((e) => e.type === 'CategoryShredded')
      .map((e) => (e as unknown as EventOf<'CategoryShredded'>).data.category),
  };
}

/** Authorizes by role and subject, then runs the command and waits until reads show it. */
async function run(
  ctx: ApiContext,
  operation: Operation,
  subjectId: string,
  command: Command,
): Promise<CommandPayload> {
  authorize(ctx.principal, operation);
  authorizeSubject(ctx.principal, subjectId);
  const options = { actor: ctx.actor, correlationId: ctx.requestId, writer: writerOf(ctx.principal) };
  return payload(await ctx.vault.execute(subjectId, command, options));
}

/** The caller as the rules on who may change a value see it (domain/decide/valueOwnership.ts). */
const writerOf = (p: ApiContext['principal']): Writer =>
  p.role === 'service' ? { role: 'service', purposes: p.purposes } : { role: p.role };

function dataItems(ctx: ApiContext, items: readonly PersonalDataInput[]): DataItemInput[] {
  if (items.length > ctx.limits.maxItemsPerCommand)
    throw badInput(`At most ${ctx.limits.maxItemsPerCommand} items per call`, 'items');
  return items.map((item, i) => {
    knownPurpose(ctx, item.purpose, `items[${i}].purpose`);
    authorizePurpose(ctx.principal, item.purpose, `items[${i}].purpose`);
    return {
      category: item.category,
      field: item.field,
      value: item.value,
      purpose: item.purpose,
      legalBasis: item.legalBasis,
      source: item.source,
      ...(item.entry == null ? {} : { entry: text(item.entry, `items[${i}].entry`) }),
    };
  });
}

/** Consents given with a write: like `giveConsent`, each for a purpose the caller's token carries. */
function consentInputs(
  ctx: ApiContext,
  consents: readonly ConsentInput[] | null | undefined,
): DomainConsent[] | undefined {
  if (!consents || consents.length === 0) return undefined;
  if (consents.length > Object.keys(ctx.vault.register.purposes).length)
    throw badInput('At most one consent per purpose of the register', 'consents');
  return consents.map((c, i) => {
    knownPurpose(ctx, c.purpose, `consents[${i}].purpose`);
    authorizePurpose(ctx.principal, c.purpose, `consents[${i}].purpose`);
    return { purpose: c.purpose, noticeId: c.noticeId, noticeVersion: c.noticeVersion, channel: c.channel };
  });
}

/** A write of values, with the consents the same call gives (recorded before the data, in the same append). */
function writeCommand(
  ctx: ApiContext,
  type: 'RecordPersonalData' | 'RectifyPersonalData',
  items: readonly PersonalDataInput[],
  consents: readonly ConsentInput[] | null | undefined,
): Command {
  const given = consentInputs(ctx, consents);
  // A subject's rectification of what it did not provide opens a request (Art. 16): its id, if it does.
  const request = ctx.principal.role === 'subject' ? { requestId: randomUUID() } : {};
  return { type, items: dataItems(ctx, items), ...(given ? { consents: given } : {}), ...request };
}

const model = (read: SubjectRead, purpose: string): SubjectModel => ({ read, purpose });

/**
 * Subjects as the caller will see them. Their `items` record what they show; a query that does not
 * select them still learns that each subject exists and when it was registered, recorded here.
 */
function shown(ctx: ApiContext, values: boolean, reads: readonly SubjectRead[], purpose: string): SubjectModel[] {
  if (!values) {
    const at = ctx.vault.now();
    for (const r of reads)
      for (const e of subjectDisclosures({ actor: ctx.actor, purpose, subjectId: r.subjectId, at }))
        ctx.access.record(e);
  }
  return reads.map((r) => model(r, purpose));
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,

  Query: {
    async subject(_, { id, purpose }, ctx, info) {
      authorize(ctx.principal, 'subject');
      authorizeSubject(ctx.principal, id, 'id');
      knownPurpose(ctx, purpose);
      // Also null for a subject none of whose categories the caller's purposes reach: the same answer as an unknown id.
      const values = selectsField(info, 'items');
      const read = await ctx.loaders.subjects.load({ subjectId: id, purpose, values });
      if (!read) throw new VaultError('NOT_FOUND', 'Subject not found', { path: 'id' });
      return shown(ctx, values, [read], purpose)[0]!;
    },

    async subjects(_, { ids, purpose }, ctx, info) {
      authorize(ctx.principal, 'subjects');
      if (ids.length > ctx.limits.maxSubjectsPerQuery)
        throw badInput(`At most ${ctx.limits.maxSubjectsPerQuery} ids per call`, 'ids');
      ids.forEach((id, i) => authorizeSubject(ctx.principal, id, `ids[${i}]`));
      knownPurpose(ctx, purpose);
      const values = selectsField(info, 'items');
      const reads = await ctx.loaders.subjects.loadMany(ids.map((subjectId) => ({ subjectId, purpose, values })));
      const found = reads.map((r, i) => {
        if (r instanceof Error) throw r;
        if (!r) throw new VaultError('NOT_FOUND', 'Subject not found', { path: `ids[${i}]` });
        return r;
      });
      return shown(ctx, values, found, purpose);
    },

    async findSubjects(_, { identifier, purpose }, ctx, info) {
      authorize(ctx.principal, 'findSubjects');
      const { email, phone } = identifier;
      if ((email == null) === (phone == null)) throw badInput('Give exactly one of email or phone', 'identifier');
      knownPurpose(ctx, purpose);
      const type = email != null ? 'email' : 'phone';
      const value = validateValue(type, email ?? phone, `identifier.${type}`);
      // Under every index key alive: during an epoch rotation, an entry may still carry the old epoch's hash.
      const hashes = await ctx.vault.blindIndex.candidates(lookupForm(type, value)!);
      const entries = await ctx.vault.stores.views.findByBlindIndex(hashes);
      // A subject matches once however many of its values do (its own email, each case's): the limit counts subjects.
      const ids = [...new Set(entries.map((e) => e.subjectId))].slice(0, ctx.limits.maxSubjectsPerQuery);
      // Loading a snapshot opens no value: what the caller may see is decided first, and only that counts. Without
      // items selected, no data key is loaded either (the most common lookup asks for the id alone).
      const values = selectsField(info, 'items');
      const reads = await ctx.loaders.subjects.loadMany(ids.map((subjectId) => ({ subjectId, purpose, values })));
      const visible: SubjectRead[] = [];
      for (const r of reads) {
        if (r instanceof Error) throw r;
        // Only a caller who may read the matching field learns that the subject exists.
        if (
          r &&
          entries.some(
            (e) =>
              e.subjectId === r.subjectId &&
              r.items.some(
                (i) => i.status === 'VALUE' && i.category === e.category && i.field === e.field && i.entry === e.entry,
              ),
          )
        )
          visible.push(r);
      }
      // The limits counted this field as one subject; each further match it shows comes out of what the
      // request has left. Refused without a count: the caller learns nothing of matches it may not see.
      const more = Math.max(0, visible.length - 1);
      if (more > ctx.subjectReadsLeft)
        throw new VaultError(
          'QUERY_TOO_COMPLEX',
          'This lookup matches more subjects than the request may still read; look the identifier up on its own',
        );
      ctx.subjectReadsLeft -= more;
      const at = ctx.vault.now();
      for (const r of visible) {
        // Confirming that a stored identifier belongs to this subject discloses it: logged like a read
        // (which also records that the subject was shown: `shown` would add nothing).
        const matched = [...new Set(entries.filter((e) => e.subjectId === r.subjectId).map((e) => e.category))];
        ctx.access.record({ actor: ctx.actor, purpose, subjectId: r.subjectId, categories: matched, at });
      }
      return visible.map((r) => model(r, purpose));
    },

    processingRegister(_, __, ctx) {
      authorize(ctx.principal, 'processingRegister');
      return ctx.vault.register;
    },

    signingKey(_, __, ctx) {
      authorize(ctx.principal, 'signingKey');
      return ctx.vault.signer.publicJwk;
    },

    me(_, __, { principal: p }) {
      if (p.role === 'service') return { role: 'SERVICE', name: p.name, purposes: [...p.purposes] };
      if (p.role === 'dpo') return { role: 'DPO', name: p.name, purposes: [] };
      return { role: 'SUBJECT', name: p.subjectId, purposes: [] };
    },

    ...rightsQuery,
    ...propagationQuery,
  },

  Mutation: {
    registerSubject: (_, __, ctx) => run(ctx, 'registerSubject', randomUUID(), { type: 'RegisterSubject' }),
    recordPersonalData: (_, { subjectId, items, consents }, ctx) => {
      authorize(ctx.principal, 'recordPersonalData');
      return run(ctx, 'recordPersonalData', subjectId, writeCommand(ctx, 'RecordPersonalData', items, consents));
    },
    rectifyPersonalData: (_, { subjectId, items, consents }, ctx) => {
      authorize(ctx.principal, 'rectifyPersonalData');
      return run(ctx, 'rectifyPersonalData', subjectId, writeCommand(ctx, 'RectifyPersonalData', items, consents));
    },
    erasePersonalData: (_, { subjectId, category, field, reason, entry }, ctx) => {
      authorize(ctx.principal, 'erasePersonalData');
      authorizeCategory(ctx.principal, ctx.vault.register.categories[category]?.purposes, 'category');
      return run(ctx, 'erasePersonalData', subjectId, {
        type: 'ErasePersonalData',
        category,
        field,
        reason,
        remaining: {},
        ...(entry == null ? {} : { entry: text(entry, 'entry') }),
      });
    },
    giveConsent: (_, { subjectId, purpose, noticeId, noticeVersion, channel }, ctx) => {
      authorize(ctx.principal, 'giveConsent');
      knownPurpose(ctx, purpose);
      authorizePurpose(ctx.principal, purpose, 'purpose');
      // Who collected it is the caller, as its token says (the command's actor), never input.
      return run(ctx, 'giveConsent', subjectId, { type: 'GiveConsent', purpose, noticeId, noticeVersion, channel });
    },
    withdrawConsent: (_, { subjectId, purpose, channel }, ctx) => {
      authorize(ctx.principal, 'withdrawConsent');
      knownPurpose(ctx, purpose);
      authorizePurpose(ctx.principal, purpose, 'purpose');
      // Who took it is the caller (the command's actor), as for a consent given.
      const how = channel ? { channel } : {};
      return run(ctx, 'withdrawConsent', subjectId, { type: 'WithdrawConsent', purpose, ...how });
    },
    restrictProcessing: (_, { subjectId, categories, reason }, ctx) =>
      run(ctx, 'restrictProcessing', subjectId, { type: 'RestrictProcessing', categories: [...categories], reason }),
    liftRestriction: (_, { subjectId, categories }, ctx) =>
      run(ctx, 'liftRestriction', subjectId, { type: 'LiftRestriction', categories: [...categories] }),
    objectToProcessing: (_, { subjectId, purpose }, ctx) => {
      authorize(ctx.principal, 'objectToProcessing');
      knownPurpose(ctx, purpose);
      authorizePurpose(ctx.principal, purpose, 'purpose');
      return run(ctx, 'objectToProcessing', subjectId, { type: 'ObjectToProcessing', purpose });
    },
    overrideObjection: (_, { subjectId, purpose, grounds }, ctx) => {
      authorize(ctx.principal, 'overrideObjection');
      knownPurpose(ctx, purpose);
      return run(ctx, 'overrideObjection', subjectId, { type: 'OverrideObjection', purpose, grounds });
    },
    placeLegalHold: (_, { subjectId, category, basis, until, entry }, ctx) =>
      run(ctx, 'placeLegalHold', subjectId, {
        type: 'PlaceLegalHold',
        category,
        basis,
        until,
        ...(entry == null ? {} : { entry: text(entry, 'entry') }),
      }),
    releaseLegalHold: (_, { subjectId, category, entry }, ctx) =>
      run(ctx, 'releaseLegalHold', subjectId, {
        type: 'ReleaseLegalHold',
        category,
        ...(entry == null ? {} : { entry: text(entry, 'entry') }),
      }),
    recordLifecycleEvent: (_, { subjectId, event, entry }, ctx) =>
      run(ctx, 'recordLifecycleEvent', subjectId, {
        type: 'RecordLifecycleEvent',
        event,
        ...(entry == null ? {} : { entry: text(entry, 'entry') }),
      }),
    async eraseSubject(_, { subjectId, reason, requestId }, ctx) {
      authorize(ctx.principal, 'eraseSubject');
      const why = reason;
      const request = requestId == null ? undefined : text(requestId, 'requestId');
      return ctx.vault.erase(subjectId, {
        actor: ctx.actor,
        correlationId: ctx.requestId,
        reason: why,
        ...(request ? { requestId: request } : {}),
      });
    },
    markInformed: (_, { subjectId, at, channel }, ctx) =>
      run(ctx, 'markInformed', subjectId, { type: 'MarkInformed', at, channel }),

    ...rightsMutation,
    ...propagationMutation,
  },

  DataSubjectRequest,
  PendingNotification,
  SignedReport,
  RetainedCategory: {
    entries: (r) => r.entries?.map((e) => ({ ...e, entry: e.entry ?? null, basis: e.basis ?? null })) ?? null,
  },
  LegalHold,
  RetentionPreviewItem,

  Subject: {
    id: (s) => s.read.subjectId,
    registeredAt: (s) => s.read.registeredAt,
    erasedAt: (s) => s.read.erasedAt,
    items(s, { categories }, ctx) {
      const seen = { actor: ctx.actor, purpose: s.purpose, subjectId: s.read.subjectId, at: ctx.vault.now() };
      categories?.forEach((c, i) => {
        if (ctx.vault.register.categories[c]) return;
        // The refusal still tells the caller the subject exists: recorded as a read that showed no category.
        for (const e of subjectDisclosures(seen)) ctx.access.record(e);
        throw unknownName('category', Object.keys(ctx.vault.register.categories), `categories[${i}]`);
      });
      const items = categories ? s.read.items.filter((i) => categories.includes(i.category)) : s.read.items;
      // Values under the purpose, the shape of the rest (denials, erasures) under its metadata marker.
      for (const e of subjectDisclosures(seen, items)) ctx.access.record(e);
      return items;
    },
  },

  PersonalDataItem: {
    __resolveType: (i) =>
      i.status === 'VALUE' ? 'PersonalDataValue' : i.status === 'DENIED' ? 'PersonalDataDenied' : 'PersonalDataErased',
  },
  // A resolver, not the default property read: the value opens here (see SubjectReader), and a
  // resolver's throw becomes a GraphQL error at the value's path (masked), where graphql-jit's
  // inlined property read would let it escape and leave the request unanswered.
  PersonalDataValue: { value: (i) => i.value },
  PersonalDataDenied: { field: (i) => i.field ?? '' },
  PersonalDataErased: { erasureReason: (i) => i.reason },

  ProcessingRegister: {
    purposes: (r) => Object.values(r.purposes),
    categories: (r) => Object.values(r.categories),
  },
  Purpose: { consentValidFor: (p) => p.consentValidFor ?? null },
  Category: {
    fields: (c) => Object.entries(c.fields).map(([name, f]) => ({ name, ...f })),
    legalBasis: (c) => [...c.legalBasis],
    sources: (c) => [...c.sources],
  },
  // A register built in code may give providedBySubject alone.
  FieldSpec: { origin: (f) => originOf(f) },
  RetentionRule: {
    trigger: (r) => r.trigger.kind,
    event: (r) => (r.trigger.kind === 'lifecycle' ? r.trigger.event : null),
    description: (r) => r.description ?? null,
  },
  ErasurePolicy: {
    law: (e) => (e.mode === 'keep' ? e.law : null),
    retention: (e) => (e.mode === 'keep' ? e.retention : null),
  },
};
