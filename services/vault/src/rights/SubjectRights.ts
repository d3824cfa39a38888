import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { requestsKeyId } from '../crypto/sealedFields.js';
import type { FlattenedJws } from '../crypto/signer.js';
import { isVaultError, VaultError } from '../domain/errors.js';
import { EXPORT_KINDS, type ExportKind } from '../domain/events.js';
import { assertVerified, type NewLink, type TrackedRow } from '../domain/requests.js';
import type { Command } from '../domain/subject.js';
import { addIsoDuration } from '../domain/time.js';
import { transmissionOf } from '../domain/transmissions.js';
import type { CommandOptions, CommandResult } from '../ports/Commands.js';
import type { LeaseStore } from '../ports/LeaseStore.js';
import type { ViewStore } from '../ports/ViewStore.js';
import type { EraseOptions, SignedCertificate } from './eraseSubject.js';
import {
  type ConsultationPage,
  consultationsOf,
  digestReport,
  disclosedCategories,
  freezeReport,
  REPORT_TYP,
  reportChunks,
  type ReportDeps,
  reportDigest,
  type ReportSignature,
} from './reports.js';
import { holdsTexts, openSubjectTexts, type SubjectTexts } from './requestTexts.js';
import { ShredCheck } from './ShredCheck.js';
import { leaseClaims } from './transmissionClaims.js';
import {
  resumeTransmissions,
  type Transmission,
  type TransmissionClaims,
  type TransmitDeps,
  transmitExport,
  type TransmitPolicy,
} from './transmitExport.js';

/** The actor of the attempts a vault makes on its own, going on with a transmission after a restart. */
export const TRANSMISSION_ACTOR = 'system:transmissions';

export interface RightsDeps extends ReportDeps {
  views: ViewStore;
  now: () => string;
  /** Runs a command and waits for the read models. */
  execute(subjectId: string, command: Command, options: CommandOptions): Promise<CommandResult>;
  erase(subjectId: string, options: EraseOptions): Promise<SignedCertificate>;
  /** How a direct transmission (Art. 20(2)) is retried. Default: `TransmitPolicy`'s defaults. */
  transmission?: TransmitPolicy;
  /**
   * The lease store replicas share, opened at the first call: one process at a time sends a transmission's attempt
   * (`leaseClaims`). Default: none, this process alone transmits.
   */
  leases?: () => Promise<LeaseStore>;
}

export interface ExportLink {
  linkId: string;
  /** The secret part of the URL; shown once, stored only as its SHA-256. */
  token: string;
  /** Path of the download, relative to the vault's public URL. */
  path: string;
  kind: ExportKind;
  expiresAt: string;
}

/** A download ready to stream: its signature is known before the first byte is sent. */
export interface Download {
  kind: ExportKind;
  subjectId: string;
  signature: ReportSignature;
  /** Compact JWS (EdDSA) over `signature`, for a response header. */
  jws: string;
  /** What the report discloses, for the access log (`disclosedCategories`). */
  categories: string[];
  body: AsyncIterable<string>;
}

export interface SignedReport {
  /** The exact bytes the signature's digest covers. */
  text: string;
  report: Record<string, unknown>;
  signature: ReportSignature;
  jws: FlattenedJws;
  /** What the report discloses, for the access log (`disclosedCategories`). */
  categories: string[];
}

/** The actor a link's use is recorded under, in the log and in the access log: whoever held the link. */
export const DOWNLOAD_ACTOR = 'subject:download';

/** Default lifetime of a download link: 7 days. */
export const LINK_TTL = 'P7D';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const compact = (jws: FlattenedJws) => `${jws.protected}.${jws.payload}.${jws.signature}`;

/**
 * The data-subject rights of Art. 12–20: request workflow with deadlines, access reports,
 * portability exports, one-time download links, and the Art. 14 duty to inform.
 */
export class SubjectRights {
  /** This process's claims on transmissions (one holder name for all of them), made at the first. */
  private claims: TransmissionClaims | undefined;
  /** The transmissions this process is going on with now (a sweep for others' leaves them alone). */
  private readonly running = new Set<string>();

  constructor(private readonly deps: RightsDeps) {}

  async openRequest(
    subjectId: string,
    input: {
      requestType: string;
      receivedAt: string;
      channel: string;
      verifiedBy?: { method: string; issuer?: string };
    },
    options: CommandOptions,
  ): Promise<string> {
    const requestId = randomUUID();
    await this.deps.execute(subjectId, { type: 'OpenRequest', requestId, ...input }, options);
    return requestId;
  }

  /** Runs a step on a request found by id (the DPO knows requests, not always their subject). */
  async step(
    requestId: string,
    command: Extract<Command, { requestId: string }>,
    options: CommandOptions,
  ): Promise<TrackedRow> {
    const row = await this.request(requestId);
    await this.deps.execute(row.subjectId, command, options);
    return this.request(requestId);
  }

  /**
   * Completes a request by doing what it asks where the vault can: an erasure request erases
   * and attaches the certificate; an access or portability request creates the download link.
   */
  async completeRequest(
    requestId: string,
    options: CommandOptions,
  ): Promise<{ request: TrackedRow; certificate?: SignedCertificate; link?: ExportLink }> {
    const row = await this.request(requestId);
    if (row.status !== 'OPEN')
      throw new VaultError('CONFLICT', `Request is already ${row.status.toLowerCase()}`, { details: { requestId } });
    // Before the erasure or the link: the command that closes the request checks it again, too late to undo them.
    assertVerified({ requestId, verifiedAt: row.data.verifiedAt as string | null | undefined });
    const type = row.data.requestType as string;
    let certificate: SignedCertificate | undefined;
    if (type === 'ERASURE')
      certificate = await this.deps.erase(row.subjectId, { ...options, reason: 'subjectRequest', requestId });
    // The link is created by the command that closes the request, in one append: of two completions
    // racing, the second finds the request closed and leaves no link behind.
    const fresh = type === 'ACCESS' || type === 'PORTABILITY' ? this.newLink(type) : undefined;
    await this.deps.execute(
      row.subjectId,
      {
        type: 'CompleteRequest',
        requestId,
        ...(certificate ? { certificateEventId: certificate.certificate.eventId } : {}),
        ...(fresh ? { link: fresh.created } : {}),
      },
      options,
    );
    return {
      request: await this.request(requestId),
      ...(certificate ? { certificate } : {}),
      ...(fresh ? { link: fresh.link } : {}),
    };
  }

  async request(requestId: string): Promise<TrackedRow> {
    const [row] = await this.deps.views.listTracked('request', { id: requestId, limit: 1 });
    if (!row) throw new VaultError('NOT_FOUND', 'Request not found', { path: 'requestId', details: { requestId } });
    return row;
  }

  /**
   * The reasons and grounds the DPO gave (extensions, refusals, objection overrides), opened, for
   * many subjects (those of a listing of requests): one view read and one key batch for all of
   * them. A subject without any such text is absent, as is an unknown one.
   */
  async requestTexts(subjectIds: readonly string[]): Promise<Map<string, SubjectTexts>> {
    const states = [...(await this.deps.views.getSubjects([...subjectIds])).values()]
      .map((s) => s.state)
      .filter(holdsTexts);
    const keys = await this.deps.keyRing.get(states.map((s) => requestsKeyId(s.subjectId)));
    return new Map(states.map((s) => [s.subjectId, openSubjectTexts(s, keys.get(requestsKeyId(s.subjectId)))]));
  }

  /** Requests for the DPO: by status, overdue (open and past due now), or due before a date. */
  async requests(
    filter: { status?: string; overdue?: boolean; dueBefore?: string; limit?: number } = {},
  ): Promise<TrackedRow[]> {
    const now = this.deps.now();
    const dueBefore = filter.overdue ? minIso(now, filter.dueBefore) : filter.dueBefore;
    return this.deps.views.listTracked('request', {
      ...(filter.overdue ? { status: 'OPEN' } : filter.status ? { status: filter.status } : {}),
      ...(dueBefore ? { dueBefore } : {}),
      limit: filter.limit ?? 1000,
    });
  }

  /** One subject's requests, newest first (the privacy centre's list). */
  async requestsOf(subjectId: string, limit = 200): Promise<TrackedRow[]> {
    const rows = await this.deps.views.listTracked('request', { subjectId, limit });
    return rows.sort((a, b) => String(b.data.receivedAt).localeCompare(String(a.data.receivedAt)));
  }

  /** Open Art. 14 obligations, due before a date if given. */
  async pendingNotifications(dueBefore?: string, limit = 1000): Promise<TrackedRow[]> {
    return this.deps.views.listTracked('notification', {
      status: 'PENDING',
      ...(dueBefore ? { dueBefore } : {}),
      limit,
    });
  }

  async createExportLink(
    subjectId: string,
    kind: string,
    options: CommandOptions,
    ttl = LINK_TTL,
  ): Promise<ExportLink> {
    if (!(EXPORT_KINDS as readonly string[]).includes(kind))
      throw new VaultError('BAD_USER_INPUT', `kind must be one of ${EXPORT_KINDS.join(', ')}`, { path: 'kind' });
    const { link, created } = this.newLink(kind as ExportKind, ttl);
    await this.deps.execute(subjectId, { type: 'CreateExportLink', ...created }, options);
    return link;
  }

  /** A fresh link: what the caller gets (the token, once) and what the log keeps (its hash). */
  private newLink(kind: ExportKind, ttl = LINK_TTL): { link: ExportLink; created: NewLink } {
    const token = randomBytes(32).toString('base64url');
    const linkId = randomUUID();
    const expiresAt = addIsoDuration(this.deps.now(), ttl);
    return {
      link: { linkId, token, path: `/exports/${token}`, kind, expiresAt },
      created: { linkId, kind, tokenHash: hashToken(token), expiresAt },
    };
  }

  /**
   * Redeems a link: NOT_FOUND for an unknown token, LINK_GONE (410) for a used or expired one;
   * neither says whether a subject exists. Using the link is an event appended with the
   * stream's expected revision, so two racing downloads cannot both succeed. `beforeSpend` sees
   * the download once it is ready and before the link is spent (the API records the disclosure
   * there): if it throws, the link stays usable.
   */
  async redeem(token: string, beforeSpend?: (download: Download) => void): Promise<Download> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw new VaultError('NOT_FOUND', 'Unknown download link');
    const [row] = await this.deps.views.listTracked('link', { id: hashToken(token), limit: 1 });
    if (!row) throw new VaultError('NOT_FOUND', 'Unknown download link');
    const linkId = row.data.linkId as string;
    // Checked first, so a used or expired link costs no report; checked again when it is used.
    const link = (await this.deps.commands.load(row.subjectId)).rights.links[linkId];
    if (!link) throw new VaultError('NOT_FOUND', 'Unknown download link');
    if (link.usedAt || link.expiresAt <= this.deps.now())
      throw new VaultError(
        'LINK_GONE',
        link.usedAt ? 'This download link was already used' : 'This download link has expired',
      );
    // The report is produced and signed before the link is spent: a failure here leaves the link usable.
    const download = await this.download(row.subjectId, row.data.kind as ExportKind);
    beforeSpend?.(download);
    // Spending the link is an event appended with the stream's expected revision: of two racing
    // downloads one wins, the other meets the used link when its command is decided again.
    await this.deps.execute(row.subjectId, { type: 'UseExportLink', linkId }, { actor: DOWNLOAD_ACTOR });
    return download;
  }

  /**
   * Sends the subject's signed portability export to a receiving controller the register names
   * (Art. 20(2)); `keyUrl` is where the receiver finds the key set that verifies it.
   */
  transmitExport(subjectId: string, receiver: string, keyUrl: string, options: CommandOptions): Promise<Transmission> {
    return transmitExport(this.transmitDeps(options), subjectId, receiver, keyUrl, options.actor);
  }

  /**
   * Goes on with the transmissions left `retrying` in the log (a vault stopped before the first attempt was recorded,
   * or during a pause): at start, from the tracked rows the projector keeps of them. Their attempts are recorded under
   * `TRANSMISSION_ACTOR`; each keeps the asker it had. `stopped`: checked after each wait, so a closing vault starts
   * no attempt. `overdueByMs`: a live process's sweep, for those whose next attempt is that much overdue (the process
   * that paused them died), leaving alone those this process is going on with.
   */
  async resumeTransmissions(keyUrl: string, stopped?: () => boolean, overdueByMs?: number) {
    const rows = await this.deps.views.listTracked('transmission', { status: 'RETRYING' });
    const retrying = rows.map((r) => ({
      subjectId: r.subjectId,
      transmissionId: r.id,
      receiver: String(r.data.receiver),
      requestedBy: String(r.data.requestedBy),
      made: Number(r.data.attempts),
      lastAt: r.dueAt ?? this.deps.now(),
    }));
    const deps = this.transmitDeps({ actor: TRANSMISSION_ACTOR });
    return resumeTransmissions(deps, retrying, keyUrl, stopped, overdueByMs);
  }

  /** What a transmission runs on: its events recorded under `options`, claims shared with the replicas if any. */
  private transmitDeps(options: CommandOptions): TransmitDeps {
    const { register, accessLog, now, transmission: policy, leases, commands } = this.deps;
    return {
      register,
      accessLog,
      now,
      running: this.running,
      download: (s) => this.download(s, 'PORTABILITY'),
      record: async (s, attempt) => (await this.deps.execute(s, attempt, options)).events[0]!.metadata.at,
      request: async (s, request) => {
        await this.deps.execute(s, request, options);
      },
      ...(policy ? { policy } : {}),
      ...(leases && {
        claims: (this.claims ??= leaseClaims(leases)),
        recorded: async (s: string, id: string) => transmissionOf(await commands.load(s), id),
      }),
    };
  }

  /**
   * A signed report ready to stream (two passes over frozen inputs: hash, then send). A category
   * shredded while the first pass runs makes a new report, on inputs that show it erased; one
   * shredded while the body streams fails the body with KEY_SHREDDED before its last chunk, so
   * the client holds a truncated download that is not the signed report.
   */
  async download(subjectId: string, kind: ExportKind): Promise<Download> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.signedDownload(subjectId, kind);
      } catch (e) {
        // Each attempt reloads the subject, so it sees the shreds that failed the one before; a few
        // attempts only, as erasures of one subject do not come in an endless stream.
        if (!isVaultError(e, 'KEY_SHREDDED') || attempt >= 3) throw e;
      }
    }
  }

  private async signedDownload(subjectId: string, kind: ExportKind): Promise<Download> {
    const inputs = await freezeReport(this.deps, subjectId, kind, this.deps.now());
    const hashing = new ShredCheck(this.deps.keyRing);
    const signature = await digestReport(this.deps, inputs, hashing);
    const jws = compact(this.deps.signer.sign(signature, REPORT_TYP));
    // The sending pass must open every key the hashing pass opened: the signed digest depends on each.
    const sending = new ShredCheck(this.deps.keyRing, {}, hashing.opened);
    const body = reportChunks(this.deps, inputs, sending, signature.sha256);
    return { kind, subjectId, signature, jws, categories: disclosedCategories(this.deps.register, inputs), body };
  }

  /** Each read of the subject up to `until`, a page at a time (`consultationsOf`): the report's list, continued. */
  consultations(subjectId: string, page: { until: string; offset: number; first: number }): Promise<ConsultationPage> {
    return consultationsOf(this.deps, subjectId, page);
  }

  /** The whole report in memory, made once and signed once (for the API; downloads stream). */
  async report(subjectId: string, kind: ExportKind): Promise<SignedReport> {
    const inputs = await freezeReport(this.deps, subjectId, kind, this.deps.now());
    let text = '';
    for await (const chunk of reportChunks(this.deps, inputs)) text += chunk;
    const signature = reportDigest(inputs, createHash('sha256').update(text).digest('hex'), Buffer.byteLength(text));
    return {
      text,
      report: JSON.parse(text) as Record<string, unknown>,
      signature,
      jws: this.deps.signer.sign(signature, REPORT_TYP),
      categories: disclosedCategories(this.deps.register, inputs),
    };
  }
}

function minIso(a: string, b?: string): string {
  return b && b < a ? b : a;
}
