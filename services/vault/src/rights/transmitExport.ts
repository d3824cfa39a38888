import { randomUUID } from 'node:crypto';

import { unknownName } from '../domain/names.js';
import type { ProcessingRegister } from '../domain/register.js';
import type { TransmissionAttemptInput } from '../domain/transmissions.js';
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
}

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

export interface TransmitDeps {
  register: ProcessingRegister;
  accessLog: AccessLog;
  now: () => string;
  /** The signed export, ready to stream. */
  download: (subjectId: string) => Promise<SignedExport>;
  /** Appends an attempt's event to the subject's stream, under the asker's actor; resolves to the event's time. */
  record: (subjectId: string, attempt: TransmissionAttemptInput) => Promise<string>;
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
  return continueTransmission(deps, subjectId, { transmissionId: randomUUID(), receiver, requestedBy }, keyUrl);
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
 * after the last of them (the caller has waited it).
 */
export async function continueTransmission(
  deps: TransmitDeps,
  subjectId: string,
  pending: PendingTransmission,
  keyUrl: string,
): Promise<Transmission> {
  const { transmissionId, receiver, requestedBy } = pending;
  const { name: controller, endpoint } = deps.register.receivingControllers![receiver]!;
  const max = maxAttempts(deps.policy);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const attempts: TransmissionAttempt[] = [];
  for (let n = (pending.made ?? 0) + 1; ; n++) {
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
    const a = { ...sent, at };
    attempts.push(a);
    if (final) return { transmissionId, receiver, controller, endpoint, delivered: done, ...a, attempts };
    await sleep(pauseAfter(deps.policy, n));
  }
}

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

/**
 * Transmissions a vault stopped while they were `retrying` (killed, restarted, a replica gone) go on where they
 * stopped: each waits what is left of the pause after its last recorded attempt, then makes the attempts the policy
 * still allows. One whose receiver the register no longer names, or that already made them all, is left as it is.
 * Resolves when all of them ended; a failure (a store closed under it) ends that transmission's run, not the others.
 */
export async function resumeTransmissions(
  deps: TransmitDeps,
  retrying: readonly RetryingTransmission[],
  keyUrl: string,
  stopped: () => boolean = () => false,
): Promise<{ resumed: number; delivered: number; failed: number }> {
  const receivers = deps.register.receivingControllers ?? {};
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  const max = maxAttempts(deps.policy);
  const runnable = retrying.filter((t) => Object.hasOwn(receivers, t.receiver) && t.made < max);
  const outcomes = await Promise.allSettled(
    runnable.map(async (t) => {
      const due = Date.parse(t.lastAt) + pauseAfter(deps.policy, t.made);
      await sleep(Math.max(0, due - Date.parse(deps.now())));
      if (stopped()) return undefined;
      return continueTransmission({ ...deps, sleep }, t.subjectId, t, keyUrl);
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
