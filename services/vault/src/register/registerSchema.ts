/**
 * The processing register as a DPO writes it in YAML: compact triggers, optional
 * fields with defaults, names given by map keys. Its output is the domain shape
 * minus the `name`s, which `loadRegister` fills in from the keys.
 *
 * Cross-references (a purpose a category names, a lifecycle event a trigger names)
 * and the shape of names are checked in `loadRegister`, not here, so that they are
 * reported together with the issues this schema finds.
 */
import { z } from 'zod';

import { answerPeriodIssue } from '../domain/deadlines.js';
import { FIELD_ORIGINS, LEGAL_BASES, type RetentionTrigger, SOURCES, VALUE_TYPES } from '../domain/register.js';
import { parseDuration } from '../domain/time.js';

const text = z.string().trim().min(1);

/** A description in the report languages besides English (`description`): `{ nb: ..., da: ... }`. */
const translations = z.strictObject({ nb: text.optional(), da: text.optional() });

/**
 * The shape of a prefixed DPV term. Whether DPV defines it, and whether its namespace fits where it
 * is used, is checked in `loadRegister` against the vendored term list (`dpvTerms.ts`).
 */
const dpvTerm = (example: string) =>
  z.string().regex(/^[a-z][a-z0-9-]*:[A-Za-z0-9][A-Za-z0-9-]*$/, { error: `expected a DPV term such as ${example}` });

const isoDuration = z.string().refine(
  (s) => {
    try {
      parseDuration(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected an ISO 8601 duration such as P30D, P3Y or P1Y6M' },
);

/** `recorded` | `lastActivity` | `{ lifecycle: relationshipEnded }`. */
export const triggerSchema = z
  .union([z.enum(['recorded', 'lastActivity']), z.strictObject({ lifecycle: text })], {
    error: 'expected recorded, lastActivity or { lifecycle: <event> }',
  })
  .transform((t): RetentionTrigger =>
    typeof t === 'string' ? { kind: t } : { kind: 'lifecycle', event: t.lifecycle },
  );

export const retentionSchema = z.strictObject({
  duration: isoDuration,
  trigger: triggerSchema,
  description: text.optional(),
  descriptions: translations.optional(),
});

/**
 * A field is either a full spec or, for brevity, just its type: `email: email`. Its `origin`
 * defaults to `provided`; a register from before origins were kept says `providedBySubject: false`,
 * read as `derived` (a category of observed data says `origin: observed`).
 */
export const fieldSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { type: v } : v),
  z
    .strictObject({
      type: z.enum(VALUE_TYPES),
      lookup: z.boolean().default(false),
      origin: z.enum(FIELD_ORIGINS).optional(),
      providedBySubject: z.boolean().optional(),
    })
    .refine((f) => f.origin === undefined || f.providedBySubject === undefined, {
      error: 'give origin (provided, observed, obtained or derived), not providedBySubject as well',
    })
    .transform(({ providedBySubject, origin, ...f }) => {
      const o = origin ?? (providedBySubject === false ? 'derived' : 'provided');
      return { ...f, providedBySubject: o === 'provided', origin: o };
    }),
);

export const recipientSchema = z.strictObject({
  name: text,
  role: z.enum(['processor', 'controller', 'jointController', 'authority']),
  purpose: text.optional(),
  purposeTranslations: translations.optional(),
});

export const transferSchema = z.strictObject({
  country: z.string().regex(/^[A-Z]{2}$/, { error: 'expected an ISO 3166-1 alpha-2 country code such as US' }),
  recipient: text,
  safeguard: text,
  safeguardTranslations: translations.optional(),
  dpv: dpvTerm('eu-gdpr:A46-2-c'),
});

export const erasureSchema = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ mode: z.literal('shred') }),
    z.strictObject({
      mode: z.literal('keep'),
      law: text,
      lawTranslations: translations.optional(),
      retention: retentionSchema,
    }),
  ],
  { error: 'expected mode shred, or mode keep with law and retention' },
);

const reaction = z.enum(['stop', 'shred']);

export const categorySchema = z.strictObject({
  description: text,
  descriptions: translations.optional(),
  dpv: dpvTerm('pd:Contact'),
  fields: z
    .record(z.string(), fieldSchema)
    .refine((f) => Object.keys(f).length > 0, { error: 'must list at least one field' }),
  purposes: z.array(z.string()).min(1),
  legalBasis: z.array(z.enum(LEGAL_BASES)).min(1),
  retention: retentionSchema,
  recipients: z.array(recipientSchema).default([]),
  transfers: z.array(transferSchema).default([]),
  specialCategory: z.boolean().default(false),
  erasure: erasureSchema.default({ mode: 'shred' }),
  sources: z.array(z.enum(SOURCES)).min(1),
  automatedDecisionMaking: text.nullable().default(null),
  automatedDecisionMakingTranslations: translations.optional(),
  automatedDecisionFactors: z.array(z.string()).default([]),
  onConsentWithdrawn: reaction.default('stop'),
  onObjection: reaction.default('stop'),
});

export const purposeSchema = z.strictObject({
  description: text,
  descriptions: translations.optional(),
  dpv: dpvTerm('dpv:ServiceProvision'),
  directMarketing: z.boolean().default(false),
  requiresConsent: z.boolean().default(false),
  consentValidFor: isoDuration.optional(),
});

const party = { name: text, contact: text, address: text.optional() };

/** Checked here so that a period longer than the law's month stops the vault at start, naming its path. */
const answerPeriod = z.string().superRefine((s, ctx) => {
  const issue = answerPeriodIssue(s);
  if (issue) ctx.addIssue({ code: 'custom', message: issue });
});

/**
 * Where a portability export may be sent: https, or http on the loopback interface only; no
 * credentials in the URL (a secret in the register would be a secret in every copy of it).
 */
const endpoint = z.string().refine(
  (s) => {
    if (!URL.canParse(s)) return false;
    const u = new URL(s);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
    return (u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) && !u.username && !u.password && !u.hash;
  },
  { error: 'expected an https URL without credentials or fragment (http only on 127.0.0.1 or localhost)' },
);

export const receivingControllerSchema = z.strictObject({ name: text, endpoint });

/** A signing secret's source: `{ env: VAULT_... }` or `{ file: /path }`; never the secret itself, in the register. */
const secretSource = z.union(
  [z.strictObject({ env: z.string().regex(/^[A-Z][A-Z0-9_]*$/) }), z.strictObject({ file: text })],
  { error: 'expected { env: AN_ENVIRONMENT_VARIABLE } or { file: /path/to/secret }' },
);

/**
 * A recipient notified of changes (Art. 19): `webhook: { url, secret }` or `pull: true`, exactly one. The URL
 * follows the rules of a receiving controller's endpoint (https, http on the loopback interface only).
 */
export const notificationRecipientSchema = z
  .strictObject({
    label: text.optional(),
    service: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected a service token name' })
      .optional(),
    categories: z.array(z.string()).min(1).optional(),
    purposes: z.array(z.string()).min(1).optional(),
    webhook: z.strictObject({ url: endpoint, secret: secretSource }).optional(),
    pull: z.literal(true).optional(),
    acknowledgement: z.enum(['response', 'callback']).default('response'),
    acknowledgeWithin: isoDuration.default('P7D'),
  })
  .refine((r) => (r.webhook === undefined) !== (r.pull === undefined), {
    error: 'give either webhook: { url, secret } or pull: true',
  })
  .refine((r) => r.service !== undefined || r.categories !== undefined, {
    error: 'a recipient that is not an internal service must list the categories it receives',
  })
  .transform(({ webhook, pull: _pull, ...r }) => ({
    ...r,
    delivery: webhook ? { kind: 'webhook' as const, ...webhook } : { kind: 'pull' as const },
  }));

export const registerFileSchema = z.strictObject({
  version: z.literal(1),
  controller: z.strictObject({ ...party, answerPeriod: answerPeriod.optional() }),
  dpo: z.strictObject(party),
  supervisoryAuthority: z.strictObject({ ...party, url: z.url().optional() }),
  lifecycleEvents: z.array(z.string()).default([]),
  purposes: z.record(z.string(), purposeSchema),
  categories: z.record(z.string(), categorySchema),
  receivingControllers: z.record(z.string(), receivingControllerSchema).optional(),
  recipients: z.record(z.string(), notificationRecipientSchema).optional(),
});
