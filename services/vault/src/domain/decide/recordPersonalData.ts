import { objectedTo } from '../access.js';
import { consentsGiven, consentStands, consentStatus, restsOnConsent } from '../consent.js';
import { badInput, VaultError } from '../errors.js';
import type { DomainEvent, Unsealed } from '../events.js';
import { unknownName } from '../names.js';
import {
  type CategorySpec,
  LEGAL_BASES,
  type LegalBasis,
  type ProcessingRegister,
  type Source,
  SOURCES,
} from '../register.js';
import { entryKeyIdFor, entryOf, type FieldState, keyIdFor, liveEntryOf, type SubjectState } from '../state.js';
import { validateValue } from '../values.js';
import {
  type CommandOf,
  type DataItemInput,
  type DecideContext,
  type Decider,
  type Decision,
  plain,
} from './command.js';
import { checkEntryOf, valueName } from './entries.js';
import { assertNotErased, categorySpec, checkPurpose } from './guards.js';
import { defaultRequestId, proposal, proposes, rectificationRequestOpened } from './rectificationRequest.js';
import { foreignHolder, sameAsHeld } from './valueOwnership.js';

/**
 * Recording and rectifying values (Art. 16). All items are checked before any event is made, so
 * a command is refused whole: nothing is written, not even the consents it gave.
 */

export const recordPersonalData: Decider<CommandOf<'RecordPersonalData'>> = (state, command, ctx) =>
  writePersonalData(state, command, ctx, 'PersonalDataRecorded');

export const rectifyPersonalData: Decider<CommandOf<'RectifyPersonalData'>> = (state, command, ctx) =>
  writePersonalData(state, command, ctx, 'PersonalDataRectified');

type WriteType = 'PersonalDataRecorded' | 'PersonalDataRectified';

/** What checking one item needs from its command. */
interface Write {
  state: SubjectState;
  register: ProcessingRegister;
  type: WriteType;
  /** Whether consent to a purpose stands, counting the consents given in the same call. */
  consented: (purpose: string) => boolean;
  /** `category.field` of the items checked so far. */
  seen: Set<string>;
  writer: DecideContext['writer'];
  /** Current values the command side opened (`category.field`), for writes over a value another purpose holds. */
  current: Record<string, unknown>;
  /** The rectification request a subject's proposals go under. */
  requestId: string;
  /** The decision time: a consent past its validity then does not stand. */
  now: string;
}

function writePersonalData(
  state: SubjectState,
  command: CommandOf<'RecordPersonalData' | 'RectifyPersonalData'>,
  ctx: DecideContext,
  type: WriteType,
): Decision {
  assertNotErased(state);
  if (command.items.length === 0) throw badInput('At least one item is required', 'items');
  // Consents given in the same call come first in the append, so the data rests on them.
  const given = consentsGiven(ctx.register, command.consents, ctx.actor);
  const consented = (purpose: string) =>
    consentStands(state.consents, purpose, ctx.register, ctx.now) || given.some((e) => e.data.purpose === purpose);
  const write: Write = {
    state,
    register: ctx.register,
    type,
    consented,
    seen: new Set(),
    writer: ctx.writer,
    current: command.current ?? {},
    requestId: command.requestId ?? defaultRequestId(state),
    now: ctx.now,
  };
  const data = command.items.flatMap((item, i) => dataEvent(write, item, `items[${i}]`));
  const proposing = data.some((e) => e.type === 'RectificationRequested');
  return [...given, ...(proposing ? rectificationRequestOpened(state, write.requestId, ctx) : []), ...data];
}

/**
 * The event for one item, once every check passed (none for the same value written over one another
 * purpose holds; a proposal for a subject's rectification of what it did not provide). The checks
 * run in this order, first failure wins.
 */
function dataEvent(write: Write, item: DataItemInput, path: string): DomainEvent<Unsealed>[] {
  const { state, register, type } = write;
  const spec = categorySpec(register, item.category, `${path}.category`);
  if (!Object.hasOwn(spec.fields, item.field)) {
    throw unknownName('field', Object.keys(spec.fields), `${path}.field`, `in category ${spec.name}`);
  }
  const field = spec.fields[item.field]!;
  const name = `${spec.name}.${item.field}`;
  if (item.entry !== undefined) checkEntryOf(spec, item.entry, `${path}.entry`);
  // The same field of two entries is two values.
  const seen = item.entry === undefined ? name : `${name}@${item.entry}`;
  if (write.seen.has(seen)) throw badInput(`Field ${name} appears twice in one command`, `${path}.field`);
  write.seen.add(seen);
  const current = currentValue(state, item);
  const holder = foreignHolder(write.writer, current);
  if (holder) {
    // The command side opens the value written over under its own name: `category.field`, `@entry` for an entry's.
    const own = valueName(item.category, item.field, item.entry);
    const opened = Object.hasOwn(write.current, own) ? { value: write.current[own] } : undefined;
    if (sameAsHeld(field.type, item, holder, opened, path)) return alsoHeld(write, spec, item, current!, path);
  }
  if (type === 'PersonalDataRectified') checkRectifies(current, item, name, path);
  if (state.restrictions[item.category] && type === 'PersonalDataRecorded') {
    throw new VaultError('FORBIDDEN', `Processing of ${spec.name} is restricted; only rectification is allowed`, {
      path: `${path}.category`,
    });
  }
  checkPurpose(register, spec, item.purpose, `${path}.purpose`);
  // The subject's own "no" stands until they say otherwise: nothing is collected again for a
  // purpose they objected to.
  if (type === 'PersonalDataRecorded' && objectedTo(state, register, item.category, item.purpose)) {
    const message = `The subject objected to processing for ${item.purpose}`;
    throw new VaultError('FORBIDDEN', message, { path: `${path}.purpose` });
  }
  checkBasisAndSource(spec, item, path);
  checkConsent(write, item, path);
  const value = validateValue(field.type, item.value, `${path}.value`);
  if (proposes(write.writer, type === 'PersonalDataRectified', current))
    return [proposal(state, item, value, write.requestId, `${path}.field`)];
  const event: DomainEvent<Unsealed> = {
    type,
    data: {
      category: item.category,
      field: item.field,
      keyId: item.entry === undefined ? writeKeyId(state, item.category) : entryKeyId(state, item.category, item.entry),
      value: plain(value),
      purpose: item.purpose,
      legalBasis: item.legalBasis as LegalBasis,
      source: item.source as Source,
      ...(item.entry === undefined ? {} : { entry: item.entry }),
    },
  };
  return [event];
}

/**
 * The same value written for another purpose: it is kept for that purpose too (on its own legal
 * basis, checked as a recording's), so it stays while either stands. Nothing to record when the
 * purpose keeps it already, or for a rectification.
 */
function alsoHeld(
  write: Write,
  spec: CategorySpec,
  item: DataItemInput,
  current: FieldState,
  path: string,
): DomainEvent<Unsealed>[] {
  if (write.type !== 'PersonalDataRecorded') return [];
  if (current.purpose === item.purpose || current.alsoHeldFor?.some((h) => h.purpose === item.purpose)) return [];
  checkPurpose(write.register, spec, item.purpose, `${path}.purpose`);
  if (objectedTo(write.state, write.register, item.category, item.purpose))
    throw new VaultError('FORBIDDEN', `The subject objected to processing for ${item.purpose}`, {
      path: `${path}.purpose`,
    });
  checkBasisAndSource(spec, item, path);
  checkConsent(write, item, path);
  const { category, field, purpose, entry } = item;
  const legalBasis = item.legalBasis as LegalBasis;
  // An entry's value is held under its entry: it stays while a purpose keeps it, on the entry's own clock.
  const at = entry === undefined ? {} : { entry };
  return [{ type: 'PersonalDataHeld', data: { category, field, purpose, legalBasis, ...at } }];
}

/**
 * Only what was recorded is rectified. A rectification corrects the value (Art. 16); what it is
 * processed for and on what basis stay as recorded, or a correction could move data onto another
 * basis (record the field anew for that).
 */
function checkRectifies(current: FieldState | undefined, item: DataItemInput, name: string, path: string): void {
  if (!current) throw new VaultError('NOT_FOUND', `Nothing recorded in ${name} to rectify`, { path: `${path}.field` });
  if (item.purpose !== current.purpose || item.legalBasis !== current.legalBasis) {
    throw badInput(
      `A rectification keeps the purpose and legal basis ${name} was recorded with`,
      `${path}.${item.purpose !== current.purpose ? 'purpose' : 'legalBasis'}`,
    );
  }
}

function checkBasisAndSource(spec: CategorySpec, item: DataItemInput, path: string): void {
  const basis = item.legalBasis;
  if (!(LEGAL_BASES as readonly string[]).includes(basis) || !spec.legalBasis.includes(basis as LegalBasis)) {
    throw unknownName('legal basis', spec.legalBasis, `${path}.legalBasis`, `for category ${spec.name}`);
  }
  if (!(SOURCES as readonly string[]).includes(item.source)) throw unknownName('source', SOURCES, `${path}.source`);
}

/** Storing is processing: see the rule in domain/consent.ts. */
function checkConsent(write: Write, item: DataItemInput, path: string): void {
  if (!restsOnConsent(write.register, item.purpose, item.legalBasis) || write.consented(item.purpose)) return;
  const consents = write.state.consents;
  const status = Object.hasOwn(consents, item.purpose)
    ? consentStatus(write.register, item.purpose, consents[item.purpose]!, write.now)
    : undefined;
  const why = status === 'withdrawn' ? 'was withdrawn' : status === 'expired' ? 'has expired' : 'was never given';
  throw new VaultError(
    status === 'expired' ? 'CONSENT_EXPIRED' : 'CONSENT_REQUIRED',
    `Storing this value for ${item.purpose} rests on consent, and the subject's consent to ${item.purpose} ` +
      `${why}: give it first (giveConsent) or in the same call (consents)`,
    {
      path: `${path}.${item.legalBasis === 'consent' ? 'legalBasis' : 'purpose'}`,
      details: { purpose: item.purpose },
    },
  );
}

/** The category's current key, or the first key of a new generation when it has none or it was shredded. */
function writeKeyId(state: SubjectState, category: string): string {
  const c = state.categories[category];
  if (!c) return keyIdFor(state.subjectId, category, 1);
  // No key of its own yet ('') where the category so far had only entries.
  return c.shredded || !c.keyId ? keyIdFor(state.subjectId, category, c.generation + 1) : c.keyId;
}

/** The value an item writes over: the category's own, or its entry's while that entry's key lives. */
function currentValue(state: SubjectState, item: DataItemInput): FieldState | undefined {
  const c = state.categories[item.category];
  if (item.entry === undefined) return c?.fields[item.field];
  return liveEntryOf(c, item.entry)?.fields[item.field];
}

/** The entry's current key, or the first of a new generation when it has none or it was shredded. */
function entryKeyId(state: SubjectState, category: string, entry: string): string {
  const e = entryOf(state.categories[category], entry);
  if (e && !e.shredded) return e.keyId;
  return entryKeyIdFor(state.subjectId, category, entry, (e?.generation ?? 0) + 1);
}
