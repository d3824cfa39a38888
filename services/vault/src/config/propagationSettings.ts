import { readFileSync } from 'node:fs';

import { getWebhookTransport } from '../adapters/webhooks/index.js';
import { VaultError } from '../domain/errors.js';
import type { ProcessingRegister } from '../domain/register.js';
import type { NotificationTransport } from '../ports/NotificationTransport.js';
import { isReplicaId } from '../propagation/leaseHolder.js';
import type { PropagationOptions } from '../propagation/Propagation.js';

type Env = Record<string, string | undefined>;

function positiveInt(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new VaultError('CONFIG_INVALID', `${name} must be a positive integer`);
  return n;
}

/**
 * How notifications are delivered, from the environment: `VAULT_NOTIFY_MAX_ATTEMPTS` (12),
 * `VAULT_NOTIFY_CONCURRENCY` (4 per recipient), `VAULT_NOTIFY_TIMEOUT_MS` (10,000) and
 * `VAULT_NOTIFY_BACKOFF_MS` (1,000, doubled per failure up to five minutes) and `VAULT_NOTIFY_LEASE_MS` (how long a
 * replica's claim on a notification lasts: the timeout + 20,000). Unset, each takes its default. `VAULT_REPLICA_ID`:
 * this replica's stable id (a StatefulSet's pod name), so that a restart under it takes its predecessor's claims.
 */
export function propagationSettings(env: Env = process.env): PropagationOptions {
  const maxAttempts = positiveInt(env, 'VAULT_NOTIFY_MAX_ATTEMPTS');
  const concurrency = positiveInt(env, 'VAULT_NOTIFY_CONCURRENCY');
  const timeoutMs = positiveInt(env, 'VAULT_NOTIFY_TIMEOUT_MS');
  const backoffBaseMs = positiveInt(env, 'VAULT_NOTIFY_BACKOFF_MS');
  const leaseMs = positiveInt(env, 'VAULT_NOTIFY_LEASE_MS');
  if (leaseMs !== undefined && leaseMs <= (timeoutMs ?? 10_000))
    throw new VaultError('CONFIG_INVALID', 'VAULT_NOTIFY_LEASE_MS must be longer than VAULT_NOTIFY_TIMEOUT_MS');
  const replicaId = env.VAULT_REPLICA_ID?.trim() || undefined;
  if (replicaId !== undefined && !isReplicaId(replicaId))
    throw new VaultError(
      'CONFIG_INVALID',
      'VAULT_REPLICA_ID must be 1 to 63 letters, digits, dots, dashes or underscores, starting and ending with a ' +
        'letter or digit (a StatefulSet pod name fits)',
    );
  return {
    ...(replicaId ? { replicaId } : {}),
    ...(maxAttempts ? { maxAttempts } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(backoffBaseMs ? { backoffBaseMs } : {}),
    ...(leaseMs ? { leaseMs } : {}),
  };
}

const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/**
 * Each webhook recipient's signing secret, read from the variable or file the register names: a Standard
 * Webhooks secret (`whsec_` and at least 24 bytes in base64). A missing or malformed one stops the vault at
 * start, naming the recipient and where the secret was looked for (never the secret).
 */
export function resolveRecipientSecrets(register: ProcessingRegister, env: Env = process.env): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of Object.values(register.recipients ?? {})) {
    if (r.delivery.kind !== 'webhook') continue;
    const src = r.delivery.secret;
    const where = 'env' in src ? `the environment variable ${src.env}` : `the file ${src.file}`;
    let secret: string | undefined;
    if ('env' in src) secret = env[src.env];
    else {
      try {
        secret = readFileSync(src.file, 'utf8');
      } catch (cause) {
        throw new VaultError('CONFIG_INVALID', `Recipient ${r.name}: cannot read its signing secret from ${where}`, {
          cause,
        });
      }
    }
    secret = secret?.trim();
    if (!secret || !SECRET.test(secret) || Buffer.from(secret.slice(6), 'base64').length < 24) {
      throw new VaultError(
        'CONFIG_INVALID',
        `Recipient ${r.name}: ${where} must hold a Standard Webhooks secret (whsec_ and at least 24 bytes in base64)`,
      );
    }
    out.set(r.name, secret);
  }
  return out;
}

/** The transport notifications leave by: signed webhooks (CloudEvents, Standard Webhooks). */
export function openNotificationTransport(source?: string): NotificationTransport {
  return getWebhookTransport(source ? { source } : {});
}
