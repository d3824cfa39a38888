import { createHash } from 'node:crypto';

import type {
  CategorySpec,
  FieldOrigin,
  ProcessingRegister,
  ReportLanguage,
  Translations,
} from '../domain/register.js';
import { parseDuration } from '../domain/time.js';
import { REPORT_WORDS, type ReportWords } from './reportLanguages.js';

/**
 * The access report (Art. 15) as a document a person reads: server-side HTML, no scripts, in the
 * subject's language (Art. 12(1)). It is rendered from the signed JSON report itself, so it says
 * nothing the signed report does not; the register gives only the words (its descriptions, in
 * the report's language where it has them). The signed JSON stays the authoritative document:
 * the page says so, and carries its exact bytes (as a download), digest, signature and key.
 *
 * Every value from the report or the register is escaped where it is written (`esc`): a value a
 * subject or a service wrote (`<script>`, quotes) is text on the page, never markup.
 */

/** An access report as `reports.ts` writes it (`schema/access-report.schema.json`): what the page reads of it. */
export interface AccessReportDoc {
  subjectId: string;
  generatedAt: string;
  controller: PartyDoc;
  dpo: PartyDoc;
  supervisoryAuthority: PartyDoc;
  rights: { article: string; right: string; dpv: string }[];
  items: ItemDoc[];
  consents: ConsentDoc[];
  restrictions: { category: string; since: string; reason: string }[];
  objections: { purpose: string; since: string; overriddenAt?: string; grounds?: string | null }[];
  requests: RequestDoc[];
  /** Absent in reports from before transmissions were recorded. */
  transmissions?: TransmissionDoc[];
  history: {
    category: string;
    field: string;
    entry?: string;
    value: unknown;
    recordedAt: string;
    purpose: string;
    source: string;
  }[];
  automatedDecisions: DecisionDoc[];
  disclosures: { total: number; listed: number; entries: ConsultationDoc[] };
}
interface ConsultationDoc {
  at: string;
  actor: string;
  purpose: string;
  categories: string[];
}
interface DecisionDoc {
  category: string;
  logic: string;
  factors: { field: string; value: unknown }[];
}
interface PartyDoc {
  name: string;
  contact: string;
  address?: string;
  url?: string;
}
interface ItemDoc {
  category: string;
  dpvCategory: string;
  field: string | null;
  /** The entry (e.g. a debt-collection case) the value belongs to; absent for the category's own. */
  entry?: string;
  value?: unknown;
  recordedAt?: string;
  updatedAt?: string;
  purpose?: string;
  legalBasis?: string;
  source?: string;
  origin?: FieldOrigin | null;
  purposes?: { purpose: string }[];
  recipients: {
    categories?: { name: string; role: string; purpose?: string }[];
    external?: { recipient: string; name: string; purposes: string[] }[];
    actual: DisclosureDoc[];
  };
  retention?: { rule: string; duration: string; endsAt: string | null };
  transfers?: { country: string; recipient: string; safeguard: string; dpv: string }[];
  automatedDecisionMaking?: string | null;
  specialCategory?: boolean;
  rectified?: { by: string; at: string };
  contested?: { since: string };
  status: { state: 'ACTIVE' | 'RETAINED' | 'ERASED'; at?: string; reason?: string; basis?: string; until?: string };
}
interface DisclosureDoc {
  actor: string;
  purpose: string;
  at: string;
  firstAt: string;
  reads: number;
}
interface ConsentDoc {
  purpose: string;
  given: boolean;
  dpvStatus?: string;
  dataCategories: { category: string }[];
  proofs: {
    dpvStatus: string;
    expiresAt?: string | null;
    provenance: string;
    givenAt: string | null;
    notice: { id: string; version: string } | null;
    channel: string | null;
    collectedBy: string | null;
    withdrawnAt: string | null;
    withdrawal?: { channel: string | null; collectedBy: string | null } | null;
  }[];
}
interface TransmissionDoc {
  receiver: string;
  receiverName: string | null;
  requestedBy: string;
  requestedAt: string;
  outcome: 'delivered' | 'failed' | 'retrying';
  attempts: { at: string; status: number | null }[];
}
interface RequestDoc {
  type: string;
  receivedAt: string;
  dueAt: string;
  missedDeadlineAt: string | null;
  status: string;
  closedAt: string | null;
  extensions: { months: number; at: string; reason: string | null }[];
  refusalReason?: string | null;
}

/** What the page carries of the signed report besides its content. */
export interface SignedJson {
  /** The exact bytes the signature covers. */
  text: string;
  sha256: string;
  /** Compact JWS over the digest document. */
  jws: string;
  /** Where the verifying key set is published. */
  keyUrl: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text as HTML text or attribute value (always quoted with `"`). */
export const esc = (v: unknown): string => String(v).replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** The stylesheet, inline; the response allows exactly it by its hash (`reportHtmlPolicy`). */
const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}' +
  'table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.3rem .5rem;' +
  'text-align:left;vertical-align:top}th{background:#f2f2f2}section{border-top:2px solid #333;margin-top:2rem}' +
  '.note{background:#fff8dc;padding:.5rem 1rem;border-left:4px solid #c90}pre{white-space:pre-wrap;' +
  'word-break:break-all;font-size:.8rem}.code{color:#555;font-size:.85rem}';

/**
 * The Content-Security-Policy of a rendered report: nothing may load or run; only its own
 * stylesheet applies. A value that escaped its escaping still could not run a script.
 */
export const reportHtmlPolicy = (): string =>
  `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; ` +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Ctx {
  w: ReportWords;
  lang: ReportLanguage;
  register: ProcessingRegister;
  date: (iso: string | null | undefined) => string;
}

/** The report (parsed from `signed.text`) as an HTML page in `lang`. */
export function renderAccessReportHtml(
  report: AccessReportDoc,
  register: ProcessingRegister,
  lang: ReportLanguage,
  signed: SignedJson,
): string {
  const w = REPORT_WORDS[lang];
  const fmt = new Intl.DateTimeFormat(w.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });
  const ctx: Ctx = { w, lang, register, date: (iso) => (iso ? `${fmt.format(new Date(iso))} UTC` : '') };
  const title = esc(w.title(report.controller.name));
  return [
    '<!DOCTYPE html>',
    `<html lang="${lang}"><head><meta charset="utf-8">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${title}</title><style>${STYLE}</style></head><body>`,
    `<h1>${title}</h1>`,
    `<p>${esc(w.intro)}</p>`,
    `<p>${esc(w.generated)}: ${esc(ctx.date(report.generatedAt))}. ${esc(w.subjectId)}: `,
    `<code>${esc(report.subjectId)}</code></p>`,
    signatureBlock(w, signed),
    `<section id="categories"><h2>${esc(w.categories)}</h2>`,
    ...groupByCategory(report.items).map(([category, items]) => categorySection(ctx, report, category, items)),
    '</section>',
    consentsSection(ctx, report.consents),
    choicesSection(ctx, report),
    requestsSection(ctx, report.requests),
    transmissionsSection(ctx, report.transmissions ?? []),
    historySection(ctx, report.history),
    consultationsSection(ctx, report.disclosures),
    rightsSection(ctx, report),
    partiesSection(ctx, report),
    '</body></html>',
  ].join('\n');
}

function signatureBlock(w: ReportWords, signed: SignedJson): string {
  const href = `data:application/json;base64,${Buffer.from(signed.text).toString('base64')}`;
  const keyUrl = /^https?:\/\//.test(signed.keyUrl) ? signed.keyUrl : '';
  return [
    `<div class="note" id="signature"><p><strong>${esc(w.authoritative)}</strong></p>`,
    `<p><a href="${esc(href)}" download="access-report.json" type="application/json">${esc(w.downloadJson)}</a></p>`,
    `<p>${esc(w.verifyHow)}</p>`,
    `<p>${esc(w.digest)}: <code>${esc(signed.sha256)}</code></p>`,
    `<p>${esc(w.signature)}:</p><pre>${esc(signed.jws)}</pre>`,
    `<p>${esc(w.signingKey)}: <a href="${esc(keyUrl)}">${esc(keyUrl)}</a></p></div>`,
  ].join('\n');
}

function groupByCategory(items: ItemDoc[]): [string, ItemDoc[]][] {
  const groups = new Map<string, ItemDoc[]>();
  for (const i of items) {
    const list = groups.get(i.category) ?? [];
    list.push(i);
    groups.set(i.category, list);
  }
  return [...groups];
}

/** A register text in the page's language, or the English marked as such (`lang="en"`). */
function translated(ctx: Ctx, english: string | undefined, translations: Translations | undefined): string {
  if (english === undefined) return '';
  if (ctx.lang === 'en') return esc(english);
  const own = translations?.[ctx.lang];
  return own ? esc(own) : `<span lang="en"><span class="code">${esc(ctx.w.englishOnly)}</span> ${esc(english)}</span>`;
}

/** The register's spec of `category`, where it still lists it. */
const specOf = (ctx: Ctx, category: string): CategorySpec | undefined =>
  Object.hasOwn(ctx.register.categories, category) ? ctx.register.categories[category] : undefined;

/**
 * A text the report quotes from the register (a recipient's purpose, a safeguard, the law that keeps data, the logic
 * of a decision) in the page's language: translated where the register still says the same in English and translates
 * it; otherwise the English, marked so (`translated`), as for a text the register no longer holds.
 */
const quoted = (ctx: Ctx, text: string, english: string | undefined, translations: Translations | undefined): string =>
  translated(ctx, text, english === text ? translations : undefined);

const lookup = <T>(map: Record<string, T>, code: string | null | undefined): T | string =>
  code !== null && code !== undefined && Object.hasOwn(map, code) ? map[code]! : (code ?? '');

function categorySection(ctx: Ctx, report: AccessReportDoc, category: string, items: ItemDoc[]): string {
  const { w } = ctx;
  const spec = specOf(ctx, category);
  const held = items.filter((i) => i.status.state !== 'ERASED' && i.field !== null);
  const first = held[0] ?? items[0]!;
  const heading = spec ? translated(ctx, spec.description, spec.descriptions) : esc(category);
  const out = [
    `<section id="category-${esc(category)}"><h3>${heading}</h3>`,
    `<p class="code">${esc(w.categoryCode)}: ${esc(category)} (${esc(first.dpvCategory)})</p>`,
  ];
  for (const e of items.filter((i) => i.status.state === 'ERASED')) {
    const at = ctx.date(e.status.at);
    const reason = String(lookup(w.erasureReasons, e.status.reason));
    const field = e.entry === undefined ? e.field : `${e.field} (${w.entry}: ${e.entry})`;
    out.push(`<p>${esc(field === null ? w.erased(at, reason) : w.fieldErased(field, at, reason))}</p>`);
  }
  if (held.length > 0) {
    out.push(heldTable(ctx, held), purposesBlock(ctx, report, first), sourcesBlock(ctx, held, spec));
    const decision = report.automatedDecisions.find((d) => d.category === category);
    out.push(retentionBlock(ctx, first, spec), transfersBlock(ctx, first), admBlock(ctx, first, decision));
    if (first.specialCategory === true) out.push(`<p><strong>${esc(w.special)}</strong></p>`);
    // An entry's hold and end are its own, stated on its rows (heldTable).
    if (first.entry === undefined && first.status.state === 'RETAINED') out.push(`<p>${retainedWords(ctx, first)}</p>`);
  }
  out.push(recipientsBlock(ctx, first), '</section>');
  return out.join('\n');
}

/**
 * A hold's words, as HTML: until when, or for the period the law sets. The law the register names is quoted in the
 * page's language; a DPO's hold gives its basis as the DPO wrote it.
 */
function retainedWords(ctx: Ctx, item: ItemDoc): string {
  const { basis = '', until } = item.status;
  const erasure = specOf(ctx, item.category)?.erasure;
  // A DPO's basis is not the register's: it is shown as written, in whatever language the DPO wrote it.
  const law =
    erasure?.mode === 'keep' && basis === erasure.law ? translated(ctx, basis, erasure.lawTranslations) : esc(basis);
  const mark = '\u0000';
  const words = until === 'open' ? ctx.w.retainedOpen(mark) : ctx.w.retained(mark, ctx.date(until));
  return esc(words).replace(mark, law);
}

/**
 * The values held, a row each; where some belong to an entry (a debt-collection case), a column names it with the
 * entry's own end and any hold on it, since each entry is kept and erased on its own clock.
 */
function heldTable(ctx: Ctx, items: ItemDoc[]): string {
  const { w } = ctx;
  const perEntry = items.some((i) => i.entry !== undefined);
  const rows = items.map((i) => {
    const notes = [
      valueHtml(w, i.value),
      i.rectified ? esc(w.rectified(i.rectified.by, ctx.date(i.rectified.at))) : '',
      i.contested ? esc(w.contested(ctx.date(i.contested.since))) : '',
    ]
      .filter(Boolean)
      .join(' ');
    return (
      `<tr><td>${esc(i.field)}</td>${perEntry ? `<td>${entryCell(ctx, i)}</td>` : ''}<td>${notes}</td>` +
      `<td>${esc(lookup(w.origins, i.origin))}</td><td>${purposeName(ctx, i.purpose ?? '')}</td>` +
      `<td>${esc(lookup(w.legalBases, i.legalBasis))}</td><td>${esc(lookup(w.sourceWords, i.source))}</td>` +
      `<td>${esc(ctx.date(i.recordedAt))}</td><td>${esc(ctx.date(i.updatedAt))}</td></tr>`
    );
  });
  const head = [
    w.field,
    ...(perEntry ? [w.entry] : []),
    w.value,
    w.origin,
    w.purpose,
    w.legalBasis,
    w.source,
    w.recorded,
    w.updated,
  ];
  return (
    `<h4>${esc(w.held)}</h4><table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

/** An entry's id, when it ends, and the hold that keeps it; empty for the category's own values. */
function entryCell(ctx: Ctx, item: ItemDoc): string {
  if (item.entry === undefined) return '';
  const { w } = ctx;
  const end = item.retention?.endsAt ? w.retentionEnds(ctx.date(item.retention.endsAt)) : w.retentionOpen;
  const held = item.status.state === 'RETAINED' ? ` ${retainedWords(ctx, item)}` : '';
  return `<span class="code">${esc(item.entry)}</span> ${esc(end)}${held}`;
}

function valueHtml(w: ReportWords, value: unknown): string {
  if (value === null || value === undefined) return esc(w.noValue);
  if (typeof value !== 'object') return esc(value);
  const v = value as Record<string, string | undefined>;
  if (typeof v.contentBase64 === 'string')
    return esc(w.document(v.name ?? '', v.mediaType ?? '', Buffer.from(v.contentBase64, 'base64').length));
  return esc(
    ['street', 'houseNumber', 'postalCode', 'city', 'region', 'country']
      .map((k) => v[k])
      .filter(Boolean)
      .join(', '),
  );
}

/** A category in words: its description in the page's language, its code beside it. */
function categoryName(ctx: Ctx, category: string): string {
  const spec = specOf(ctx, category);
  const words = spec ? translated(ctx, spec.description, spec.descriptions) : '';
  return `${words} <span class="code">(${esc(category)})</span>`;
}

/** A purpose in words: its description in the page's language, its code beside it. */
function purposeName(ctx: Ctx, purpose: string): string {
  const spec = Object.hasOwn(ctx.register.purposes, purpose) ? ctx.register.purposes[purpose] : undefined;
  const words = spec ? translated(ctx, spec.description, spec.descriptions) : '';
  return `${words} <span class="code">(${esc(purpose)})</span>`;
}

/**
 * Each purpose the register gives the category, in words, marked where it no longer applies to
 * this subject: its consent withdrawn (for a purpose only consent allows), or an objection standing.
 */
function purposesBlock(ctx: Ctx, report: AccessReportDoc, item: ItemDoc): string {
  const withdrawn = new Set(report.consents.filter((c) => !c.given).map((c) => c.purpose));
  const objected = new Set(report.objections.filter((o) => o.overriddenAt === undefined).map((o) => o.purpose));
  const consentOnly = (p: string) =>
    Object.hasOwn(ctx.register.purposes, p) && ctx.register.purposes[p]!.requiresConsent;
  const li = (item.purposes ?? []).map(({ purpose: p }) => {
    const ended = objected.has(p) || (withdrawn.has(p) && consentOnly(p));
    return `<li>${purposeName(ctx, p)}${ended ? ` <strong>(${esc(ctx.w.purposeEnded)})</strong>` : ''}</li>`;
  });
  return `<h4>${esc(ctx.w.why)}</h4><ul>${li.join('')}</ul>`;
}

function sourcesBlock(ctx: Ctx, items: ItemDoc[], spec: CategorySpec | undefined): string {
  const codes = [...new Set([...items.map((i) => i.source ?? ''), ...(spec?.sources ?? [])])].filter(Boolean);
  const li = codes.map((s) => `<li>${esc(lookup(ctx.w.sourceWords, s))}</li>`);
  return `<h4>${esc(ctx.w.sources)}</h4><ul>${li.join('')}</ul>`;
}

function recipientsBlock(ctx: Ctx, item: ItemDoc): string {
  const { w } = ctx;
  const named = item.recipients.categories ?? [];
  const actual = item.recipients.actual;
  const out = [`<h4>${esc(w.recipients)}</h4>`];
  const specs = specOf(ctx, item.category)?.recipients ?? [];
  const recipient = (r: { name: string; role: string; purpose?: string }) => {
    const spec = specs.find((s) => s.name === r.name && s.role === r.role);
    const why = r.purpose ? ` (${quoted(ctx, r.purpose, spec?.purpose, spec?.purposeTranslations)})` : '';
    return `<li>${esc(r.name)}: ${esc(lookup(w.roles, r.role))}${why}</li>`;
  };
  // Recipients the register says receive it, told of each correction, erasure and restriction (Art. 19).
  const external = (item.recipients.external ?? []).map(
    (r) =>
      `<li>${esc(r.name)}: ${esc(w.notifiedRecipient)}` +
      `${r.purposes.length ? ` (${r.purposes.map((p) => purposeName(ctx, p)).join(', ')})` : ''}</li>`,
  );
  out.push(
    named.length + external.length === 0
      ? `<p>${esc(w.recipientsNone)}</p>`
      : `<ul>${named.map(recipient).join('')}${external.join('')}</ul>`,
  );
  out.push(`<h4>${esc(w.disclosures)}</h4>`);
  if (actual.length === 0) out.push(`<p>${esc(w.disclosuresNone)}</p>`);
  else {
    const head = [w.reader, w.purpose, w.firstRead, w.lastRead, w.reads].map((h) => `<th>${esc(h)}</th>`).join('');
    const rows = actual.map(
      (r) =>
        `<tr><td>${esc(r.actor)}</td><td>${purposeName(ctx, r.purpose.replace(/^metadata:/, ''))}</td>` +
        `<td>${esc(ctx.date(r.firstAt))}</td><td>${esc(ctx.date(r.at))}</td><td>${esc(r.reads)}</td></tr>`,
    );
    out.push(`<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  return out.join('\n');
}

/** An ISO 8601 duration in words: `P1Y6M` as "1 year, 6 months" (weeks count as days, as the vault counts them). */
function durationWords(w: ReportWords, iso: string): string {
  try {
    const d = parseDuration(iso);
    const parts = [d.years ? w.years(d.years) : '', d.months ? w.months(d.months) : '', d.days ? w.days(d.days) : ''];
    return d.ms === 0 && parts.some(Boolean) ? parts.filter(Boolean).join(', ') : iso;
  } catch {
    return iso;
  }
}

function retentionBlock(ctx: Ctx, item: ItemDoc, spec: CategorySpec | undefined): string {
  const { w } = ctx;
  const r = item.retention;
  if (!r) return '';
  // A rule the register gives no words for is its duration alone, written out below.
  const unnamed = spec && spec.retention.description === undefined;
  const rule = unnamed ? '' : quoted(ctx, r.rule, spec?.retention.description, spec?.retention.descriptions);
  // An entry's end is its own, stated on its row (heldTable).
  const end = item.entry !== undefined ? '' : r.endsAt ? w.retentionEnds(ctx.date(r.endsAt)) : w.retentionOpen;
  return (
    `<h4>${esc(w.retention)}</h4><p>${rule ? `${rule} ` : ''}` +
    `<span class="code">(${esc(durationWords(w, r.duration))})</span>` +
    `${end ? ` ${esc(end)}` : ''}</p>`
  );
}

function transfersBlock(ctx: Ctx, item: ItemDoc): string {
  const { w } = ctx;
  const names = new Intl.DisplayNames([w.locale], { type: 'region' });
  const specs = specOf(ctx, item.category)?.transfers ?? [];
  const li = (item.transfers ?? []).map((t) => {
    const spec = specs.find((s) => s.country === t.country && s.recipient === t.recipient);
    return (
      `<li>${esc(w.transfer(names.of(t.country) ?? t.country, t.recipient))} ${esc(w.safeguard)}: ` +
      `${quoted(ctx, t.safeguard, spec?.safeguard, spec?.safeguardTranslations)} ` +
      `<span class="code">(${esc(t.dpv)})</span></li>`
    );
  });
  const list = li.length === 0 ? `<p>${esc(w.transfersNone)}</p>` : `<ul>${li.join('')}</ul>`;
  return `<h4>${esc(w.transfers)}</h4>${list}`;
}

function admBlock(ctx: Ctx, item: ItemDoc, decision: DecisionDoc | undefined): string {
  const { w } = ctx;
  const text = item.automatedDecisionMaking;
  const spec = specOf(ctx, item.category);
  const logic = text
    ? quoted(ctx, text, spec?.automatedDecisionMaking ?? undefined, spec?.automatedDecisionMakingTranslations)
    : '';
  const factors = (decision?.factors ?? []).map((f) => `<li>${esc(f.field)}: ${valueHtml(w, f.value)}</li>`);
  return (
    `<h4>${esc(w.adm)}</h4><p>${text ? logic : esc(w.admNone)}</p>` +
    (factors.length > 0 ? `<p>${esc(w.admFactors)}:</p><ul>${factors.join('')}</ul>` : '')
  );
}

function consentsSection(ctx: Ctx, consents: ConsentDoc[]): string {
  const { w } = ctx;
  const out = [`<section id="consents"><h2>${esc(w.consents)}</h2>`];
  if (consents.length === 0) out.push(`<p>${esc(w.consentsNone)}</p>`);
  for (const c of consents) {
    const state = esc(
      c.given ? w.consentStands : c.dpvStatus === 'dpv:ConsentExpired' ? w.consentExpired : w.consentWithdrawn,
    );
    const covers = c.dataCategories.map(({ category }) => `<li>${categoryName(ctx, category)}</li>`);
    out.push(`<h3>${purposeName(ctx, c.purpose)}</h3><p><strong>${state}</strong></p>`);
    if (covers.length > 0) out.push(`<p>${esc(w.consentCovers)}:</p><ul>${covers.join('')}</ul>`);
    out.push('<ul>');
    for (const p of c.proofs) {
      const given =
        p.provenance === 'recorded' && p.notice
          ? esc(w.consentGiven(ctx.date(p.givenAt), String(lookup(w.channels, p.channel)), p.collectedBy ?? '')) +
            ' ' +
            esc(w.consentNotice(p.notice.id, p.notice.version))
          : esc(w.consentUnknown);
      const renewed = p.dpvStatus === 'dpv:RenewedConsentGiven' ? ` ${esc(w.consentRenewed)}` : '';
      const expiry =
        p.expiresAt && !p.withdrawnAt
          ? ` ${esc((p.dpvStatus === 'dpv:ConsentExpired' ? w.expiredAt : w.expiresAt)(ctx.date(p.expiresAt)))}`
          : '';
      out.push(`<li>${given}${renewed}${expiry}${withdrawnText(ctx, p)}</li>`);
    }
    out.push('</ul>');
  }
  out.push('</section>');
  return out.join('\n');
}

function withdrawnText(ctx: Ctx, p: ConsentDoc['proofs'][number]): string {
  if (!p.withdrawnAt) return '';
  const { w } = ctx;
  const how = p.withdrawal;
  const via =
    how?.channel && how.collectedBy
      ? ` ${esc(w.withdrawnHow(String(lookup(w.channels, how.channel)), how.collectedBy))}`
      : '';
  return ` ${esc(w.withdrawnAt(ctx.date(p.withdrawnAt)))}${via}`;
}

/** Art. 20(2): each transmission of the export to another controller, with how it ended and each attempt. */
function transmissionsSection(ctx: Ctx, transmissions: TransmissionDoc[]): string {
  const { w } = ctx;
  const li = transmissions.map((t) => {
    const to = t.receiverName ?? t.receiver;
    const attempts = t.attempts.map((a) => `${ctx.date(a.at)}: ${a.status ?? '–'}`).join('; ');
    return (
      `<li>${esc(w.transmission(to, ctx.date(t.requestedAt), t.requestedBy))} ` +
      `<strong>${esc(w.transmissionOutcomes[t.outcome])}</strong> (${esc(w.attempts(t.attempts.length))}: ` +
      `${esc(attempts)})</li>`
    );
  });
  return `<section id="transmissions"><h2>${esc(w.transmissions)}</h2>${listOr(w, li)}</section>`;
}

const listOr = (w: ReportWords, li: string[]) =>
  li.length === 0 ? `<p>${esc(w.none)}</p>` : `<ul>${li.join('')}</ul>`;

function choicesSection(ctx: Ctx, report: AccessReportDoc): string {
  const { w } = ctx;
  const restrictions = report.restrictions.map((r) => {
    const reason = String(lookup(w.restrictionReasons, r.reason));
    return `<li>${categoryName(ctx, r.category)}: ${esc(w.restricted(ctx.date(r.since), reason))}</li>`;
  });
  const objections = report.objections.map(
    (o) =>
      `<li>${esc(w.objected(o.purpose, ctx.date(o.since)))}` +
      `${o.overriddenAt ? ` ${esc(w.overridden(ctx.date(o.overriddenAt), o.grounds ?? ''))}` : ''}</li>`,
  );
  return (
    `<section id="restrictions"><h2>${esc(w.restrictions)}</h2>${listOr(w, restrictions)}</section>\n` +
    `<section id="objections"><h2>${esc(w.objections)}</h2>${listOr(w, objections)}</section>`
  );
}

function requestsSection(ctx: Ctx, requests: RequestDoc[]): string {
  const { w } = ctx;
  const li = requests.map((q) => {
    const status = String(lookup(w.requestStatus, q.status));
    const parts = [
      esc(w.request(String(lookup(w.requestTypes, q.type)), ctx.date(q.receivedAt), ctx.date(q.dueAt))),
      `(${esc(status)}${q.closedAt ? `, ${esc(ctx.date(q.closedAt))}` : ''})`,
      q.missedDeadlineAt ? esc(w.missed(ctx.date(q.missedDeadlineAt))) : '',
      ...q.extensions.map((x) => esc(w.extended(x.months, ctx.date(x.at), x.reason ?? ''))),
      q.status === 'REFUSED' ? esc(w.refused(q.refusalReason ?? '')) : '',
    ];
    return `<li>${parts.filter(Boolean).join(' ')}</li>`;
  });
  return `<section id="requests"><h2>${esc(w.requests)}</h2>${listOr(w, li)}</section>`;
}

function historySection(ctx: Ctx, history: AccessReportDoc['history']): string {
  const { w } = ctx;
  if (history.length === 0) return `<section id="history"><h2>${esc(w.history)}</h2>${listOr(w, [])}</section>`;
  const perEntry = history.some((h) => h.entry !== undefined);
  const head = [w.categoryCode, w.field, ...(perEntry ? [w.entry] : []), w.value, w.recorded, w.purpose, w.source].map(
    (h) => `<th>${esc(h)}</th>`,
  );
  const rows = history.map(
    (h) =>
      `<tr><td>${esc(h.category)}</td><td>${esc(h.field)}</td>` +
      `${perEntry ? `<td><span class="code">${esc(h.entry ?? '')}</span></td>` : ''}<td>${valueHtml(w, h.value)}</td>` +
      `<td>${esc(ctx.date(h.recordedAt))}</td><td>${purposeName(ctx, h.purpose)}</td>` +
      `<td>${esc(lookup(w.sourceWords, h.source))}</td></tr>`,
  );
  return (
    `<section id="history"><h2>${esc(w.history)}</h2><table><thead><tr>${head.join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></section>`
  );
}

/** Each read itself (CJEU C-579/21): when, who, for what, which categories; the newest first, as many as listed. */
function consultationsSection(ctx: Ctx, disclosures: AccessReportDoc['disclosures']): string {
  const { w } = ctx;
  const title = `<section id="consultations"><h2>${esc(w.consultations)}</h2>`;
  if (disclosures.total === 0) return `${title}<p>${esc(w.disclosuresNone)}</p></section>`;
  const head = [w.when, w.reader, w.purpose, w.categories].map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = disclosures.entries.map(
    (e) =>
      `<tr><td>${esc(ctx.date(e.at))}</td><td>${esc(e.actor)}</td>` +
      `<td>${purposeName(ctx, e.purpose.replace(/^metadata:/, ''))}</td>` +
      `<td>${e.categories.map((c) => categoryName(ctx, c)).join(', ')}</td></tr>`,
  );
  return (
    `${title}<p>${esc(w.consultationsListed(disclosures.listed, disclosures.total))}</p>` +
    `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></section>`
  );
}

function rightsSection(ctx: Ctx, report: AccessReportDoc): string {
  const { w } = ctx;
  const li = report.rights.map((r) => {
    const words = Object.hasOwn(w.rightWords, r.dpv) ? w.rightWords[r.dpv] : undefined;
    return words
      ? `<li><strong>${esc(words.name)}</strong>: ${esc(words.how)}</li>`
      : `<li lang="en"><strong>${esc(r.right)} (${esc(r.article)})</strong></li>`;
  });
  const sa = report.supervisoryAuthority;
  return (
    `<section id="rights"><h2>${esc(w.rights)}</h2><p>${esc(w.rightsIntro(report.controller.contact))}</p>` +
    `<ul>${li.join('')}</ul><p>${esc(w.complaint(sa.name, sa.contact))}</p></section>`
  );
}

function partiesSection(ctx: Ctx, report: AccessReportDoc): string {
  const { w } = ctx;
  const party = (label: string, p: PartyDoc) =>
    `<dt>${esc(label)}</dt><dd>${esc(p.name)}<br>${esc(p.contact)}${p.address ? `<br>${esc(p.address)}` : ''}` +
    `${p.url && /^https?:\/\//.test(p.url) ? `<br><a href="${esc(p.url)}">${esc(p.url)}</a>` : ''}</dd>`;
  return (
    `<section id="parties"><h2>${esc(w.parties)}</h2><dl>${party(w.controller, report.controller)}` +
    `${party(w.dpo, report.dpo)}${party(w.authority, report.supervisoryAuthority)}</dl></section>`
  );
}
