/**
 * Loads the processing register from YAML and validates it at start, so a register
 * the vault cannot honour stops the service before it serves a single request.
 * Every problem is reported at once, each with the line, column and path at fault,
 * because the person fixing it is a DPO editing a file, not a developer reading a stack.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';

import { VaultError } from '../domain/errors.js';
import {
  type CategorySpec,
  OBJECTION_BASES,
  type ProcessingRegister,
  type PurposeSpec,
  THIRD_PARTY_SOURCES,
  VALUE_TYPES,
  withOwnNamesOnly,
} from '../domain/register.js';
import { type DpvTerms, loadDpvTerms } from './dpvTerms.js';
import { namedRecipients, recipientIssues } from './recipientIssues.js';
import { registerFileSchema } from './registerSchema.js';

/** One problem in a register file. `line` and `column` are 1-based. */
export interface RegisterIssue {
  path: string;
  line: number;
  column: number;
  message: string;
}

// Two levels below the package root from both src/register/*.ts and dist/register/*.js.
const DEFAULT_REGISTER_URL = new URL('../../register/default-register.yaml', import.meta.url);

const IDENTIFIER = /^[a-z][a-zA-Z0-9]*$/;
/** A camelCase name that is not also a member every JavaScript object has (`constructor`, `toString`). */
const isName = (name: string): boolean => IDENTIFIER.test(name) && !(name in Object.prototype);
/** The sources, one of which a category must list for a field of each origin (derived data needs none). */
const SOURCES_OF_ORIGIN: Record<string, readonly string[] | undefined> = {
  provided: ['subject'],
  observed: ['observed'],
  obtained: THIRD_PARTY_SOURCES,
};
const LOOKUP_TYPES: ReadonlySet<string> = new Set(['email', 'phone', 'string']);
// Chapter V applies only to transfers outside the EEA (EU 27, Iceland, Liechtenstein, Norway).
const EEA = new Set(
  'AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO'.split(' '),
);

type Segment = string | number;

/**
 * Parses and validates register YAML. `sourceName` prefixes every location
 * (`register.yaml:42:7`). Throws one `VaultError('REGISTER_INVALID')` listing every issue.
 * `terms`: the DPV terms the register may use. Default: the vendored list (`dpvTerms.ts`).
 */
export function parseRegister(text: string, sourceName: string, terms: DpvTerms = loadDpvTerms()): ProcessingRegister {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });

  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return { path: '', line, column: col, message: `YAML syntax: ${e.message.split('\n')[0] ?? e.code}` };
    });
    throw registerError(sourceName, issues);
  }

  const raw: unknown = doc.toJS();
  const locate = locator(doc, lineCounter);
  const issues: RegisterIssue[] = [];

  const parsed = registerFileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push(...fromZodIssue(issue, raw, locate));
  }
  const found = [...semanticIssues(raw), ...translationIssues(raw), ...recipientIssues(raw), ...termIssues(raw, terms)];
  for (const { path, message, at } of found) issues.push({ ...locate(path, at), path: pathText(path), message });

  if (issues.length > 0 || !parsed.success) throw registerError(sourceName, dedupe(issues));

  const file = parsed.data;
  const purposes: Record<string, PurposeSpec> = {};
  for (const [name, p] of Object.entries(file.purposes)) purposes[name] = { name, ...p };
  const categories: Record<string, CategorySpec> = {};
  for (const [name, c] of Object.entries(file.categories)) categories[name] = { name, ...c };

  // The answer period is written beside the controller it binds, and kept apart from the party the reports name.
  const { answerPeriod, ...controller } = file.controller;
  return withOwnNamesOnly({
    version: file.version,
    controller,
    ...(answerPeriod ? { answerPeriod } : {}),
    dpo: file.dpo,
    supervisoryAuthority: file.supervisoryAuthority,
    purposes,
    categories,
    lifecycleEvents: file.lifecycleEvents,
    ...(file.receivingControllers ? { receivingControllers: file.receivingControllers } : {}),
    ...(file.recipients ? { recipients: namedRecipients(file.recipients) } : {}),
  });
}

/** Reads and validates a register file; with no path, the register shipped with the package. */
export async function loadRegister(path?: string): Promise<ProcessingRegister> {
  const file = path ?? fileURLToPath(DEFAULT_REGISTER_URL);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new VaultError('REGISTER_INVALID', `Cannot read the processing register at ${file}`, {
      cause,
      details: { file, issues: [] },
    });
  }
  return parseRegister(text, basename(file));
}

function registerError(sourceName: string, issues: RegisterIssue[]): VaultError {
  const sorted = [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
  const lines = sorted.map((i) => `  ${sourceName}:${i.line}:${i.column} ${i.path || '(root)'}: ${i.message}`);
  const count = sorted.length === 1 ? '1 issue' : `${sorted.length} issues`;
  return new VaultError(
    'REGISTER_INVALID',
    `The processing register ${sourceName} is invalid (${count}):\n${lines.join('\n')}`,
    {
      path: sorted[0]?.path,
      details: { source: sourceName, issues: sorted },
    },
  );
}

function dedupe(issues: RegisterIssue[]): RegisterIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const pathText = (path: readonly Segment[]): string =>
  path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');

// ---------------------------------------------------------------------------
// Locations

type Locate = (path: readonly Segment[], at?: 'key' | 'value') => { line: number; column: number };

/**
 * Maps a path in the parsed data to a line and column in the source. A path that
 * does not exist (a missing key) points at the key of its deepest existing parent,
 * which is the line a DPO has to edit.
 */
function locator(doc: Document, lineCounter: LineCounter): Locate {
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return (path, at = 'value') => {
    let node: unknown = doc.contents;
    let key: Node | null = null;
    let found = true;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) {
          found = false;
          break;
        }
        key = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        key = null;
        node = node.items[seg];
      } else {
        found = false;
        break;
      }
    }
    const valueRange = (node as Node | null | undefined)?.range;
    if (found && at === 'value' && valueRange) return pos(valueRange[0]);
    if (key?.range) return pos(key.range[0]);
    if (valueRange) return pos(valueRange[0]);
    return { line: 1, column: 1 };
  };
}

// ---------------------------------------------------------------------------
// Schema issues

function fromZodIssue(issue: z.core.$ZodIssue, raw: unknown, locate: Locate): RegisterIssue[] {
  const path = issue.path.filter((s): s is Segment => typeof s !== 'symbol');
  const at = (p: Segment[], message: string, where?: 'key'): RegisterIssue => ({
    ...locate(p, where),
    path: pathText(p),
    message,
  });

  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => at([...path, k], 'unknown key (check its spelling and indentation)', 'key'));
    case 'invalid_value':
      return [
        at(
          path,
          issue.values.length === 1
            ? `expected ${String(issue.values[0])}`
            : `expected one of ${issue.values.join(', ')}`,
        ),
      ];
    case 'invalid_type': {
      const value = valueAt(raw, path);
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      return [
        at(path, value === undefined ? `required (${expected})` : `expected ${expected}, got ${describe(value)}`),
      ];
    }
    case 'too_small':
      if (issue.origin === 'string') return [at(path, 'must not be empty')];
      if (issue.origin === 'array') return [at(path, `must list at least ${String(issue.minimum)}`)];
      return [at(path, issue.message)];
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options))
        return [at(path, `expected one of ${issue.options.join(', ')}`)];
      return [at(path, issue.message)];
    default:
      return [at(path, issue.message)];
  }
}

function valueAt(raw: unknown, path: readonly Segment[]): unknown {
  let v = raw;
  for (const s of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

const EXPECTED_NAMES: Record<string, string> = { object: 'a map', record: 'a map', array: 'a list', string: 'text' };

const describe = (v: unknown): string =>
  v === null
    ? 'nothing'
    : Array.isArray(v)
      ? 'a list'
      : typeof v === 'object'
        ? 'a map'
        : typeof v === 'string'
          ? 'text'
          : typeof v;

// ---------------------------------------------------------------------------
// Semantic checks the schema cannot express. They read the raw data defensively,
// so they run (and report) even where the schema found other problems.

interface SemanticIssue {
  path: Segment[];
  message: string;
  at?: 'key';
}

const asMap = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

// One independent check of the register after another, each a few lines.
// eslint-disable-next-line max-lines-per-function -- see above
function semanticIssues(raw: unknown): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  const root = asMap(raw);
  if (!root) return out;

  const notIdentifier = (name: string) =>
    IDENTIFIER.test(name)
      ? `"${name}" is reserved (every JavaScript object has it): choose another name`
      : `"${name}" is not a name: use letters and digits, starting with a lower-case letter (camelCase)`;

  for (const name of Object.keys(asMap(root['receivingControllers']) ?? {}))
    if (!isName(name)) out.push({ path: ['receivingControllers', name], message: notIdentifier(name), at: 'key' });

  const events = new Set<string>();
  asList(root['lifecycleEvents']).forEach((e, i) => {
    if (typeof e !== 'string') return;
    if (!isName(e)) out.push({ path: ['lifecycleEvents', i], message: notIdentifier(e) });
    if (events.has(e)) out.push({ path: ['lifecycleEvents', i], message: `lifecycle event "${e}" is listed twice` });
    events.add(e);
  });

  const purposes = asMap(root['purposes']) ?? {};
  for (const name of Object.keys(purposes)) {
    if (!isName(name)) out.push({ path: ['purposes', name], message: notIdentifier(name), at: 'key' });
  }

  const checkTrigger = (path: Segment[], retention: unknown) => {
    const trigger = asMap(asMap(retention)?.['trigger']);
    const event = trigger?.['lifecycle'];
    if (typeof event === 'string' && !events.has(event)) {
      out.push({
        path: [...path, 'trigger', 'lifecycle'],
        message: `lifecycle event "${event}" is not declared in lifecycleEvents`,
      });
    }
  };

  for (const [cname, cval] of Object.entries(asMap(root['categories']) ?? {})) {
    const base: Segment[] = ['categories', cname];
    if (!isName(cname)) out.push({ path: base, message: notIdentifier(cname), at: 'key' });
    const cat = asMap(cval);
    if (!cat) continue;

    const sources = asList(cat['sources']);
    for (const [fname, fval] of Object.entries(asMap(cat['fields']) ?? {})) {
      const fpath = [...base, 'fields', fname];
      if (!isName(fname)) out.push({ path: fpath, message: notIdentifier(fname), at: 'key' });
      const field = typeof fval === 'string' ? { type: fval } : asMap(fval);
      const type = field?.['type'];
      if (
        field?.['lookup'] === true &&
        typeof type === 'string' &&
        (VALUE_TYPES as readonly string[]).includes(type) &&
        !LOOKUP_TYPES.has(type)
      ) {
        out.push({
          path: [...fpath, 'lookup'],
          message: `lookup is only possible on email, phone or string fields, not ${type}`,
        });
      }
      // Provided data comes from the subject, observed data from their use of the service and obtained data from a
      // third party: the category's sources must say so, or the report would name a source the field cannot have.
      const declared = field?.['origin'];
      const origin =
        typeof declared === 'string' ? declared : field?.['providedBySubject'] === false ? 'derived' : 'provided';
      const needs = SOURCES_OF_ORIGIN[origin];
      if (field && needs && Array.isArray(cat['sources']) && !needs.some((n) => sources.includes(n))) {
        out.push({
          path: fpath,
          message:
            `the field is ${origin} but the category does not list ${needs.join(' or ')} among its sources ` +
            '(give the field the origin its source gives it, or add the source)',
          at: 'key',
        });
      }
    }

    // The factors of an automated decision are fields of its category, and there is a decision to name them for.
    asList(cat['automatedDecisionFactors']).forEach((f, i) => {
      const path = [...base, 'automatedDecisionFactors', i];
      if (typeof f === 'string' && !Object.hasOwn(asMap(cat['fields']) ?? {}, f))
        out.push({ path, message: `"${f}" is not a field of this category` });
      else if (cat['automatedDecisionMaking'] === undefined || cat['automatedDecisionMaking'] === null)
        out.push({ path, message: 'factors need automatedDecisionMaking: the decision they are used for' });
    });

    let needsConsent = false;
    let directMarketing = false;
    asList(cat['purposes']).forEach((p, i) => {
      if (typeof p !== 'string') return;
      const purpose = asMap(purposes[p]);
      if (!(p in purposes))
        out.push({ path: [...base, 'purposes', i], message: `purpose "${p}" is not declared in purposes` });
      else {
        if (purpose?.['requiresConsent'] === true) needsConsent = true;
        if (purpose?.['directMarketing'] === true) directMarketing = true;
      }
    });
    const bases = cat['legalBasis'];
    if (needsConsent && Array.isArray(bases) && !bases.includes('consent')) {
      out.push({
        path: [...base, 'legalBasis'],
        message: 'a purpose of this category requires consent, so legalBasis must include consent',
      });
    }
    // As objectionReaches (domain/access.ts) decides: otherwise no objection is ever taken here, and the setting would
    // promise a shred that never comes.
    if (
      cat['onObjection'] === 'shred' &&
      !directMarketing &&
      Array.isArray(bases) &&
      !bases.some((b) => OBJECTION_BASES.includes(b as string))
    ) {
      out.push({
        path: [...base, 'onObjection'],
        message:
          'an objection (Art. 21) reaches only direct marketing and processing on legitimateInterest or publicTask; ' +
          'this category has neither, so onObjection: shred never applies ' +
          '(withdrawing consent is what ends it: onConsentWithdrawn)',
      });
    }

    checkTrigger([...base, 'retention'], cat['retention']);
    const erasure = asMap(cat['erasure']);
    if (erasure?.['mode'] === 'keep') checkTrigger([...base, 'erasure', 'retention'], erasure['retention']);

    const recipients = new Set(asList(cat['recipients']).map((r) => asMap(r)?.['name']));
    asList(cat['transfers']).forEach((t, i) => {
      const transfer = asMap(t);
      const recipient = transfer?.['recipient'];
      if (typeof recipient === 'string' && !recipients.has(recipient)) {
        out.push({
          path: [...base, 'transfers', i, 'recipient'],
          message: `"${recipient}" is not one of this category's recipients`,
        });
      }
      const country = transfer?.['country'];
      if (typeof country === 'string' && EEA.has(country)) {
        out.push({
          path: [...base, 'transfers', i, 'country'],
          message: `${country} is in the EEA: list only transfers outside it`,
        });
      }
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Translations: each beside the English text it translates, so a report never shows a Norwegian or Danish text
// whose English the register does not have (or one left behind when the English was removed).

/** Where a register text may carry translations: the English key and the key of its translations. */
const TRANSLATED: readonly [english: string, translations: string][] = [
  ['description', 'descriptions'],
  ['purpose', 'purposeTranslations'],
  ['safeguard', 'safeguardTranslations'],
  ['law', 'lawTranslations'],
  ['automatedDecisionMaking', 'automatedDecisionMakingTranslations'],
];

function translationIssues(raw: unknown): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  const check = (path: Segment[], value: unknown) => {
    const map = asMap(value);
    if (!map) return;
    for (const [english, key] of TRANSLATED)
      if (map[key] !== undefined && (map[english] === undefined || map[english] === null))
        out.push({
          path: [...path, key],
          message: `translations, but no ${english} for them to translate`,
          at: 'key',
        });
  };
  const root = asMap(raw);
  for (const [name, p] of Object.entries(asMap(root?.['purposes']) ?? {})) check(['purposes', name], p);
  for (const [name, c] of Object.entries(asMap(root?.['categories']) ?? {})) {
    const cat = asMap(c);
    const base = ['categories', name];
    check(base, cat);
    check([...base, 'retention'], cat?.['retention']);
    check([...base, 'erasure'], cat?.['erasure']);
    check([...base, 'erasure', 'retention'], asMap(cat?.['erasure'])?.['retention']);
    asList(cat?.['recipients']).forEach((r, i) => check([...base, 'recipients', i], r));
    asList(cat?.['transfers']).forEach((t, i) => check([...base, 'transfers', i], t));
  }
  return out;
}

// ---------------------------------------------------------------------------
// DPV terms: each must be a live term of the vendored list, from a namespace that fits its place
// (a purpose from dpv or a sector extension, a category of personal data from pd or dpv, a transfer
// safeguard from eu-gdpr: the Chapter V instruments), so a register with an invented or retired term does not start.

const PURPOSE_PREFIXES = (prefix: string) => prefix === 'dpv' || prefix.startsWith('sector-');
const CATEGORY_PREFIXES = (prefix: string) => prefix === 'pd' || prefix === 'dpv';
const SAFEGUARD_PREFIXES = (prefix: string) => prefix === 'eu-gdpr';

function termIssues(raw: unknown, terms: DpvTerms): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  const check = (path: Segment[], term: unknown, fits: (prefix: string) => boolean, what: string) => {
    if (typeof term !== 'string' || !/^[a-z][a-z0-9-]*:/.test(term)) return; // the schema reports its shape
    const prefix = term.slice(0, term.indexOf(':'));
    const problem = terms.problem(term);
    if (problem) out.push({ path, message: problem });
    else if (!fits(prefix)) out.push({ path, message: `${term} is not ${what}` });
  };
  const root = asMap(raw);
  for (const [name, p] of Object.entries(asMap(root?.['purposes']) ?? {})) {
    check(
      ['purposes', name, 'dpv'],
      asMap(p)?.['dpv'],
      PURPOSE_PREFIXES,
      'a purpose term (dpv: or a sector extension such as sector-finance:)',
    );
  }
  for (const [name, c] of Object.entries(asMap(root?.['categories']) ?? {})) {
    const cat = asMap(c);
    check(
      ['categories', name, 'dpv'],
      cat?.['dpv'],
      CATEGORY_PREFIXES,
      'a personal-data term (pd:, or dpv: such as dpv:SpecialCategoryPersonalData)',
    );
    asList(cat?.['transfers']).forEach((t, i) => {
      check(
        ['categories', name, 'transfers', i, 'dpv'],
        asMap(t)?.['dpv'],
        SAFEGUARD_PREFIXES,
        'a GDPR Chapter V safeguard term (eu-gdpr: such as eu-gdpr:A45-3 adequacy or eu-gdpr:A46-2-c standard ' +
          'contractual clauses)',
      );
    });
  }
  return out;
}
