/**
 * The processing register (Art. 30 record of processing activities) as the domain sees it.
 * Loaded and validated from YAML by `register/loadRegister.ts`.
 */

export const VALUE_TYPES = [
  'email',
  'phone',
  'string',
  'date',
  'address',
  'freeText',
  'document',
  'number',
  'boolean',
] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export const LEGAL_BASES = [
  'consent',
  'contract',
  'legalObligation',
  'vitalInterest',
  'publicTask',
  'legitimateInterest',
] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

/**
 * The bases an objection lies against besides direct marketing (Art. 21(1)): legitimate interests and a public task.
 */
export const OBJECTION_BASES: readonly string[] = ['legitimateInterest', 'publicTask'];

export const SOURCES = [
  'subject',
  'publicRegister',
  'creditAgency',
  'thirdParty',
  'tradeShow',
  'observed',
  'derived',
  'internal',
] as const;
export type Source = (typeof SOURCES)[number];

/** What starts a retention or legal-hold clock. */
export type RetentionTrigger = { kind: 'recorded' } | { kind: 'lastActivity' } | { kind: 'lifecycle'; event: string };

/**
 * The languages an access report is rendered in for a person (`rights/reportHtml.ts`): English, in
 * which the register is written, Norwegian Bokmål and Danish, which it may add per description.
 */
export const REPORT_LANGUAGES = ['en', 'nb', 'da'] as const;
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];

/**
 * A register text in the other report languages, beside the English it translates: `descriptions: { nb: ..., da: ...
 * }` beside a `description`, `purposeTranslations` beside a recipient's `purpose`, `safeguardTranslations`,
 * `lawTranslations` and `automatedDecisionMakingTranslations` likewise.
 */
export type Translations = Partial<Record<Exclude<ReportLanguage, 'en'>, string>>;

export interface RetentionRule {
  /** ISO 8601 duration, e.g. `P30D`, `P5Y`. */
  duration: string;
  trigger: RetentionTrigger;
  /** Human-readable rule, quoted in access reports. */
  description?: string;
  descriptions?: Translations;
}

/**
 * Where a field's value comes from, in DPV's terms: `provided` by the subject (a form, an order:
 * `dpv:ProvidedPersonalData`), `observed` from the subject's use of the service (clicks, device data:
 * `dpv:ObservedPersonalData`), `obtained` from a third party such as a credit agency or a creditor
 * (`dpv:CollectedPersonalData` from a `dpv:ThirdPartyDataSource`; Art. 14), or `derived` (inferred or
 * created by the controller: `dpv:DerivedPersonalData`). Art. 20 covers provided and observed data
 * (the EDPB-endorsed guidelines WP242 rev.01), neither obtained nor derived data.
 */
export const FIELD_ORIGINS = ['provided', 'observed', 'obtained', 'derived'] as const;
export type FieldOrigin = (typeof FIELD_ORIGINS)[number];

/** The sources that are neither the subject nor the controller: what comes from them is `obtained` (Art. 14). */
export const THIRD_PARTY_SOURCES: readonly Source[] = ['publicRegister', 'creditAgency', 'thirdParty', 'tradeShow'];

export interface FieldSpec {
  type: ValueType;
  /** Lookup key: a blind index (keyed HMAC of the normalised value) is kept in the read models. */
  lookup: boolean;
  /** `origin` is `provided` (kept for the GraphQL register and for registers built in code). */
  providedBySubject: boolean;
  /** Default: `provided` where `providedBySubject`, else `derived` (see `originOf`). */
  origin?: FieldOrigin;
}

/** A field's origin as the register declares it; without one, provided or derived as `providedBySubject` says. */
export const originOf = (field: FieldSpec): FieldOrigin =>
  field.origin ?? (field.providedBySubject ? 'provided' : 'derived');

/**
 * Where one value came from, by the source it was recorded with: obtained when a third party gave it, derived when
 * the controller made it, whatever the register declares; from the subject (or observed), what the register declares,
 * but never obtained (the subject gave it) and never provided when observed.
 */
export function originOfValue(field: FieldSpec, source: Source): FieldOrigin {
  if (THIRD_PARTY_SOURCES.includes(source)) return 'obtained';
  const declared = originOf(field);
  if (source === 'derived' || source === 'internal' || declared === 'derived') return 'derived';
  if (source === 'observed') return 'observed';
  return declared === 'obtained' ? 'provided' : declared;
}

/** Art. 20(1): data the subject provided, observed data included, processed on consent or contract. */
export const isPortable = (origin: FieldOrigin, legalBasis: LegalBasis): boolean =>
  (origin === 'provided' || origin === 'observed') && (legalBasis === 'consent' || legalBasis === 'contract');

export interface Recipient {
  name: string;
  role: 'processor' | 'controller' | 'jointController' | 'authority';
  purpose?: string;
  purposeTranslations?: Translations;
}

export interface Transfer {
  country: string;
  recipient: string;
  safeguard: string;
  safeguardTranslations?: Translations;
  /** The Chapter V safeguard as a DPV term, e.g. `eu-gdpr:A46-2-c` (standard contractual clauses). */
  dpv: string;
}

export type ErasurePolicy =
  | { mode: 'shred' }
  /** Kept by law after the trigger (e.g. bookkeeping: 10 years); erasure leaves it in place until then. */
  | { mode: 'keep'; law: string; lawTranslations?: Translations; retention: RetentionRule };

/** What a withdrawn consent or an objection does to the category's data. */
export type ReactionPolicy = 'stop' | 'shred';

export interface CategorySpec {
  name: string;
  description: string;
  descriptions?: Translations;
  /** W3C DPV personal-data category term, e.g. `pd:Contact`. */
  dpv: string;
  fields: Record<string, FieldSpec>;
  purposes: string[];
  legalBasis: LegalBasis[];
  retention: RetentionRule;
  recipients: Recipient[];
  transfers: Transfer[];
  specialCategory: boolean;
  erasure: ErasurePolicy;
  sources: Source[];
  automatedDecisionMaking: string | null;
  automatedDecisionMakingTranslations?: Translations;
  /**
   * The fields of the category the automated decision uses: the access report shows each with the
   * subject's value, as the logic applied to them (Art. 15(1)(h); CJEU C-203/22). Default: none.
   */
  automatedDecisionFactors?: string[];
  onConsentWithdrawn: ReactionPolicy;
  onObjection: ReactionPolicy;
}

export interface PurposeSpec {
  name: string;
  description: string;
  descriptions?: Translations;
  /** W3C DPV purpose term, e.g. `dpv:ServiceProvision` or `sector-finance:CreditChecking`. */
  dpv: string;
  /** Direct marketing: an objection (Art. 21(3)) stops it at once. */
  directMarketing: boolean;
  /** Processing for this purpose needs the subject's consent. */
  requiresConsent: boolean;
  /**
   * How long a consent to this purpose lasts from when it was given (an ISO 8601 duration, `P2Y`); after it, the
   * consent no longer permits processing until it is given again. Default: until withdrawn.
   */
  consentValidFor?: string;
}

export interface Party {
  name: string;
  contact: string;
  address?: string;
}

/**
 * A controller the subject may have its portability export sent to (Art. 20(2)), as the register
 * names it: the controller's name and the endpoint that takes the signed export.
 */
export interface ReceivingController {
  name: string;
  /** An https URL (http only on the loopback interface, for tests and local bridges). */
  endpoint: string;
}

/** Where a recipient's webhook signing secret comes from: an environment variable or a file (never the register). */
export type SecretSource = { env: string } | { file: string };

/** How a recipient learns of a change: a signed webhook POST, or by pulling the GraphQL feed with its service token. */
export type NotificationDelivery = { kind: 'webhook'; url: string; secret: SecretSource } | { kind: 'pull' };

/**
 * What tells the vault a recipient has acted on a notification: the 2xx answer to the webhook itself
 * (`response`), or an explicit acknowledgement afterwards (`callback`: a signed POST, or the pull feed's
 * acknowledge mutation).
 */
export type AcknowledgementMode = 'response' | 'callback';

/**
 * A recipient of personal data that must hear of every rectification, erasure and restriction of
 * what it received (Art. 19, Art. 17(2)). An internal `service` (by the name its tokens carry) is
 * notified for the categories the access log shows it read; any other recipient for the `categories`
 * the register says it receives.
 */
export interface NotificationRecipient {
  /** The key in the register's `recipients` map. */
  name: string;
  /** The recipient as a person reads it (e.g. `Example Collections Ltd`). Default: the name. */
  label?: string;
  /** An internal service: the `name` of its tokens (`service:<name>` in the access log). */
  service?: string;
  /** External: the categories it receives (required). A service: only these of what it read (default: all). */
  categories?: string[];
  /** The purposes it receives them for, as the register names them (reports). */
  purposes?: string[];
  delivery: NotificationDelivery;
  acknowledgement: AcknowledgementMode;
  /**
   * How long an acknowledgement may take after delivery before the request shows it overdue, an ISO 8601
   * duration. Default `P7D`.
   */
  acknowledgeWithin: string;
}

export interface ProcessingRegister {
  version: 1;
  controller: Party;
  /**
   * The controller's own answer period for data-subject requests, an ISO 8601 duration (`P30D`,
   * `P1M`), written in the register as `controller.answerPeriod`. Never longer than the law's one
   * calendar month; where it is longer for some day of receipt, the law's month applies
   * (domain/deadlines.ts). Default: `P1M`, the law's month (Art. 12(3)).
   */
  answerPeriod?: string;
  dpo: Party;
  supervisoryAuthority: Party & { url?: string };
  purposes: Record<string, PurposeSpec>;
  categories: Record<string, CategorySpec>;
  lifecycleEvents: string[];
  /** Where exports may be transmitted (Art. 20(2)), by a name the subject chooses them by. Default: none. */
  receivingControllers?: Record<string, ReceivingController>;
  /** Who is told of rectifications, erasures and restrictions (Art. 19), by name. Default: none. */
  recipients?: Record<string, NotificationRecipient>;
}

/** A copy of `map` as an object without a prototype. */
const ownOnly = <T>(map: Record<string, T>): Record<string, T> =>
  Object.assign(Object.create(null) as Record<string, T>, map);

/**
 * The register with its name maps (purposes, categories and each category's fields) as objects
 * without a prototype, so that a name taken from a request can be looked up in them directly:
 * `constructor`, `toString` or `__proto__` are then unknown names like any other, not
 * Object.prototype's members passing for a registered purpose or category.
 */
export function withOwnNamesOnly(register: ProcessingRegister): ProcessingRegister {
  const categories = Object.create(null) as Record<string, CategorySpec>;
  for (const [name, c] of Object.entries(register.categories)) categories[name] = { ...c, fields: ownOnly(c.fields) };
  return {
    ...register,
    purposes: ownOnly(register.purposes),
    categories,
    receivingControllers: ownOnly(register.receivingControllers ?? {}),
    recipients: ownOnly(register.recipients ?? {}),
  };
}
