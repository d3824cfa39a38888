/**
 * Every error the vault raises on purpose has a stable code from this registry.
 * Messages never carry personal data: they name fields, categories and ids only.
 * `docs/errors.md` documents each code; a test keeps the two in step.
 */
export const ErrorCodes = {
  BAD_USER_INPUT: 'Input failed validation (a malformed value, an unknown category, field or purpose).',
  NOT_FOUND: 'The subject, request or link does not exist.',
  CONFLICT: 'The stream changed since it was read (optimistic concurrency); retry the command.',
  VALUE_HELD:
    'A service wrote a different value over one held for a purpose its token does not carry; ' +
    'the message names the purpose.',
  UNKNOWN_ENTRY:
    'A lifecycle event names an entry (e.g. a case) the subject has no live values under in the categories ' +
    'whose period runs per entry from that event.',
  SUBJECT_ERASED: 'The subject was erased; no more data can be recorded for it.',
  CATEGORY_HELD: 'The category is under a legal hold and cannot be shredded now.',
  FORBIDDEN: 'The caller may not perform this operation.',
  CONSENT_REQUIRED:
    'The value would be stored on consent (or for a purpose that needs it) and the subject has no standing ' +
    'consent for that purpose; give the consent first or in the same call.',
  CONSENT_EXPIRED:
    "As CONSENT_REQUIRED, where the subject's consent for the purpose was given but is past the validity the " +
    'register gives it (consentValidFor); give it again first or in the same call.',
  UNAUTHENTICATED: 'The caller did not present a valid token.',
  CIPHERTEXT_INVALID: 'A sealed value or wrapped key failed authentication: tampered, truncated or under another key.',
  CONTEXT_MISMATCH:
    'A sealed value or wrapped key was opened outside the context it was sealed for ' +
    '(another subject, category, field or event).',
  KEY_SHREDDED: 'The data key was shredded; the data it protected is gone for good.',
  MASTER_KEY_MISMATCH: 'The configured master key is not the one that wrapped the keys in this key store.',
  KEK_UNAVAILABLE:
    'The key-encryption key of the epoch that wrapped a key does not exist (destroyed when its epoch ended, ' +
    'or a key store restored from an older backup than the epochs allow).',
  CONFIG_INVALID: 'The configuration is incomplete or inconsistent.',
  REGISTER_INVALID: 'The processing register failed validation.',
  DUPLICATE_EVENT: 'An append reused event ids for different events.',
  STORE_UNAVAILABLE: 'A backing store did not answer in time or is closed.',
  IDENTITY_NOT_VERIFIED:
    "The requester's identity was not verified (verifyIdentity): the request cannot be completed yet.",
  LINK_GONE: 'The download link was already used or has expired (HTTP 410).',
  SIGNATURE_INVALID: 'A signed document failed verification.',
  RATE_LIMITED: 'The caller sent more requests than its token may in the current window (HTTP 429); retry later.',
  PAYLOAD_TOO_LARGE: 'The request body is larger than the configured limit (HTTP 413).',
  QUERY_TOO_COMPLEX: 'The query is nested too deeply or would cost too much to answer; split it.',
  MALFORMED_LINE: 'A line of a bulk import (`vault import`) is not a JSON object.',
  LINE_TOO_LONG: 'A line of a bulk import (`vault import`) is longer than the import reads (`--max-line-bytes`).',
  TIME_OUT_OF_RANGE:
    'A time a bulk import gives (when data was collected, consent given, a lifecycle event happened) lies in the ' +
    'future or before 1970.',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface VaultErrorOptions {
  /** Where in the input the problem is, e.g. `items[2].value` or `categories.contact.fields.email.type`. */
  path?: string;
  /** Structured, non-personal details (ids, names, revisions). Never values. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class VaultError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: VaultErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VaultError';
    this.code = code;
    this.path = options.path;
    this.details = options.details;
  }
}

/** Matches on the code, not the class, so it survives two copies of the package. */
export function isVaultError(e: unknown, code?: ErrorCode): e is VaultError {
  if (typeof e !== 'object' || e === null) return false;
  const c = (e as { code?: unknown }).code;
  if (typeof c !== 'string' || !(c in ErrorCodes)) return false;
  return code === undefined || c === code;
}

/**
 * An append's optimistic-concurrency conflict (another writer moved the stream on; it names the
 * expected revision): worth retrying on a fresh load. A CONFLICT a decision raises (a request
 * already closed, a hold that would shorten another) is an answer, not retried.
 */
export const isConflictError = (e: unknown): e is VaultError =>
  isVaultError(e, 'CONFLICT') &&
  (e.details as { expectedRevision?: unknown } | undefined)?.expectedRevision !== undefined;

export const badInput = (message: string, path?: string, details?: Record<string, unknown>): VaultError =>
  new VaultError('BAD_USER_INPUT', message, { path, details });

/** Codes travel as plaintext metadata; anything else (free text, an address) is refused. */
export function assertCode(codes: readonly string[], value: string, path: string): void {
  if (!codes.includes(value))
    throw badInput(`Expected one of ${codes.join(', ')}: this is a code, never free text`, path);
}
