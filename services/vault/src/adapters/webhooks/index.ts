/** Notifications to recipients over HTTP: CloudEvents envelopes signed per Standard Webhooks. */
export {
  cloudEventBody,
  getWebhookTransport,
  NOTIFICATION_TYPE_PREFIX,
  type WebhookTransportOptions,
} from './webhookTransport.js';
