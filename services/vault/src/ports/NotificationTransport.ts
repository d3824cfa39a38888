import type { NotificationPayload } from '../domain/propagation.js';

/** Where and how one webhook recipient is reached: its URL and its Standard Webhooks secret (`whsec_…`). */
export interface WebhookTarget {
  url: string;
  secret: string;
}

/** One attempt's outcome: the 2xx status, or why it failed as a code (`status:500`, `timeout`, `connection`). */
export type DeliveryOutcome = { ok: true; status: number } | { ok: false; reason: string };

export interface DeliverOptions {
  /** Longest the attempt may take, answer included, in ms. */
  timeoutMs: number;
}

/** Sends notifications to recipients (Art. 19). One attempt per call; retries are the caller's. */
export interface NotificationTransport {
  /** Whether `body` carries a valid signature under `secret` in `headers` (a recipient's signed callback). */
  verify(secret: string, body: string, headers: Record<string, string | string[] | undefined>): boolean;
  deliver(target: WebhookTarget, notification: NotificationPayload, options: DeliverOptions): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}
