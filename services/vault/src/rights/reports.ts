import { createHash } from 'node:crypto';

import { openValue, valueContext } from '../crypto/envelope.js';
import type { KeyRing } from '../crypto/keyRing.js';
import { openField, requestsKeyId } from '../crypto/sealedFields.js';
import type { Signer } from '../crypto/signer.js';
import {
  consentExpiresAt,
  type ConsentProof,
  type ConsentStatus,
  consentStatus,
  proofsOf,
  provenanceOf,
} from '../domain/consent.js';
import { missedDeadlineAt } from '../domain/deadlines.js';
import { VaultError } from '../domain/errors.js';
import { type EventOf, type ExportKind, REQUESTS_CATEGORY } from '../domain/events.js';
import { streamOf } from '../domain/events.js';
import {
  type CategorySpec,
  isPortable,
  type LegalBasis,
  originOfValue,
  type ProcessingRegister,
  type Recipient,
  type Source,
} from '../domain/register.js';
import { entryEnds, entryHoldOn, holdOn, holdsOf, retentionOf, triggerTime } from '../domain/retention.js';
import { entryOf, liveEntryKeyIds } from '../domain/state.js';
import type { CategoryState, FieldState, SubjectState } from '../domain/subject.js';
import { addIsoDuration } from '../domain/time.js';
import type { AccessLog, AccessLogEntry, RecipientRow } from '../ports/AccessLog.js';
import type { Commands } from '../ports/Commands.js';
import type { EventLog, RecordedEvent } from '../ports/EventLog.js';
import { holdsTexts, openSubjectTexts } from './requestTexts.js';
import { checkedChunks, ShredCheck } from './ShredCheck.js';

/**
 * Access reports (Art. 15) and portability exports (Art. 20), streamed as JSON so a subject
 * with 100,000 events costs flat memory. A report is produced twice from the same frozen
 * inputs (state, stream revision, access-log entries): once to hash it, once to send it; the
 * signature covers the SHA-256 of the exact bytes sent (see `ReportSignature`).
 */

/**
 * The JSON-LD context every report and export names: `schema/rights-context-v1.jsonld`, served at
 * `/schemas/`. It maps each key to a DPV property (or the vault's own `urn:pdv:vocab:` where DPV has
 * none), types the DPV terms below as IRIs, and gives the codes (legal bases, sources, recipient
 * roles) their DPV terms. A new key in a document needs its mapping there, or JSON-LD drops it.
 */
export const RIGHTS_CONTEXT_FILE = 'rights-context-v1.jsonld';

/** Where `/schemas/` is served when the caller does not say: the vault's default address. */
export const DEFAULT_SCHEMA_BASE = 'http://localhost:4000/schemas/';

/** GDPR Art. 6(1) bases as DPV's eu-gdpr terms (dpv: has no public-task basis; eu-gdpr:A6-1-e is it). */
export const LEGAL_BASIS_DPV: Record<LegalBasis, string> = {
  consent: 'eu-gdpr:A6-1-a',
  contract: 'eu-gdpr:A6-1-b',
  legalObligation: 'eu-gdpr:A6-1-c',
  vitalInterest: 'eu-gdpr:A6-1-d',
  publicTask: 'eu-gdpr:A6-1-e',
  legitimateInterest: 'eu-gdpr:A6-1-f',
};

/**
 * Each source as a DPV data source (the context maps the codes so): data observed from the subject's
 * own activity is sourced from the subject in DPV; derived and internal data from the controller.
 */
export const SOURCE_DPV: Record<Source, string> = {
  subject: 'dpv:DataSubjectDataSource',
  observed: 'dpv:DataSubjectDataSource',
  publicRegister: 'dpv:PublicDataSource',
  creditAgency: 'dpv:ThirdPartyDataSource',
  thirdParty: 'dpv:ThirdPartyDataSource',
  tradeShow: 'dpv:ThirdPartyDataSource',
  derived: 'dpv:DataControllerDataSource',
  internal: 'dpv:DataControllerDataSource',
};

/** Each recipient role as a DPV entity type (the context maps the codes so). */
export const RECIPIENT_ROLE_DPV: Record<Recipient['role'], string> = {
  processor: 'dpv:DataProcessor',
  controller: 'dpv:DataController',
  jointController: 'dpv:JointDataControllers',
  authority: 'dpv:Authority',
};

/** The subject's rights, each as DPV's GDPR right (all are `dpv:DataSubjectRight`s). */
export const SUBJECT_RIGHTS = [
  { article: 'Art. 15', right: 'access', dpv: 'eu-gdpr:A15' },
  { article: 'Art. 16', right: 'rectification', dpv: 'eu-gdpr:A16' },
  { article: 'Art. 17', right: 'erasure', dpv: 'eu-gdpr:A17' },
  { article: 'Art. 18', right: 'restriction of processing', dpv: 'eu-gdpr:A18' },
  { article: 'Art. 20', right: 'data portability', dpv: 'eu-gdpr:A20' },
  { article: 'Art. 21', right: 'objection', dpv: 'eu-gdpr:A21' },
  {
    article: 'Art. 22',
    right: 'not to be subject to a decision based solely on automated processing',
    dpv: 'eu-gdpr:A22',
  },
  { article: 'Art. 7(3)', right: 'withdraw consent at any time', dpv: 'eu-gdpr:A7-3' },
  { article: 'Art. 77', right: 'lodge a complaint with a supervisory authority', dpv: 'eu-gdpr:A77' },
] as const;

export interface ReportDeps {
  log: EventLog;
  keyRing: KeyRing;
  register: ProcessingRegister;
  accessLog: AccessLog;
  signer: Signer;
  commands: Commands;
  /** The base `/schemas/` is served at (`VAULT_SCHEMA_BASE_URL`), ending in `/`. Default `DEFAULT_SCHEMA_BASE`. */
  schemaBaseUrl?: () => string;
}

/** Everything a report is made of that could change while it is produced, frozen once. */
export interface ReportInputs {
  kind: ExportKind;
  subjectId: string;
  generatedAt: string;
  state: SubjectState;
  /** The stream is read up to this revision, in both passes. */
  revision: number;
  /** Who read what, summed per category, actor and purpose (ACCESS reports only). */
  access: RecipientRow[];
  /** Each read itself, newest first, at most `DISCLOSURES_LISTED`, and how many there were (ACCESS reports only). */
  disclosures: { total: number; entries: AccessLogEntry[] };
}

/**
 * How many single reads an access report lists, newest first (the subject is entitled to the date
 * and purpose of each consultation, CJEU C-579/21). It counts every read, and each recipient's
 * first and last read and their number stay complete per category, however many there were.
 */
export const DISCLOSURES_LISTED = 1000;

/** What the vault signs: the digest of the exact bytes of a report, plus what it is about. */
export interface ReportSignature {
  type: 'ReportDigest';
  kind: ExportKind;
  subjectId: string;
  generatedAt: string;
  sha256: string;
  bytes: number;
}

export const REPORT_TYP = 'pdv-report-digest+json';

const NO_DISCLOSURES = { total: 0, entries: [] };

/** Freezes the inputs of a report. Fails with NOT_FOUND for an unknown subject. */
export async function freezeReport(
  deps: ReportDeps,
  subjectId: string,
  kind: ExportKind,
  generatedAt: string,
): Promise<ReportInputs> {
  const state = await deps.commands.load(subjectId);
  if (!state.registeredAt)
    throw new VaultError('NOT_FOUND', 'Subject not found', { path: 'subjectId', details: { subjectId } });
  if (kind !== 'ACCESS')
    return { kind, subjectId, generatedAt, state, revision: state.revision, access: [], disclosures: NO_DISCLOSURES };
  const [access, entries, total] = await Promise.all([
    deps.accessLog.recipientsOf(subjectId, generatedAt),
    deps.accessLog.listBySubject(subjectId, { until: generatedAt, limit: DISCLOSURES_LISTED }),
    deps.accessLog.countBySubject(subjectId, generatedAt),
  ]);
  return { kind, subjectId, generatedAt, state, revision: state.revision, access, disclosures: { total, entries } };
}

/** One page of a subject's reads (`consultations`): every read up to `until` counted, newest first from `offset`. */
export interface ConsultationPage {
  total: number;
  offset: number;
  entries: { at: string; actor: string; purpose: string; categories: string[] }[];
}

/**
 * The access report's consultations continued past the `DISCLOSURES_LISTED` it lists: with the
 * report's time as `until`, the pages hold still while new reads come in. Fails with BAD_USER_INPUT
 * for a page outside 1 to `DISCLOSURES_LISTED` entries or a negative offset, and with NOT_FOUND for
 * an unknown subject.
 */
export async function consultationsOf(
  deps: Pick<ReportDeps, 'accessLog' | 'commands'>,
  subjectId: string,
  page: { until: string; offset: number; first: number },
): Promise<ConsultationPage> {
  const { until, offset, first } = page;
  if (!Number.isInteger(first) || first < 1 || first > DISCLOSURES_LISTED)
    throw new VaultError('BAD_USER_INPUT', `A page holds 1 to ${DISCLOSURES_LISTED} reads`, { path: 'first' });
  if (!Number.isInteger(offset) || offset < 0)
    throw new VaultError('BAD_USER_INPUT', 'The offset is a whole number, 0 or more', { path: 'offset' });
  if (!(await deps.commands.load(subjectId)).registeredAt)
    throw new VaultError('NOT_FOUND', 'Subject not found', { path: 'subjectId', details: { subjectId } });
  const [entries, total] = await Promise.all([
    deps.accessLog.listBySubject(subjectId, { until, offset, limit: first }),
    deps.accessLog.countBySubject(subjectId, until),
  ]);
  return {
    total,
    offset,
    entries: entries.map(({ at, actor, purpose, categories }) => ({ at, actor, purpose, categories })),
  };
}

/**
 * The report as JSON text chunks, in a stable order. Fails with KEY_SHREDDED, before its last
 * chunk, when a key it opened is shredded while it is produced (see `ShredCheck`), and with
 * CONFLICT when given the `sha256` its bytes must have and they have another.
 */
export function reportChunks(
  deps: ReportDeps,
  inputs: ReportInputs,
  check = new ShredCheck(deps.keyRing),
  sha256?: string,
): AsyncGenerator<string> {
  return checkedChunks(uncheckedChunks(deps, inputs, check), check, sha256);
}

async function* uncheckedChunks(deps: ReportDeps, inputs: ReportInputs, check: ShredCheck): AsyncGenerator<string> {
  const { state } = inputs;
  const register = deps.register;
  const keyIds = liveKeyIds(state);
  const textsKeyId = inputs.kind === 'ACCESS' && holdsTexts(state) ? requestsKeyId(inputs.subjectId) : undefined;
  const keys = await check.load(textsKeyId ? [...keyIds, textsKeyId] : keyIds);
  const head = {
    '@context': new URL(RIGHTS_CONTEXT_FILE, deps.schemaBaseUrl?.() ?? DEFAULT_SCHEMA_BASE).href,
    type: inputs.kind === 'ACCESS' ? 'AccessReport' : 'PortabilityExport',
    version: 1,
    subjectId: inputs.subjectId,
    generatedAt: inputs.generatedAt,
    controller: register.controller,
    ...(inputs.kind === 'ACCESS'
      ? { dpo: register.dpo, supervisoryAuthority: register.supervisoryAuthority, rights: SUBJECT_RIGHTS }
      : {}),
  };
  const headJson = JSON.stringify(head);
  yield `${headJson.slice(0, -1)},"items":[`;

  let first = true;
  for (const item of itemsOf(deps.register, inputs, keys)) {
    yield `${first ? '' : ','}${JSON.stringify(item)}`;
    first = false;
  }
  yield '],"consents":';
  yield JSON.stringify(consentsOf(register, state, inputs.generatedAt));
  if (inputs.kind === 'ACCESS') {
    yield ',"restrictions":';
    yield JSON.stringify(
      Object.entries(state.restrictions).map(([category, r]) => ({ category, since: r.at, reason: r.reason })),
    );
    // The reasons the DPO gave are the subject's to know: for an extension (Art. 12(3)), a refusal
    // (Art. 12(4)) and an override of an objection (Art. 21(1)).
    const texts = openSubjectTexts(state, textsKeyId ? keys.get(textsKeyId) : undefined);
    yield ',"objections":';
    // Standing objections, then those the DPO overrode, with when and on what grounds.
    yield JSON.stringify([
      ...Object.entries(state.objections).map(([purpose, o]) => ({ purpose, since: o.at })),
      ...Object.entries(state.overriddenObjections ?? {}).map(([purpose, o]) => ({
        purpose,
        since: o.objectedAt,
        overriddenAt: o.at,
        grounds: texts.overrideGrounds.get(purpose) ?? null,
      })),
    ]);
    yield ',"requests":';
    yield JSON.stringify(
      Object.values(state.rights?.requests ?? {}).map((q) => {
        const t = texts.requests.get(q.requestId);
        return {
          requestId: q.requestId,
          type: q.requestType,
          receivedAt: q.receivedAt,
          dueAt: q.dueAt,
          // Art. 12(3): a deadline missed stays on the subject's record, answered or not.
          missedDeadlineAt: missedDeadlineAt(q, inputs.generatedAt),
          status: q.status,
          closedAt: q.closedAt,
          extensions: t?.extensions ?? [],
          ...(q.status === 'REFUSED' ? { refusalReason: t?.refusalReason ?? null } : {}),
        };
      }),
    );
    yield ',"transmissions":';
    yield JSON.stringify(transmissionsOf(register, state));
    yield ',"history":[';
    let firstPast = true;
    for await (const past of history(deps, inputs, check)) {
      yield `${firstPast ? '' : ','}${JSON.stringify(past)}`;
      firstPast = false;
    }
    yield '],"automatedDecisions":';
    yield JSON.stringify(decisionsOf(register, inputs, keys));
    const { total, entries } = inputs.disclosures;
    yield `,"disclosures":{"total":${total},"listed":${entries.length},"entries":`;
    yield JSON.stringify(
      entries.map((e) => ({ at: e.at, actor: e.actor, purpose: e.purpose, categories: [...e.categories].sort() })),
    );
    yield '}';
  }
  yield '}';
}

/**
 * Each automated decision the register declares for a category the subject has data in (Art.
 * 15(1)(h)): the logic in the register's words, and the factors it uses with this subject's values
 * (CJEU C-203/22), so the subject sees what the decision was made on. A factor the subject has no
 * value for is left out; a shredded category has no decision to explain.
 */
function decisionsOf(register: ProcessingRegister, inputs: ReportInputs, keys: Keys) {
  const { state } = inputs;
  return Object.entries(state.categories)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([category, c]) => {
      const spec = register.categories[category];
      if (!spec?.automatedDecisionMaking || c.shredded) return [];
      const key = keys.get(c.keyId);
      const factors = (spec.automatedDecisionFactors ?? [])
        .filter((field) => Object.hasOwn(c.fields, field))
        .map((field) => ({
          field,
          value: key ? openField(state.subjectId, category, field, c.fields[field]!, key) : null,
        }));
      return [
        {
          category,
          dpvCategory: spec.dpv,
          type: 'dpv:AutomatedDecisionMaking',
          logic: spec.automatedDecisionMaking,
          factors,
        },
      ];
    });
}

type Keys = Map<string, Uint8Array>;

/** The keys of the subject's live values: each category's own (none, '', where it only had entries) and entries'. */
const liveKeyIds = (state: SubjectState): string[] =>
  Object.values(state.categories).flatMap((c) => [...(c.shredded || !c.keyId ? [] : [c.keyId]), ...liveEntryKeyIds(c)]);

/**
 * The current values of a category: its own (unless its key was shredded), then each live entry's (a
 * debtor's debt-collection cases), by field, each with the key it is sealed under.
 */
function valuesOf(c: CategoryState): { field: string; f: FieldState; keyId: string; entry?: string }[] {
  const byField = ([a]: [string, unknown], [b]: [string, unknown]) => a.localeCompare(b);
  const own = c.shredded
    ? []
    : Object.entries(c.fields)
        .sort(byField)
        .map(([field, f]) => ({ field, f, keyId: c.keyId }));
  const entries = Object.entries(c.entries ?? {})
    .filter(([, e]) => !e.shredded)
    .sort(byField)
    .flatMap(([entry, e]) =>
      Object.entries(e.fields)
        .sort(byField)
        .map(([field, f]) => ({ field, f, keyId: e.keyId, entry })),
    );
  return [...own, ...entries];
}

/**
 * Each purpose's consent as it stands at the report's time (`given`, `at`: when it was last given or withdrawn;
 * `dpvStatus` as DPV's consent status: given, withdrawn, or expired past the register's `consentValidFor`, when a
 * record's `expiresAt` has passed), the data categories it covers, and the record of every consent given
 * for it (Art. 7(1); a `dpv:ConsentRecord` each, as ISO/IEC TS 27560 keeps them): when, the privacy
 * notice shown, the channel, who collected it, when it was withdrawn, and its status. A consent
 * recorded before the vault kept records shows `provenance: unknown`, its notice, channel and
 * collector null.
 */
function consentsOf(register: ProcessingRegister, state: SubjectState, now: string) {
  return Object.entries(state.consents)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([purpose, c]) => ({
      purpose,
      dpvPurpose: register.purposes[purpose]?.dpv ?? null,
      given: consentStatus(register, purpose, c, now) === 'given',
      at: c.at,
      dpvStatus: CONSENT_STATUS_DPV[consentStatus(register, purpose, c, now)],
      dataCategories: consentCategories(register, purpose),
      proofs: proofsOf(c).map((p, i, all) => ({
        type: 'dpv:ConsentRecord',
        dpvStatus: p.withdrawnAt
          ? 'dpv:ConsentWithdrawn'
          : expired(register, purpose, p, now)
            ? 'dpv:ConsentExpired'
            : all.slice(0, i).some((q) => q.withdrawnAt)
              ? 'dpv:RenewedConsentGiven'
              : 'dpv:ConsentGiven',
        expiresAt: consentExpiresAt(register, purpose, p.givenAt),
        provenance: provenanceOf(p),
        givenAt: p.givenAt,
        notice: p.noticeId === null ? null : { id: p.noticeId, version: p.noticeVersion },
        channel: p.channel,
        collectedBy: p.collectedBy,
        withdrawnAt: p.withdrawnAt,
        withdrawal: withdrawalOf(p),
        eventId: p.eventId,
      })),
    }));
}

const CONSENT_STATUS_DPV: Record<ConsentStatus, string> = {
  given: 'dpv:ConsentGiven',
  withdrawn: 'dpv:ConsentWithdrawn',
  expired: 'dpv:ConsentExpired',
};

/** A record not withdrawn whose validity (the register's `consentValidFor`) ended by `now`. */
const expired = (register: ProcessingRegister, purpose: string, p: ConsentProof, now: string): boolean => {
  const end = p.withdrawnAt === null ? consentExpiresAt(register, purpose, p.givenAt) : null;
  return end !== null && end <= now;
};

/**
 * How a consent was withdrawn (DPV's `WithdrawConsent`): the channel it came through and who took
 * it, each null where the withdrawal was recorded before the vault kept them; null while it stands.
 */
const withdrawalOf = (p: ConsentProof) =>
  p.withdrawnAt === null
    ? null
    : { type: 'dpv:WithdrawConsent', channel: p.withdrawalChannel ?? null, collectedBy: p.withdrawnBy ?? null };

/**
 * Each direct transmission of the portability export (Art. 20(2)), oldest first, as a DPV record of
 * a right exercised: who asked, to which receiving controller, how it ended and every attempt (its
 * time, the receiver's HTTP status, the digest of the bytes sent).
 */
function transmissionsOf(register: ProcessingRegister, state: SubjectState) {
  const receivers = register.receivingControllers ?? {};
  return Object.values(state.rights?.transmissions ?? {})
    .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))
    .map((t) => ({
      type: 'dpv:RightExerciseRecord',
      dpvRight: 'eu-gdpr:A20',
      transmissionId: t.transmissionId,
      receiver: t.receiver,
      receiverName: Object.hasOwn(receivers, t.receiver) ? receivers[t.receiver]!.name : null,
      requestedBy: t.requestedBy,
      requestedAt: t.requestedAt,
      outcome: t.outcome,
      attempts: t.attempts,
    }));
}

/**
 * The categories a consent to `purpose` covers: those the register uses for the purpose where
 * consent is what makes it lawful (the purpose requires consent, or consent is among the category's
 * legal bases).
 */
function consentCategories(register: ProcessingRegister, purpose: string) {
  const requires = register.purposes[purpose]?.requiresConsent === true;
  return Object.entries(register.categories)
    .filter(([, c]) => c.purposes.includes(purpose) && (requires || c.legalBasis.includes('consent')))
    .map(([category, c]) => ({ category, dpvCategory: c.dpv }))
    .sort((a, b) => a.category.localeCompare(b.category));
}

/**
 * Art. 20 covers the data the subject provided, which the EDPB-endorsed guidelines (WP242 rev.01)
 * read to include what is observed from their use of the service; data obtained from others and
 * derived data are out, by the source each value was recorded with (`originOfValue`). Only on
 * consent or contract (Art. 20(1)(a)).
 */
const portable = (field: CategorySpec['fields'][string] | undefined, f: FieldState): boolean =>
  field !== undefined && isPortable(originOfValue(field, f.source), f.legalBasis);

/**
 * The categories whose values a report shows, and `_requests` when an access report opens the
 * reasons and grounds the DPO gave: what a reader of the report is logged as having read.
 */
export function disclosedCategories(register: ProcessingRegister, inputs: ReportInputs): string[] {
  const { state, kind } = inputs;
  const out: string[] = [];
  for (const [category, c] of Object.entries(state.categories).sort(([a], [b]) => a.localeCompare(b))) {
    const spec = register.categories[category];
    if (!spec || (c.shredded && liveEntryKeyIds(c).length === 0)) continue;
    if (valuesOf(c).some(({ field, f }) => kind !== 'PORTABILITY' || portable(spec.fields[field], f)))
      out.push(category);
  }
  if (kind === 'ACCESS' && holdsTexts(state)) out.push(REQUESTS_CATEGORY);
  return out;
}

/** Each recipient once, with its last read as `at` (as a single read is shown), its first and how many. */
function readsByCategory(access: ReportInputs['access']) {
  const readsOf = new Map<string, { actor: string; purpose: string; at: string; firstAt: string; reads: number }[]>();
  for (const r of access) {
    let list = readsOf.get(r.category);
    if (!list) readsOf.set(r.category, (list = []));
    list.push({ actor: r.actor, purpose: r.purpose, at: r.lastAt, firstAt: r.firstAt, reads: r.reads });
  }
  return readsOf;
}

function* itemsOf(register: ProcessingRegister, inputs: ReportInputs, keys: Keys): Generator<Record<string, unknown>> {
  const { state, generatedAt, kind } = inputs;
  const readsOf = readsByCategory(inputs.access);
  for (const [category, c] of Object.entries(state.categories).sort(([a], [b]) => a.localeCompare(b))) {
    const spec = register.categories[category];
    if (!spec) continue;
    if (c.shredded) {
      // Who read it before it was erased stays in the report: the access log is not erased with the data.
      if (kind === 'ACCESS')
        yield {
          category,
          dpvCategory: spec.dpv,
          field: null,
          status: { state: 'ERASED', at: c.shredded.at, reason: c.shredded.reason },
          recipients: { external: externalRecipients(register, category), actual: readsOf.get(category) ?? [] },
        };
      // Entries have keys of their own: a case still kept outlives its category's own key.
      if (liveEntryKeyIds(c).length === 0) continue;
    }
    const hold = holdOn(state, spec, category, generatedAt);
    // Each entry on its own holds (a DPO hold on one case, the law's period of one entry) and its own end.
    const entryHold = (entry: string) => entryHoldOn(state, spec, category, entry, generatedAt);
    const ends = c.entries ? new Map(entryEnds(state, register, category).map((e) => [e.entry, e.at])) : undefined;
    for (const { field, f, keyId, entry } of valuesOf(c)) {
      const fieldSpec = spec.fields[field];
      if (kind === 'PORTABILITY' && !portable(fieldSpec, f)) continue;
      const key = keys.get(keyId);
      const value = key ? openField(state.subjectId, category, field, f, key) : null;
      const base = {
        category,
        dpvCategory: spec.dpv,
        field,
        // The entry (a debt-collection case) the value belongs to, where it has one.
        ...(entry === undefined ? {} : { entry }),
        type: fieldSpec?.type ?? null,
        value,
        recordedAt: f.recordedAt,
        updatedAt: f.updatedAt,
        purpose: f.purpose,
        dpvPurpose: register.purposes[f.purpose]?.dpv ?? null,
        legalBasis: f.legalBasis,
        dpvLegalBasis: LEGAL_BASIS_DPV[f.legalBasis],
        // By the source of this value; null only for a field the register no longer lists (never in an export).
        origin: fieldSpec ? originOfValue(fieldSpec, f.source) : null,
      };
      if (kind === 'PORTABILITY') {
        yield base;
        continue;
      }
      yield {
        ...base,
        source: f.source,
        // The register's own words, written for the subject (Art. 12(1)): the category and each purpose.
        categoryDescription: spec.description,
        purposes: purposesOf(register, spec),
        recipients: {
          // The English the register gives; the readable report finds the translations there.
          categories: spec.recipients.map(({ purposeTranslations: _, ...r }) => r),
          external: externalRecipients(register, category),
          actual: readsOf.get(category) ?? [],
        },
        retention: retentionInfo(state, spec, category, entry === undefined ? undefined : ends?.get(entry)),
        transfers: spec.transfers.map(({ safeguardTranslations: _, ...t }) => t),
        automatedDecisionMaking: spec.automatedDecisionMaking,
        dpvAutomatedDecisionMaking: spec.automatedDecisionMaking === null ? null : 'dpv:AutomatedDecisionMaking',
        specialCategory: spec.specialCategory,
        dpvSpecialCategory: spec.specialCategory ? 'dpv:SpecialCategoryPersonalData' : null,
        ...(f.rectified ? { rectified: f.rectified } : {}),
        ...(f.contested ? { contested: { requestId: f.contested.requestId, since: f.contested.at } } : {}),
        status: statusOf(entry === undefined ? hold : entryHold(entry)),
      };
    }
    // Fields erased on their own, while the category (or the entry) lives on: gone, and said so.
    if (kind === 'ACCESS')
      for (const { field, at, reason, entry } of erasedFieldsOf(c)) {
        yield {
          category,
          dpvCategory: spec.dpv,
          field,
          ...(entry === undefined ? {} : { entry }),
          status: { state: 'ERASED', at, reason },
          recipients: { external: externalRecipients(register, category), actual: readsOf.get(category) ?? [] },
        };
      }
  }
}

const statusOf = (hold: { basis: string; until: string } | undefined) =>
  hold ? { state: 'RETAINED', basis: hold.basis, until: hold.until } : { state: 'ACTIVE' };

/** The fields erased one by one: the category's own while its key lives, then each live entry's, by field. */
function erasedFieldsOf(c: CategoryState): { field: string; at: string; reason: string; entry?: string }[] {
  const byField = ([a]: [string, unknown], [b]: [string, unknown]) => a.localeCompare(b);
  const own = c.shredded
    ? []
    : Object.entries(c.erasedFields ?? {})
        .sort(byField)
        .map(([field, e]) => ({ field, at: e.at, reason: e.reason }));
  const entries = Object.entries(c.entries ?? {})
    .filter(([, e]) => !e.shredded)
    .sort(byField)
    .flatMap(([entry, e]) =>
      Object.entries(e.erasedFields ?? {})
        .sort(byField)
        .map(([field, x]) => ({ field, at: x.at, reason: x.reason, entry })),
    );
  return [...own, ...entries];
}

/**
 * The recipients outside the vault's own services that the register says receive the category (its `recipients`
 * with `categories` and no `service`), which are told of each rectification, erasure and restriction of it (Art.
 * 15(1)(c), the last sentence of Art. 19); the services that read it are in `actual`, from the access log.
 */
const externalRecipients = (register: ProcessingRegister, category: string) =>
  Object.values(register.recipients ?? {})
    .filter((r) => r.service === undefined && (r.categories ?? []).includes(category))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((r) => ({ recipient: r.name, name: r.label ?? r.name, purposes: [...(r.purposes ?? [])] }));

/** A category's purposes with their DPV terms and the register's descriptions. */
const purposesOf = (register: ProcessingRegister, spec: CategorySpec) =>
  spec.purposes.map((p) => ({
    purpose: p,
    dpvPurpose: register.purposes[p]?.dpv ?? null,
    description: register.purposes[p]?.description ?? null,
  }));

/**
 * The category's retention rule and when it ends; for an entry's value (`entryEnd`: its end, or `open`), the entry's
 * own end (null while open), which its case's own event and holds decide, not the category's.
 */
function retentionInfo(state: SubjectState, spec: CategorySpec, category: string, entryEnd?: string) {
  const rule = spec.retention.description ?? `${spec.retention.duration} (${spec.retention.trigger.kind})`;
  if (entryEnd !== undefined)
    return { rule, duration: spec.retention.duration, endsAt: entryEnd === 'open' ? null : entryEnd };
  const register = { categories: { [category]: spec } } as unknown as ProcessingRegister;
  const row = retentionOf(state, register, holdsOf(state, register)).find((r) => r.category === category);
  const from = triggerTime(state, category, spec.retention.trigger);
  return {
    rule,
    duration: spec.retention.duration,
    endsAt: row?.dueAt ?? (from ? addIsoDuration(from, spec.retention.duration) : null),
  };
}

/** Past values still readable in the log (superseded by rectification), oldest first. */
async function* history(
  deps: ReportDeps,
  inputs: ReportInputs,
  check: ShredCheck,
): AsyncGenerator<Record<string, unknown>> {
  const pageSize = 1000;
  let from = 0;
  while (from <= inputs.revision) {
    const page = await deps.log.readStream(streamOf(inputs.subjectId), {
      fromRevision: from,
      maxCount: Math.min(pageSize, inputs.revision - from + 1),
    });
    if (page.length === 0) return;
    const data = page.filter(
      (e) => e.type === 'PersonalDataRecorded' || e.type === 'PersonalDataRectified',
    ) as unknown as (RecordedEvent & EventOf<'PersonalDataRecorded'>)[];
    const keys = await check.load([...new Set(data.map((e) => e.data.keyId))]);
    for (const e of data) {
      const key = keys.get(e.data.keyId);
      const { category, field, entry } = e.data;
      const c = inputs.state.categories[category];
      // The current value, the category's own or its entry's, is in `items` already.
      const current = entry === undefined ? c?.fields[field] : entryOf(c, entry)?.fields[field];
      if (!key || current?.eventId === e.id) continue; // shredded, or the current value
      yield {
        category,
        field,
        ...(entry === undefined ? {} : { entry }),
        value: openValue(key, e.data.value, valueContext(inputs.subjectId, category, field, e.id)),
        recordedAt: e.metadata.at,
        source: e.data.source,
        purpose: e.data.purpose,
        legalBasis: e.data.legalBasis,
      };
    }
    from = page[page.length - 1]!.revision + 1;
  }
}

/** The document the vault signs for a report: what it is about, and the digest of its exact bytes. */
export const reportDigest = (inputs: ReportInputs, sha256: string, bytes: number): ReportSignature => ({
  type: 'ReportDigest',
  kind: inputs.kind,
  subjectId: inputs.subjectId,
  generatedAt: inputs.generatedAt,
  sha256,
  bytes,
});

/**
 * Hashes a report without holding it: the first of the two passes of a download. `check` learns
 * the keys this pass opened, which the second pass must open again.
 */
export async function digestReport(
  deps: ReportDeps,
  inputs: ReportInputs,
  check?: ShredCheck,
): Promise<ReportSignature> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of reportChunks(deps, inputs, check)) {
    const b = Buffer.from(chunk);
    bytes += b.length;
    hash.update(b);
  }
  return reportDigest(inputs, hash.digest('hex'), bytes);
}
