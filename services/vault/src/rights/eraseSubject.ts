import type { KeyRing } from '../crypto/keyRing.js';
import { showsSigned } from '../crypto/showsSigned.js';
import { type FlattenedJws, type PublicJwk, type Signer, verifyJws } from '../crypto/signer.js';
import { VaultError } from '../domain/errors.js';
import type { EventOf } from '../domain/events.js';
import { streamOf } from '../domain/events.js';
import type { CommandOptions, Commands } from '../ports/Commands.js';
import { type EventLog, type RecordedEvent, streamEvents } from '../ports/EventLog.js';
import type { NotifiedRecipient } from '../propagation/Propagation.js';

export interface ErasureCertificate {
  type: 'ErasureCertificate';
  version: 1;
  subjectId: string;
  erasedAt: string;
  reason: string;
  requestId: string | null;
  actor: string;
  categoriesShredded: string[];
  /** Held categories: basis, end, and each value's own end where the period runs per entry (`entries`). */
  categoriesRetained: EventOf<'SubjectErased'>['data']['retained'];
  keyIdsDestroyed: string[];
  /** When the keys left the live key store (the erasure's commit). */
  keysDestroyedAt: string;
  /**
   * The end of the key epoch in force: from then on no stale copy of a destroyed key opens
   * (backups, WAL, replicas, page gaps). For a certificate issued again later, the end of the
   * epoch in force then, which is no earlier: still a true bound.
   */
  staleCopiesUnreadableBy: string;
  /** Who holds the key-encryption keys: `local` or `pkcs11`. */
  kekCustody: string;
  /**
   * The recipients the erasure is notified to (Art. 17(2), 19), as known when the certificate is made: services the
   * access log shows read an erased category, external recipients the register says receive one. Their
   * acknowledgements are attested by the propagation receipt (`propagation/propagationReceipt.ts`).
   */
  recipients: NotifiedRecipient[];
  /** The SubjectErased event in the log: the certificate can be checked against it. */
  eventId: string;
  signingKeyId: string;
}

/** A certificate with its detached signature (flattened JWS over the same JSON). */
export interface SignedCertificate {
  certificate: ErasureCertificate;
  jws: FlattenedJws;
}

export const CERTIFICATE_TYP = 'pdv-erasure-certificate+json';

export interface EraseOptions extends CommandOptions {
  reason: string;
  requestId?: string;
}

/**
 * Art. 17 erasure: shreds every category key no hold covers, in one atomic append, and returns
 * a signed certificate. Costs one snapshot read and one append, whatever the history length.
 * Erasing an erased subject returns the original certificate again.
 */
export async function eraseSubject(
  deps: {
    commands: Commands;
    log: EventLog;
    signer: Signer;
    keyRing: KeyRing;
    /** Who the erasure is notified to (`recipientsOfChange`). Default: nobody. */
    recipientsOf?: (erasure: RecordedEvent) => Promise<NotifiedRecipient[]>;
  },
  subjectId: string,
  options: EraseOptions,
): Promise<SignedCertificate> {
  const result = await deps.commands.execute(
    subjectId,
    { type: 'EraseSubject', reason: options.reason, ...(options.requestId ? { requestId: options.requestId } : {}) },
    options,
  );
  const events = result.events.length > 0 ? result.events : await findErasure(deps.log, subjectId);
  const epoch = await deps.keyRing.epochSchedule();
  const erasure = events.find((e) => e.type === 'SubjectErased');
  const certificate = certificateFrom(subjectId, events, deps.signer.publicJwk.kid, {
    staleCopiesUnreadableBy: epoch.endsAt,
    kekCustody: deps.keyRing.kek.kind,
    recipients: erasure && deps.recipientsOf ? await deps.recipientsOf(erasure) : [],
  });
  return { certificate, jws: deps.signer.sign(certificate, CERTIFICATE_TYP) };
}

function certificateFrom(
  subjectId: string,
  events: readonly RecordedEvent[],
  kid: string,
  custody: { staleCopiesUnreadableBy: string; kekCustody: string; recipients: NotifiedRecipient[] },
): ErasureCertificate {
  const erased = events.find((e) => e.type === 'SubjectErased') as
    (RecordedEvent & EventOf<'SubjectErased'>) | undefined;
  if (!erased) throw new VaultError('CONFLICT', 'The erasure did not complete');
  const shreds = events.filter((e) => e.type === 'CategoryShredded') as unknown as (RecordedEvent &
    EventOf<'CategoryShredded'>)[];
  return {
    type: 'ErasureCertificate',
    version: 1,
    subjectId,
    erasedAt: erased.metadata.at,
    reason: erased.data.reason,
    requestId: erased.data.requestId ?? null,
    actor: erased.metadata.actor,
    categoriesShredded: erased.data.shredded,
    categoriesRetained: erased.data.retained,
    keyIdsDestroyed: [...shreds.flatMap((s) => s.data.keyIds), ...(erased.data.strayKeyIds ?? [])],
    keysDestroyedAt: erased.metadata.at,
    ...custody,
    eventId: erased.id,
    signingKeyId: kid,
  };
}

/** The events of the original erasure (its shreds were appended together, just before it). */
async function findErasure(log: EventLog, subjectId: string): Promise<RecordedEvent[]> {
  const run: RecordedEvent[] = [];
  for await (const e of streamEvents(log, streamOf(subjectId))) {
    if (e.type === 'CategoryShredded' && (run.length === 0 || run[run.length - 1]!.type === 'CategoryShredded'))
      run.push(e);
    else if (e.type === 'SubjectErased') return [...run.filter((r) => r.metadata.at === e.metadata.at), e];
    else run.length = 0;
  }
  throw new VaultError('NOT_FOUND', 'Subject not found', { path: 'subjectId', details: { subjectId } });
}

/**
 * Checks a signed certificate: the signature, that what was signed is an erasure certificate
 * (the JWS's `typ`, so no other signed document passes for one), and, when a certificate is
 * shown next to its JWS, that everything it shows is what was signed (a GraphQL answer may show
 * only the fields its query selected; lists must match item for item). The JWS alone is enough:
 * its payload is the certificate, which is returned.
 */
export function verifyCertificate(
  signed: Pick<SignedCertificate, 'jws'> & { certificate?: unknown },
  jwk: Pick<PublicJwk, 'x'> & { kid?: string },
): ErasureCertificate {
  const payload = verifyJws(signed.jws, jwk) as ErasureCertificate;
  const header = JSON.parse(Buffer.from(signed.jws.protected, 'base64url').toString('utf8')) as {
    typ?: unknown;
    kid?: unknown;
  };
  if (header.typ !== CERTIFICATE_TYP)
    throw new VaultError('SIGNATURE_INVALID', 'The signed document is not an erasure certificate');
  // The key ids are claims, not proofs (the signature is): they must still agree, so none printed misleads.
  if (header.kid !== payload.signingKeyId || (jwk.kid !== undefined && jwk.kid !== header.kid)) {
    throw new VaultError(
      'SIGNATURE_INVALID',
      'The key ids of the signature, the certificate and the public key do not agree',
    );
  }
  if (signed.certificate !== undefined && !showsSigned(payload, signed.certificate)) {
    throw new VaultError('SIGNATURE_INVALID', 'The certificate differs from what was signed');
  }
  return payload;
}
