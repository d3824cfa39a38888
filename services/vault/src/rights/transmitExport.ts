import { randomUUID } from 'node:crypto';

import { VaultError } from '../domain/errors.js';
import { unknownName } from '../domain/names.js';
import type { ProcessingRegister } from '../domain/register.js';
import type { TransmissionAttemptInput, TransmissionRequestInput, TransmissionState } from '../domain/transmissions.js';
import type { AccessLog } from '../ports/AccessLog.js';
import type { ReportSignature } from './reports.js';

/** A signed export ready to stream, as `SubjectRights.download` makes it. */
interface SignedExport {
  signature: ReportSignature;
  jws: string;
  categories: string[];
  body: AsyncIterable<string>;
}

/**
 * Direct transmission of a portability export to another controller (Art. 20(2)): the subject
 * chooses one of the receiving controllers the register names, and the vault POSTs the signed
 * export to its endpoint, as the download would serve it: the exact bytes, with `Vault-Signature`
 * (the JWS over their digest) and `Vault-Signing-Key` (the key set's URL), so the receiver checks
 * it as any holder of a download does. Only endpoints the controller put in its register are
 * reached: a caller never names a URL, so the vault is never made to call an address of their
 * choosing.
 */

/** How long a receiver has to take the export and answer, per attempt. */
export const TRANSMIT_TIMEOUT_MS = 60_000;

/** How a transmission is retried. */
export interface TransmitPolicy {
  /** Attempts in all, the first included. Default 4. */
  attempts?: number;
  /** The pause before the second attempt, doubled before each next one. Default 2,000 ms (so 2, 4, 8 s). */
  backoffMs?: number;
  /** How long a receiver has to take the export and answer, per attempt. Default `TRANSMIT_TIMEOUT_MS`. */
  timeoutMs?: number;
  /**
   * How long a process's claim on a transmission lasts (`TransmissionClaims`); renewed every third of it while an
   * attempt runs, so it is also how long a process that died while sending keeps another from going on. Default
   * `TRANSMIT_CLAIM_MS`.
   */
  claimMs?: number;
  /** How often a process waiting for a claim another holds asks again. Default 1,000 ms. */
  recheckMs?: number;
}

/** Default `TransmitPolicy.claimMs`: 15 s. */
export const TRANSMIT_CLAIM_MS = 15_000;

export const DEFAULT_TRANSMIT_ATTEMPTS = 4;
export const DEFAULT_TRANSMIT_BACKOFF_MS = 2_000;

/** One attempt: the receiver's answer to one freshly signed export. */
export interface TransmissionAttempt {
  /** When it was recorded, once the receiver answered (or did not, in time). */
  at: string;
  /** The receiver's HTTP status; null when it did not answer (network failure, timeout). */
  status: number | null;
  sha256: string;
  bytes: number;
}

/** What happened to one transmission: its last attempt, and every attempt. */
export interface Transmission extends TransmissionAttempt {
  transmissionId: string;
  receiver: string;
  /** The receiving controller's name, as the register gives it. */
  controller: string;
  endpoint: string;
  /** True when the receiver answered 2xx to the whole body. */
  delivered: boolean;
  attempts: TransmissionAttempt[];
}

/**
 * Claims that let one process at a time make a transmission's next attempt, where several may go on with it (replicas
 * starting together resume the same transmissions; one resumes what another is still retrying). `LeaseStore` backs
 * them (`leaseClaims`).
 */
export interface TransmissionClaims {
  /**
   * Takes (or renews) this process's claim on the transmission for `ttlMs`; undefined while another process holds
   * it. `first`: no process ever held it, so none can have sent anything under it.
   */
  take(transmissionId: string, ttlMs: number): Promise<{ first: boolean } | undefined>;
  /** Ends this process's claim (another may take it at once). */
  release(transmissionId: string): Promise<void>;
}

export interface TransmitDeps {
  register: ProcessingRegister;
  accessLog: AccessLog;
  now: () => string;
  /** The signed export, ready to stream. */
  download: (subjectId: string) => Promise<SignedExport>;
  /** Appends an attempt's event to the subject's stream, under the asker's actor; resolves to the event's time. */
  record: (subjectId: string, attempt: TransmissionAttemptInput) => Promise<string>;
  /** Records the transmission asked for, before its first attempt. Default: not recorded (no restart goes on). */
  request?: (subjectId: string, request: TransmissionRequestInput) => Promise<void>;
  /**
   * Claims on transmissions shared with the other processes, and what the subject's stream holds of a transmission
   * now (read from the log, not a read model): with both, a process sends an attempt only while it holds the claim
   * and the log shows that attempt still to make. Default: none (this process alone sends).
   */
  claims?: TransmissionClaims;
  recorded?: (subjectId: string, transmissionId: string) => Promise<TransmissionState | undefined>;
  /**
   * The transmissions this process is going on with now: a sweep for transmissions another process left
   * (`resumeTransmissions` with `overdueByMs`) leaves them alone. Default: none kept.
   */
  running?: Set<string>;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  policy?: TransmitPolicy;
  /** Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
}

/** The actor a transmission is logged under in the access log: the receiving controller. */
export const receiverActor = (receiver: string): string => `controller:${receiver}`;

const delivered = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

/**
 * Whether an answer may change if asked again: none (network failure, timeout), 408, 425, 429 or
 * 5xx. A redirect is not followed and not retried (only the registered endpoint is sent the
 * export); another 4xx is the receiver refusing this export, which sending it again does not change.
 */
export const retryable = (status: number | null): boolean =>
  status === null || status === 408 || status === 425 || status === 429 || status >= 500;

/**
 * Sends the subject's signed export to `receiver`, on behalf of `requestedBy` (the caller's actor).
 * BAD_USER_INPUT for a receiver the register does not name (the names it does are listed). Each
 * attempt sends a freshly signed export, is written to the access log before a byte leaves (if it
 * cannot be written, nothing is sent) and is recorded as an event in the subject's stream once the
 * receiver answered; an answer that may change is tried again after a growing pause, up to the
 * policy's attempts. A receiver's refusal or silence is an outcome (`delivered: false`), not an error.
 * The transmission is recorded as asked for before its first attempt, so a vault stopped before that
 * attempt was recorded goes on with it when it starts (`resumeTransmissions`).
 */
export async function transmitExport(
  deps: TransmitDeps,
  subjectId: string,
  receiver: string,
  keyUrl: string,
  requestedBy: string,
): Promise<Transmission> {
  const receivers = deps.register.receivingControllers ?? {};
  if (!Object.hasOwn(receivers, receiver)) throw unknownName('receiver', Object.keys(receivers), 'receiver');
  const transmissionId = randomUUID();
  deps.running?.add(transmissionId);
  let sent: Transmission | undefined;
  try {
    // Recorded before the first attempt: a vault stopped before that attempt is recorded goes on with it at start.
    await deps.request?.(subjectId, { type: 'RequestTransmission', transmissionId, receiver, requestedBy });
    sent = await continueTransmission(deps, subjectId, { transmissionId, receiver, requestedBy }, keyUrl);
  } finally {
    deps.running?.delete(transmissionId);
  }
  // Only a transmission another process ended before any attempt was recorded has no answer: none does that.
  if (!sent) throw new VaultError('CONFLICT', 'The transmission was taken over before its first attempt');
  return sent;
}

/** A transmission to go on with: its id, receiver and asker, and the attempts it already made (none for a new one). */
export interface PendingTransmission {
  transmissionId: string;
  receiver: string;
  requestedBy: string;
  /** Attempts recorded so far. Default 0. */
  made?: number;
}

/**
 * Makes the transmission's next attempts, up to the policy's in all (those `made` count): each recorded, each
 * answer that may change tried again after the doubling pause. `made` attempts before, the first pause is the one
 * after the last of them (the caller has waited it). With claims (`TransmitDeps.claims`), each attempt is made only
 * under this process's claim and only if the log still has it to make; where the log shows another process made it,
 * that process goes on and this one stops, answering what the log holds. `stopped`: checked before each attempt.
 */
export async function continueTransmission(
  deps: TransmitDeps,
  subjectId: string,
  pending: PendingTransmission,
  keyUrl: string,
  stopped: () => boolean = () => false,
): Promise<Transmission | undefined> {
  const { transmissionId, receiver, requestedBy } = pending;
  const { name: controller, endpoint } = deps.register.receivingControllers![receiver]!;
  const max = maxAttempts(deps.policy);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const attempts: TransmissionAttempt[] = [];
  const answer = (done: boolean, a: TransmissionAttempt, all: TransmissionAttempt[]): Transmission => ({
    transmissionId,
    receiver,
    controller,
    endpoint,
    delivered: done,
    ...a,
    attempts: all,
  });
  for (let n = (pending.made ?? 0) + 1; ; n++) {
    const turn = await claimTurn({ ...deps, sleep }, subjectId, transmissionId, n, stopped);
    if (turn === 'stopped') return undefined;
    if (turn !== 'mine') {
      // Another process made this attempt: it goes on with the transmission. What the log holds is the answer.
      const last = turn.attempts[turn.attempts.length - 1];
      return last ? answer(turn.outcome === 'delivered', last, turn.attempts) : undefined;
    }
    const a = await underClaim(deps, transmissionId, async () => {
      const sent = await attemptOnce(deps, subjectId, receiver, endpoint, keyUrl);
      const done = delivered(sent.status);
      const final = done || n >= max || !retryable(sent.status);
      // The attempt's time is its event's, so the answer and the subject's record agree.
      const at = await deps.record(subjectId, {
        type: 'RecordTransmissionAttempt',
        transmissionId,
        receiver,
        requestedBy,
        attempt: n,
        sha256: sent.sha256,
        bytes: sent.bytes,
        status: sent.status,
        delivered: done,
        final,
      });
      return { ...sent, at, done, final };
    });
    const { done, final, ...attempt } = a;
    attempts.push(attempt);
    if (final) return answer(done, attempt, attempts);
    await sleep(pauseAfter(deps.policy, n));
  }
}

/**
 * Waits until this process may make attempt `n`: `mine` once it holds the transmission's claim and the log has `n`
 * still to make (at once without claims); the transmission as the log holds it once another process has made `n`
 * (or ended it); `stopped` once `stopped()` says so. A claim another process holds is asked for again every
 * `recheckMs`: it is released when that process has recorded its attempt, or expires when it died.
 */
async function claimTurn(
  deps: TransmitDeps & { sleep: (ms: number) => Promise<void> },
  subjectId: string,
  transmissionId: string,
  n: number,
  stopped: () => boolean,
): Promise<'mine' | 'stopped' | TransmissionState> {
  const { claims, recorded } = deps;
  if (!claims || !recorded) return stopped() ? 'stopped' : 'mine';
  for (;;) {
    if (stopped()) return 'stopped';
    const claim = await claims.take(transmissionId, claimMsOf(deps.policy));
    // A claim nobody ever held: nobody made any attempt under it (the common case: one read fewer per transmission).
    if (claim?.first && n === 1) return 'mine';
    const t = await recorded(subjectId, transmissionId);
    if (t && (t.attempts.length >= n || t.outcome !== 'retrying')) {
      if (claim) await claims.release(transmissionId);
      return t;
    }
    if (claim) return 'mine';
    await deps.sleep(deps.policy?.recheckMs ?? 1_000);
  }
}

/** Runs one attempt under the transmission's claim: renewed every third of its life while it runs, released after. */
async function underClaim<T>(deps: TransmitDeps, transmissionId: string, run: () => Promise<T>): Promise<T> {
  const { claims } = deps;
  if (!claims || !deps.recorded) return run();
  const ttl = claimMsOf(deps.policy);
  let renewing: Promise<unknown> = Promise.resolve();
  const renew = setInterval(
    () => {
      renewing = claims.take(transmissionId, ttl).catch(() => undefined);
    },
    Math.ceil(ttl / 3),
  );
  renew.unref();
  try {
    return await run();
  } finally {
    clearInterval(renew);
    // A renewal still under way would take the claim again after the release.
    await renewing;
    // It expires on its own if this fails: another process waits that long, no longer.
    await claims.release(transmissionId).catch(() => undefined);
  }
}

const claimMsOf = (policy: TransmitPolicy | undefined): number =>
  Math.max(1, Math.floor(policy?.claimMs ?? TRANSMIT_CLAIM_MS));

const maxAttempts = (policy: TransmitPolicy | undefined): number =>
  Math.max(1, Math.floor(policy?.attempts ?? DEFAULT_TRANSMIT_ATTEMPTS));

/** The pause after attempt `n` (from 1): the backoff, doubled after each attempt. */
export const pauseAfter = (policy: TransmitPolicy | undefined, n: number): number =>
  (policy?.backoffMs ?? DEFAULT_TRANSMIT_BACKOFF_MS) * 2 ** (n - 1);

/** A transmission left `retrying` in the log: what `resumeTransmissions` needs of its tracked row. */
export interface RetryingTransmission extends Required<PendingTransmission> {
  subjectId: string;
  /** When its last attempt was recorded. */
  lastAt: string;
}

/** When a transmission left retrying is due its next attempt: at once if none was made, else after the pause. */
const dueAt = (policy: TransmitPolicy | undefined, t: RetryingTransmission): number =>
  Date.parse(t.lastAt) + (t.made > 0 ? pauseAfter(policy, t.made) : 0);

/**
 * Transmissions a vault stopped while they were `retrying` (killed, restarted, a replica gone) go on where they
 * stopped: each waits what is left of the pause after its last recorded attempt, then makes the attempts the policy
 * still allows. One whose receiver the register no longer names, that already made them all, or that this process is
 * going on with (`TransmitDeps.running`) is left as it is. `overdueByMs` (a live replica's sweep): only those whose
 * next attempt is that much overdue, which the process that made the last attempt would have made by then had it
 * lived (a live one holds the claim while it attempts, and the log then shows the attempt made). Resolves when all of
 * them ended; a failure (a store closed under it) ends that transmission's run, not the others.
 */
export async function resumeTransmissions(
  deps: TransmitDeps,
  retrying: readonly RetryingTransmission[],
  keyUrl: string,
  stopped: () => boolean = () => false,
  overdueByMs?: number,
): Promise<{ resumed: number; delivered: number; failed: number }> {
  const receivers = deps.register.receivingControllers ?? {};
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  const max = maxAttempts(deps.policy);
  const now = () => Date.parse(deps.now());
  const runnable = retrying.filter(
    (t) =>
      Object.hasOwn(receivers, t.receiver) &&
      t.made < max &&
      !deps.running?.has(t.transmissionId) &&
      (overdueByMs === undefined || dueAt(deps.policy, t) + overdueByMs <= now()),
  );
  for (const t of runnable) deps.running?.add(t.transmissionId);
  const outcomes = await Promise.allSettled(
    runnable.map(async (t) => {
      try {
        await sleep(Math.max(0, dueAt(deps.policy, t) - now()));
        if (stopped()) return undefined;
        return await continueTransmission({ ...deps, sleep }, t.subjectId, t, keyUrl, stopped);
      } finally {
        deps.running?.delete(t.transmissionId);
      }
    }),
  );
  const done = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
  return {
    resumed: runnable.length,
    delivered: done.filter((t) => t?.delivered).length,
    failed: done.filter((t) => t && !t.delivered).length,
  };
}

async function attemptOnce(
  deps: TransmitDeps,
  subjectId: string,
  receiver: string,
  endpoint: string,
  keyUrl: string,
): Promise<TransmissionAttempt> {
  const download = await deps.download(subjectId);
  const at = deps.now();
  if (download.categories.length > 0)
    await deps.accessLog.append([
      { actor: receiverActor(receiver), purpose: 'dataSubjectRights', subjectId, categories: download.categories, at },
    ]);
  const { sha256, bytes } = download.signature;
  try {
    const res = await (deps.fetch ?? fetch)(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'vault-signature': download.jws,
        'vault-signing-key': keyUrl,
      },
      // Streamed as the download is; a category shredded meanwhile cuts the body short, and the
      // receiver then holds bytes that do not verify.
      body: bytesOf(download.body),
      duplex: 'half',
      // A redirect could lead anywhere: only the registered endpoint is sent the export.
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.policy?.timeoutMs ?? TRANSMIT_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return { at, status: res.status, sha256, bytes };
  } catch {
    return { at, status: null, sha256, bytes };
  }
}

async function* bytesOf(chunks: AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) yield Buffer.from(chunk);
}
