/**
 * Propagation (Art. 19, Art. 17(2)): which changes to a subject's data the recipients of that data
 * must hear of, and the life of each notification. Pure: the access log's answer and the clock come in
 * as arguments.
 *
 * Notifications live in one stream of their own (`NOTIFICATION_STREAM`): a duty (`NotificationDue`)
 * per recipient and change, then its delivery attempts, its delivery, its dead letter or its
 * acknowledgement. The stream holds no personal data: subject ids, category and field names, codes, times.
 */
import type { DomainEvent } from './events.js';
import { subjectOf } from './events.js';
import type { NotificationRecipient, ProcessingRegister } from './register.js';
import { addIsoDuration } from './time.js';

export const NOTIFICATION_STREAM = 'notifications';

/** What happened to the data, as the recipient reads it (the CloudEvents type ends with it). */
export const NOTIFICATION_ACTIONS = [
  'rectification',
  'erasure',
  'restriction',
  'restrictionLifted',
  'objection',
  'consentWithdrawal',
  'retentionShred',
] as const;
export type NotificationAction = (typeof NOTIFICATION_ACTIONS)[number];

/** One change that recipients must hear of, read off a subject's event. */
export interface PropagationTrigger {
  subjectId: string;
  action: NotificationAction;
  categories: string[];
  /** The fields concerned, when the change is to single fields (rectification, a field's erasure). */
  fields: string[];
  /** The entry (a case) whose value or key the change concerns; absent: the category's own. An opaque id. */
  entry?: string;
  /** The purpose an objection or a withdrawn consent concerns: only reads for it count. */
  purpose?: string;
  requestId?: string;
  /** The event's time. */
  at: string;
  sourceEventId: string;
  sourcePosition: number;
}

export type NotificationEventPayloads = {
  NotificationDue: {
    notificationId: string;
    recipient: string;
    subjectId: string;
    action: NotificationAction;
    categories: string[];
    fields: string[];
    /** The entry (a case) the changed value belongs to, as the service named it; absent: the category's own. */
    entry?: string;
    requestId?: string;
    occurredAt: string;
    sourceEventId: string;
    sourcePosition: number;
    /** How many recipients the change is notified to, this one included (absent in dues recorded before it was). */
    recipientCount?: number;
  };
  /** `reason` is a code: `status:<http status>`, `timeout`, `connection`. */
  NotificationAttemptFailed: { notificationId: string; attempt: number; reason: string; nextAttemptAt: string };
  /** `acknowledged`: the recipient's register entry takes the 2xx as its acknowledgement. */
  NotificationDelivered: { notificationId: string; attempt: number; status: number; acknowledged?: boolean };
  NotificationDeadLettered: { notificationId: string; attempts: number; reason: string };
  /** The DPO asked for another round of attempts (a dead letter, or a delivery it wants repeated). */
  NotificationRetried: { notificationId: string };
  NotificationAcknowledged: { notificationId: string; via: 'response' | 'callback' | 'pull' };
  /** The log was examined for changes up to `position` (so a restart need not look again). */
  PropagationCheckpoint: { position: number };
  /**
   * Every recipient of an erasure (a subject's, or one field's) acknowledged it: what the signed propagation receipt
   * states, recorded once, when the last acknowledgement arrived (a later retry of one of them changes nothing here).
   */
  PropagationReceiptIssued: PropagationReceiptData;
};

/** What a propagation receipt states: the erasure, and when each recipient was told and acknowledged. */
export interface PropagationReceiptData {
  subjectId: string;
  requestId: string | null;
  /**
   * The erasure's event: `SubjectErased` (the erasure certificate's `eventId`), or `PersonalDataErased` for one
   * field's erasure.
   */
  erasureEventId: string;
  /** The field erased, for one field's erasure; absent for a subject's. */
  fields?: string[];
  /** The entry (a case) whose value was erased, for a field of an entry; absent otherwise. */
  entry?: string;
  erasedAt: string;
  /** The last acknowledgement's time. */
  completedAt: string;
  recipients: {
    recipient: string;
    notificationId: string;
    categories: string[];
    deliveredAt: string | null;
    acknowledgedAt: string;
    acknowledgedVia: string;
  }[];
}
export type NotificationEventType = keyof NotificationEventPayloads;
export type NotificationEvent = {
  [K in NotificationEventType]: { type: K; data: NotificationEventPayloads[K] };
}[NotificationEventType];

const NOTIFICATION_TYPES: ReadonlySet<string> = new Set<NotificationEventType>([
  'NotificationDue',
  'NotificationAttemptFailed',
  'NotificationDelivered',
  'NotificationDeadLettered',
  'NotificationRetried',
  'NotificationAcknowledged',
  'PropagationCheckpoint',
  'PropagationReceiptIssued',
]);
export const isNotificationEvent = (e: { type: string }): e is NotificationEvent => NOTIFICATION_TYPES.has(e.type);

/** The categories whose processing for `purpose` the register allows: what an objection or a withdrawal touches. */
const categoriesFor = (register: ProcessingRegister, purpose: string): string[] =>
  Object.values(register.categories)
    .filter((c) => c.purposes.includes(purpose))
    .map((c) => c.name);

interface Source {
  streamId: string;
  id: string;
  position: number;
  at: string;
}

/** The change a subject's event makes that recipients must hear of, or undefined. */
export function triggerOf(
  event: DomainEvent,
  source: Source,
  register: ProcessingRegister,
): PropagationTrigger | undefined {
  const subjectId = subjectOf(source.streamId);
  if (subjectId === undefined) return undefined;
  const base = { subjectId, at: source.at, sourceEventId: source.id, sourcePosition: source.position, fields: [] };
  const d = event.data;
  switch (event.type) {
    case 'PersonalDataRectified':
    case 'PersonalDataErased': {
      const { category, field, entry } = event.data;
      const action = event.type === 'PersonalDataErased' ? 'erasure' : 'rectification';
      return { ...base, action, categories: [category], fields: [field], ...(entry ? { entry } : {}) };
    }
    case 'SubjectErased': {
      // Categories a law keeps are not erased: their recipients keep their own legal grounds.
      const { shredded, requestId } = event.data;
      return { ...base, action: 'erasure', categories: [...shredded], ...(requestId ? { requestId } : {}) };
    }
    case 'ProcessingRestricted':
      return { ...base, action: 'restriction', categories: [...event.data.categories] };
    case 'RestrictionLifted':
      return { ...base, action: 'restrictionLifted', categories: [...event.data.categories] };
    case 'ObjectionRaised':
    case 'ConsentWithdrawn': {
      const purpose = (d as { purpose: string }).purpose;
      const action = event.type === 'ObjectionRaised' ? 'objection' : 'consentWithdrawal';
      return { ...base, action, categories: categoriesFor(register, purpose), purpose };
    }
    case 'CategoryShredded': {
      // A consent that expired erased the category with no other event to notify; other shreds follow an erasure, a
      // withdrawal or an objection, which are notified themselves.
      const { reason, category, entry } = event.data;
      if (reason !== 'retention' && reason !== 'consentExpired') return undefined;
      const action = reason === 'retention' ? 'retentionShred' : 'erasure';
      return { ...base, action, categories: [category], ...(entry ? { entry } : {}) };
    }
    default:
      return undefined;
  }
}

/** What one internal service read of the subject: category and purpose, values only. */
export interface ServiceRead {
  service: string;
  category: string;
  purpose: string;
}

/** A duty to notify one recipient of one change, before it gets its id. */
export interface Duty {
  recipient: string;
  categories: string[];
}

/**
 * The recipients that must hear of `trigger` and which of the affected categories each received: an
 * internal service from what it read of the subject (`reads`, for the trigger's purpose where it has
 * one), any other recipient from the categories the register says it receives.
 */
export function dutiesFor(
  trigger: PropagationTrigger,
  recipients: readonly NotificationRecipient[],
  reads: readonly ServiceRead[],
): Duty[] {
  const affected = new Set(trigger.categories);
  const out: Duty[] = [];
  for (const r of recipients) {
    let received: string[];
    if (r.service !== undefined) {
      const limit = r.categories ? new Set(r.categories) : undefined;
      received = [
        ...new Set(
          reads
            .filter((x) => x.service === r.service && (trigger.purpose === undefined || x.purpose === trigger.purpose))
            .map((x) => x.category)
            .filter((c) => affected.has(c) && (!limit || limit.has(c))),
        ),
      ];
    } else {
      const purposes = r.purposes;
      if (trigger.purpose !== undefined && purposes && !purposes.includes(trigger.purpose)) continue;
      received = (r.categories ?? []).filter((c) => affected.has(c));
    }
    if (received.length > 0) out.push({ recipient: r.name, categories: received.sort() });
  }
  return out;
}

export type RecipientNotificationStatus = 'pending' | 'delivered' | 'acknowledged' | 'deadLettered';

/** One notification as the outbox knows it. */
export interface RecipientNotification {
  due: NotificationEventPayloads['NotificationDue'];
  /** Revision of its `NotificationDue` in the notification stream: the order of delivery. */
  seq: number;
  status: RecipientNotificationStatus;
  /** Attempts since it was due or last retried. */
  attempts: number;
  /** Attempts in all. */
  totalAttempts: number;
  nextAttemptAt?: string;
  lastReason?: string;
  deliveredAt?: string;
  acknowledgedAt?: string;
  acknowledgedVia?: string;
  deadLetteredAt?: string;
}

/** Folds one event of the notification stream into the outbox's states (`seq`: the event's revision). */
export function evolveNotification(
  states: Map<string, RecipientNotification>,
  event: NotificationEvent,
  at: string,
  seq: number,
): RecipientNotification | undefined {
  if (event.type === 'PropagationCheckpoint' || event.type === 'PropagationReceiptIssued') return undefined;
  if (event.type === 'NotificationDue') {
    if (states.has(event.data.notificationId)) return states.get(event.data.notificationId);
    const s: RecipientNotification = { due: event.data, seq, status: 'pending', attempts: 0, totalAttempts: 0 };
    states.set(event.data.notificationId, s);
    return s;
  }
  const s = states.get(event.data.notificationId);
  if (!s) return undefined;
  // An attempt's failure recorded after the notification was delivered or acknowledged (an acknowledgement that
  // arrived while the attempt was in flight, another replica's delivery) neither sends it again nor dead-letters it.
  const settled = s.status === 'delivered' || s.status === 'acknowledged';
  switch (event.type) {
    case 'NotificationAttemptFailed':
      s.attempts += 1;
      s.totalAttempts += 1;
      if (!settled) s.nextAttemptAt = event.data.nextAttemptAt;
      s.lastReason = event.data.reason;
      break;
    case 'NotificationDelivered':
      s.attempts += 1;
      s.totalAttempts += 1;
      s.deliveredAt = at;
      delete s.nextAttemptAt;
      if (event.data.acknowledged && s.status !== 'acknowledged') {
        s.acknowledgedAt = at;
        s.acknowledgedVia = 'response';
        s.status = 'acknowledged';
      } else if (s.status !== 'acknowledged') s.status = 'delivered';
      break;
    case 'NotificationDeadLettered':
      if (settled) break;
      s.status = 'deadLettered';
      s.deadLetteredAt = at;
      s.lastReason = event.data.reason;
      delete s.nextAttemptAt;
      break;
    case 'NotificationRetried':
      s.status = 'pending';
      s.attempts = 0;
      delete s.nextAttemptAt;
      delete s.deadLetteredAt;
      break;
    case 'NotificationAcknowledged':
      s.status = 'acknowledged';
      s.acknowledgedAt = at;
      s.acknowledgedVia = event.data.via;
      break;
  }
  return s;
}

/**
 * The pause before attempt `attempt + 1` after `attempt` failures: exponential from `baseMs`, capped at
 * `maxMs`, with jitter (between half and all of it) so recipients that fail together do not retry together.
 * `random` is a number in [0, 1).
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + (full / 2) * random);
}

/**
 * The notification's payload as the recipient receives it: ids, names and codes only. A recipient that
 * must refresh a rectified value reads it back through the API for its own purpose.
 */
export function notificationPayload(due: NotificationEventPayloads['NotificationDue']) {
  return {
    notificationId: due.notificationId,
    recipient: due.recipient,
    subjectId: due.subjectId,
    action: due.action,
    categories: due.categories,
    fields: due.fields,
    ...(due.entry ? { entry: due.entry } : {}),
    ...(due.requestId ? { requestId: due.requestId } : {}),
    occurredAt: due.occurredAt,
  };
}
export type NotificationPayload = ReturnType<typeof notificationPayload>;

/**
 * Whether the recipient owes an acknowledgement it has not given within its `acknowledgeWithin`, counted from the
 * delivery (or from the change, while it is not delivered): shown on the notification and its request.
 */
export function isOverdue(
  s: RecipientNotification,
  recipient: NotificationRecipient | undefined,
  now: string,
): boolean {
  if (s.status === 'acknowledged' || !recipient) return false;
  return addIsoDuration(s.deliveredAt ?? s.due.occurredAt, recipient.acknowledgeWithin) < now;
}

/**
 * Whether a notification is of a whole subject's erasure (`SubjectErased`, the change an erasure certificate
 * attests), not of one field's: a field's erasure always names its field.
 */
export const isSubjectErasure = (due: NotificationEventPayloads['NotificationDue']): boolean =>
  due.action === 'erasure' && due.fields.length === 0;

/** Whether a notification is of an erasure, a subject's or one field's: the changes a propagation receipt attests. */
export const isErasure = (due: NotificationEventPayloads['NotificationDue']): boolean => due.action === 'erasure';

/**
 * The receipt of an erasure's propagation (a subject's, or one field's), once every recipient it was notified to has
 * acknowledged (`notifications`: those of one change, as due); undefined while any is outstanding.
 */
export function receiptOf(notifications: readonly RecipientNotification[]): PropagationReceiptData | undefined {
  const first = notifications[0];
  if (!first || !isErasure(first.due)) return undefined;
  if (notifications.length < (first.due.recipientCount ?? notifications.length)) return undefined;
  if (!notifications.every((n) => n.status === 'acknowledged' && n.acknowledgedAt)) return undefined;
  const recipients = [...notifications]
    .sort((a, b) => a.due.recipient.localeCompare(b.due.recipient))
    .map((n) => ({
      recipient: n.due.recipient,
      notificationId: n.due.notificationId,
      categories: [...n.due.categories],
      deliveredAt: n.deliveredAt ?? null,
      acknowledgedAt: n.acknowledgedAt!,
      acknowledgedVia: n.acknowledgedVia ?? 'response',
    }));
  return {
    subjectId: first.due.subjectId,
    requestId: first.due.requestId ?? null,
    erasureEventId: first.due.sourceEventId,
    // Only for a field's erasure, so a subject erasure's receipt is what it was before fields were added.
    ...(isSubjectErasure(first.due) ? {} : { fields: [...first.due.fields] }),
    ...(first.due.entry ? { entry: first.due.entry } : {}),
    erasedAt: first.due.occurredAt,
    completedAt: recipients.map((r) => r.acknowledgedAt).reduce((a, b) => (b > a ? b : a)),
    recipients,
  };
}
