import { unknownName } from '../domain/names.js';
import type { ProcessingRegister } from '../domain/register.js';
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

/** How long a receiver has to take the export and answer. */
export const TRANSMIT_TIMEOUT_MS = 60_000;

/** What happened to one transmission. */
export interface Transmission {
  receiver: string;
  /** The receiving controller's name, as the register gives it. */
  controller: string;
  endpoint: string;
  /** True when the receiver answered 2xx to the whole body. */
  delivered: boolean;
  /** The receiver's HTTP status; null when it did not answer (network failure, timeout). */
  status: number | null;
  sha256: string;
  bytes: number;
  at: string;
}

export interface TransmitDeps {
  register: ProcessingRegister;
  accessLog: AccessLog;
  now: () => string;
  /** The signed export, ready to stream. */
  download: (subjectId: string) => Promise<SignedExport>;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The actor a transmission is logged under in the access log: the receiving controller. */
export const receiverActor = (receiver: string): string => `controller:${receiver}`;

/**
 * Sends the subject's signed export to `receiver`. BAD_USER_INPUT for a receiver the register does
 * not name (the names it does are listed). The disclosure is written to the access log before a
 * byte leaves (if it cannot be written, nothing is sent); a receiver's refusal or silence is an
 * outcome (`delivered: false`), not an error.
 */
export async function transmitExport(
  deps: TransmitDeps,
  subjectId: string,
  receiver: string,
  keyUrl: string,
): Promise<Transmission> {
  const receivers = deps.register.receivingControllers ?? {};
  if (!Object.hasOwn(receivers, receiver)) throw unknownName('receiver', Object.keys(receivers), 'receiver');
  const { name: controller, endpoint } = receivers[receiver]!;
  const download = await deps.download(subjectId);
  const at = deps.now();
  if (download.categories.length > 0)
    await deps.accessLog.append([
      { actor: receiverActor(receiver), purpose: 'dataSubjectRights', subjectId, categories: download.categories, at },
    ]);
  const outcome = {
    receiver,
    controller,
    endpoint,
    sha256: download.signature.sha256,
    bytes: download.signature.bytes,
  };
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
      signal: AbortSignal.timeout(deps.timeoutMs ?? TRANSMIT_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return { ...outcome, delivered: res.status >= 200 && res.status < 300, status: res.status, at };
  } catch {
    return { ...outcome, delivered: false, status: null, at };
  }
}

async function* bytesOf(chunks: AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) yield Buffer.from(chunk);
}
