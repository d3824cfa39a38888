import { CloudEvent, HTTP } from 'cloudevents';
import { Webhook } from 'standardwebhooks';

import type { NotificationPayload } from '../../domain/propagation.js';
import type {
  DeliverOptions,
  DeliveryOutcome,
  NotificationTransport,
  WebhookTarget,
} from '../../ports/NotificationTransport.js';

/** The CloudEvents `type` of a notification: this prefix and its action (`org.pdv.vault.notification.erasure`). */
export const NOTIFICATION_TYPE_PREFIX = 'org.pdv.vault.notification.';

export interface WebhookTransportOptions {
  /** The CloudEvents `source` of every notification. Default `urn:pdv:vault`. */
  source?: string;
}

/**
 * A notification as a CloudEvents 1.0 structured-mode body: `id` is the notification's id (the
 * idempotency key, the same on every attempt), `subject` the subject id, `data` the payload.
 */
export function cloudEventBody(notification: NotificationPayload, source: string): string {
  const event = new CloudEvent({
    id: notification.notificationId,
    source,
    type: `${NOTIFICATION_TYPE_PREFIX}${notification.action}`,
    subject: notification.subjectId,
    time: notification.occurredAt,
    datacontenttype: 'application/json',
    data: notification,
  });
  return HTTP.structured(event).body as string;
}

/** What a failed attempt is recorded as: a code, never the recipient's answer (it may echo anything). */
function reasonOf(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  return 'connection';
}

/**
 * Delivers notifications as signed webhooks: a CloudEvents 1.0 envelope in structured mode, signed per
 * Standard Webhooks (`webhook-id` is the notification id, `webhook-timestamp` the attempt's time,
 * `webhook-signature` an HMAC-SHA256 under the recipient's secret), so a receiver verifies it with any
 * Standard Webhooks library. Any 2xx answer is a delivery; the answer's body is read and dropped.
 */
export function getWebhookTransport(options: WebhookTransportOptions = {}): NotificationTransport {
  const source = options.source ?? 'urn:pdv:vault';
  const signers = new Map<string, Webhook>();
  const signerOf = (secret: string) => {
    let s = signers.get(secret);
    if (!s) signers.set(secret, (s = new Webhook(secret)));
    return s;
  };
  return {
    async deliver(target: WebhookTarget, n: NotificationPayload, o: DeliverOptions): Promise<DeliveryOutcome> {
      const body = cloudEventBody(n, source);
      const now = new Date();
      const signature = signerOf(target.secret).sign(n.notificationId, now, body);
      try {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/cloudevents+json; charset=utf-8',
            'webhook-id': n.notificationId,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        return res.status >= 200 && res.status < 300
          ? { ok: true, status: res.status }
          : { ok: false, reason: `status:${res.status}` };
      } catch (e) {
        return { ok: false, reason: reasonOf(e) };
      }
    },
    verify(secret, body, headers) {
      const h: Record<string, string> = {};
      for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        const v = headers[name];
        if (typeof v === 'string') h[name] = v;
      }
      try {
        signerOf(secret).verify(body, h);
        return true;
      } catch {
        return false;
      }
    },
    close: () => Promise.resolve(),
  };
}
