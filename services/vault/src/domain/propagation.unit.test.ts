import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../testing/fixtureRegister.js';
import type { DomainEvent } from './events.js';
import {
  backoffMs,
  dutiesFor,
  evolveNotification,
  type NotificationEventPayloads,
  notificationPayload,
  type PropagationTrigger,
  receiptOf,
  type RecipientNotification,
  triggerOf,
} from './propagation.js';
import type { NotificationRecipient } from './register.js';

const register = fixtureRegister();
const source = { streamId: 'subject-s1', id: 'e1', position: 7, at: '2026-01-10T10:00:00.000Z' };
const webhook = { kind: 'webhook' as const, url: 'http://127.0.0.1:1/h', secret: { env: 'X' } };
const crm: NotificationRecipient = {
  name: 'crm',
  service: 'crm',
  delivery: webhook,
  acknowledgement: 'response',
  acknowledgeWithin: 'P7D',
};
const mailer: NotificationRecipient = {
  name: 'mailer',
  categories: ['contact', 'marketing'],
  purposes: ['marketing'],
  delivery: { kind: 'pull' },
  acknowledgement: 'callback',
  acknowledgeWithin: 'P7D',
};

const trigger = (event: DomainEvent) => triggerOf(event, source, register);

describe('what recipients must hear of', () => {
  it('reads an erasure of the subject as an erasure of the categories it shredded, with its request', () => {
    const t = trigger({
      type: 'SubjectErased',
      data: {
        reason: 'subjectRequest',
        requestId: 'r1',
        shredded: ['contact', 'marketing'],
        retained: [{ category: 'accounting', basis: 'law', until: '2036-01-01' }],
      },
    });
    expect(t).toMatchObject({
      subjectId: 's1',
      action: 'erasure',
      categories: ['contact', 'marketing'],
      requestId: 'r1',
    });
    expect(t).toMatchObject({ sourceEventId: 'e1', sourcePosition: 7, fields: [] });
  });

  it('names the field of a rectification and of a field erasure, never a value', () => {
    const item = { category: 'contact', field: 'email', keyId: 'k', value: 'sealed', purpose: 'contract' };
    const rectified = trigger({
      type: 'PersonalDataRectified',
      data: { ...item, legalBasis: 'contract', source: 'subject' },
    });
    expect(rectified).toMatchObject({ action: 'rectification', categories: ['contact'], fields: ['email'] });
    expect(JSON.stringify(rectified)).not.toContain('sealed');
    const erased = trigger({ type: 'PersonalDataErased', data: { category: 'contact', field: 'phone', reason: 'x' } });
    expect(erased).toMatchObject({ action: 'erasure', categories: ['contact'], fields: ['phone'] });
  });

  it('reads an objection and a withdrawn consent as concerning every category used for the purpose', () => {
    expect(trigger({ type: 'ObjectionRaised', data: { purpose: 'marketing' } })).toMatchObject({
      action: 'objection',
      purpose: 'marketing',
      categories: ['contact', 'marketing'],
    });
    expect(trigger({ type: 'ConsentWithdrawn', data: { purpose: 'marketing' } })?.action).toBe('consentWithdrawal');
  });

  it("notifies a retention shred and an expired consent's, not those of an erasure or withdrawal (notified)", () => {
    const shred = (reason: 'retention' | 'erasure' | 'withdrawal' | 'consentExpired') =>
      trigger({ type: 'CategoryShredded', data: { category: 'callRecordings', keyIds: ['k'], reason } });
    expect(shred('retention')).toMatchObject({ action: 'retentionShred', categories: ['callRecordings'] });
    expect(shred('consentExpired')).toMatchObject({ action: 'erasure', categories: ['callRecordings'] });
    expect(shred('erasure')).toBeUndefined();
    expect(shred('withdrawal')).toBeUndefined();
  });

  it('names the entry (a case) of a value rectified or erased, or whose own retention shredded its key', () => {
    const item = { category: 'debtor', field: 'name', keyId: 'k', value: 'sealed', purpose: 'debtCollection' };
    const data = { ...item, legalBasis: 'contract' as const, source: 'subject' as const, entry: 'CASE-7' };
    expect(trigger({ type: 'PersonalDataRectified', data })).toMatchObject({ fields: ['name'], entry: 'CASE-7' });
    const erased = { category: 'debtor', field: 'name', reason: 'consentWithdrawn', entry: 'CASE-7' };
    expect(trigger({ type: 'PersonalDataErased', data: erased })).toMatchObject({ action: 'erasure', entry: 'CASE-7' });
    const shred = { category: 'debtor', keyIds: ['k'], reason: 'retention' as const, entry: 'CASE-7' };
    expect(trigger({ type: 'CategoryShredded', data: shred })).toMatchObject({
      action: 'retentionShred',
      entry: 'CASE-7',
    });
    // The category's own value names none.
    const own = trigger({ type: 'PersonalDataErased', data: { category: 'contact', field: 'email', reason: 'x' } });
    expect(own).not.toHaveProperty('entry');
  });

  it('puts the entry in what the recipient receives, and nothing else than ids, names and codes', () => {
    const due = {
      notificationId: 'n1',
      recipient: 'collections',
      subjectId: 's1',
      action: 'erasure' as const,
      categories: ['debtor'],
      fields: ['name'],
      occurredAt: source.at,
      sourceEventId: 'e1',
      sourcePosition: 7,
      recipientCount: 1,
    };
    expect(notificationPayload({ ...due, entry: 'CASE-7' })).toEqual({
      notificationId: 'n1',
      recipient: 'collections',
      subjectId: 's1',
      action: 'erasure',
      categories: ['debtor'],
      fields: ['name'],
      entry: 'CASE-7',
      occurredAt: source.at,
    });
    expect(notificationPayload(due)).not.toHaveProperty('entry');
  });

  it('reads restriction and its lifting, and ignores what changes nothing a recipient holds', () => {
    expect(
      trigger({ type: 'ProcessingRestricted', data: { categories: ['contact'], reason: 'accuracyContested' } }),
    ).toMatchObject({ action: 'restriction' });
    expect(trigger({ type: 'RestrictionLifted', data: { categories: ['contact'] } })?.action).toBe('restrictionLifted');
    expect(trigger({ type: 'SubjectRegistered', data: { subjectId: 's1' } })).toBeUndefined();
    expect(
      triggerOf(
        { type: 'RestrictionLifted', data: { categories: ['contact'] } },
        { ...source, streamId: 'x' },
        register,
      ),
    ).toBeUndefined();
  });
});

describe('who must hear of it', () => {
  const erasure: PropagationTrigger = {
    subjectId: 's1',
    action: 'erasure',
    categories: ['contact', 'marketing'],
    fields: [],
    at: source.at,
    sourceEventId: 'e1',
    sourcePosition: 7,
  };

  it('notifies a service of the categories it read, and not a service that never read them', () => {
    const reads = [{ service: 'crm', category: 'contact', purpose: 'contract' }];
    expect(dutiesFor(erasure, [crm], reads)).toEqual([{ recipient: 'crm', categories: ['contact'] }]);
    expect(dutiesFor(erasure, [crm], [{ service: 'billing', category: 'contact', purpose: 'contract' }])).toEqual([]);
    expect(dutiesFor(erasure, [crm], [])).toEqual([]);
  });

  it('an external recipient is notified of the affected categories the register says it receives', () => {
    expect(dutiesFor(erasure, [mailer], [])).toEqual([{ recipient: 'mailer', categories: ['contact', 'marketing'] }]);
    expect(dutiesFor({ ...erasure, categories: ['accounting'] }, [mailer], [])).toEqual([]);
  });

  it('for an objection, only reads for the purpose objected to count', () => {
    const objection = { ...erasure, action: 'objection' as const, purpose: 'marketing' };
    const reads = [{ service: 'crm', category: 'contact', purpose: 'contract' }];
    expect(dutiesFor(objection, [crm], reads)).toEqual([]);
    expect(dutiesFor(objection, [crm], [{ ...reads[0]!, purpose: 'marketing' }])).toHaveLength(1);
    expect(dutiesFor({ ...objection, purpose: 'billing' }, [mailer], [])).toEqual([]);
  });
});

describe('a notification through its life', () => {
  const due = {
    notificationId: 'n1',
    recipient: 'crm',
    subjectId: 's1',
    action: 'erasure' as const,
    categories: ['contact'],
    fields: [],
    occurredAt: source.at,
    sourceEventId: 'e1',
    sourcePosition: 7,
  };

  it('is pending, fails, is dead-lettered, retried, delivered and acknowledged', () => {
    const states = new Map<string, RecipientNotification>();
    const at = '2026-01-10T10:00:01.000Z';
    evolveNotification(states, { type: 'NotificationDue', data: due }, at, 3);
    const s = states.get('n1')!;
    expect(s).toMatchObject({ status: 'pending', seq: 3, attempts: 0 });
    const fail = { notificationId: 'n1', attempt: 1, reason: 'status:500', nextAttemptAt: at };
    evolveNotification(states, { type: 'NotificationAttemptFailed', data: fail }, at, 4);
    evolveNotification(
      states,
      { type: 'NotificationDeadLettered', data: { notificationId: 'n1', attempts: 2, reason: 'timeout' } },
      at,
      5,
    );
    expect(s).toMatchObject({ status: 'deadLettered', attempts: 1, lastReason: 'timeout' });
    evolveNotification(states, { type: 'NotificationRetried', data: { notificationId: 'n1' } }, at, 6);
    expect(s).toMatchObject({ status: 'pending', attempts: 0, totalAttempts: 1 });
    evolveNotification(
      states,
      { type: 'NotificationDelivered', data: { notificationId: 'n1', attempt: 1, status: 204 } },
      at,
      7,
    );
    expect(s.status).toBe('delivered');
    evolveNotification(
      states,
      { type: 'NotificationAcknowledged', data: { notificationId: 'n1', via: 'callback' } },
      at,
      8,
    );
    expect(s).toMatchObject({ status: 'acknowledged', acknowledgedVia: 'callback', totalAttempts: 2 });
  });

  it('stays acknowledged (or delivered) when an attempt in flight meanwhile fails or dead-letters it', () => {
    const states = new Map<string, RecipientNotification>();
    const at = '2026-01-10T10:00:01.000Z';
    for (const [id, settle] of [
      ['acked', { type: 'NotificationAcknowledged', data: { notificationId: 'acked', via: 'callback' } }],
      ['delivered', { type: 'NotificationDelivered', data: { notificationId: 'delivered', attempt: 1, status: 204 } }],
    ] as const) {
      evolveNotification(states, { type: 'NotificationDue', data: { ...due, notificationId: id } }, at, 1);
      evolveNotification(states, settle, at, 2);
      const fail = { notificationId: id, attempt: 1, reason: 'timeout', nextAttemptAt: '2026-01-10T10:05:00.000Z' };
      evolveNotification(states, { type: 'NotificationAttemptFailed', data: fail }, at, 3);
      const dead = { notificationId: id, attempts: 1, reason: 'timeout' };
      evolveNotification(states, { type: 'NotificationDeadLettered', data: dead }, at, 4);
      const s = states.get(id)!;
      expect(s.status).toBe(id === 'acked' ? 'acknowledged' : 'delivered');
      expect(s.nextAttemptAt).toBeUndefined();
      expect(s.deadLetteredAt).toBeUndefined();
    }
    expect(states.get('acked')).toMatchObject({ acknowledgedVia: 'callback', acknowledgedAt: at });
  });

  it('is acknowledged by its delivery where the register takes the 2xx as the acknowledgement', () => {
    const states = new Map<string, RecipientNotification>();
    evolveNotification(states, { type: 'NotificationDue', data: due }, source.at, 3);
    const delivered = { notificationId: 'n1', attempt: 1, status: 200, acknowledged: true };
    evolveNotification(states, { type: 'NotificationDelivered', data: delivered }, '2026-01-10T10:00:02.000Z', 4);
    expect(states.get('n1')).toMatchObject({ status: 'acknowledged', acknowledgedVia: 'response', attempts: 1 });
  });

  it('keeps its first due when the same due is folded again', () => {
    const states = new Map<string, RecipientNotification>();
    evolveNotification(states, { type: 'NotificationDue', data: due }, source.at, 3);
    evolveNotification(states, { type: 'NotificationDue', data: due }, source.at, 9);
    expect(states.get('n1')?.seq).toBe(3);
  });
});

describe("an erasure's receipt", () => {
  const due = (recipient: string, fields: string[] = []) => ({
    notificationId: `n-${recipient}`,
    recipient,
    subjectId: 's1',
    action: 'erasure' as const,
    categories: ['contact'],
    fields,
    requestId: 'r1',
    occurredAt: source.at,
    sourceEventId: 'e1',
    sourcePosition: 7,
    recipientCount: 2,
  });
  const acked = (d: RecipientNotification['due'], at: string): RecipientNotification => ({
    due: d,
    seq: 1,
    status: 'acknowledged',
    attempts: 1,
    totalAttempts: 1,
    deliveredAt: at,
    acknowledgedAt: at,
    acknowledgedVia: 'response',
  });

  it('is due once every recipient the erasure was notified to acknowledged, completed by the last of them', () => {
    const crmAck = acked(due('crm'), '2026-01-11T00:00:00.000Z');
    const collectionsAck = acked(due('collections'), '2026-01-12T00:00:00.000Z');
    expect(receiptOf([crmAck, collectionsAck])).toEqual({
      subjectId: 's1',
      requestId: 'r1',
      erasureEventId: 'e1',
      erasedAt: source.at,
      completedAt: '2026-01-12T00:00:00.000Z',
      recipients: [
        expect.objectContaining({ recipient: 'collections', notificationId: 'n-collections' }),
        expect.objectContaining({ recipient: 'crm', acknowledgedVia: 'response', categories: ['contact'] }),
      ],
    });
  });

  it('is not due while one is outstanding or not yet known', () => {
    const crmAck = acked(due('crm'), '2026-01-11T00:00:00.000Z');
    // Two recipients were notified; only one is known here yet.
    expect(receiptOf([crmAck])).toBeUndefined();
    expect(receiptOf([crmAck, { ...acked(due('collections'), source.at), status: 'delivered' }])).toBeUndefined();
    expect(receiptOf([])).toBeUndefined();
  });

  it("is due for the erasure of one field too, naming the field and its entry; a subject's names neither", () => {
    const field: NotificationEventPayloads['NotificationDue'] = { ...due('crm', ['name']), entry: 'CASE-7' };
    // A field's erasure carries no request, and was notified to crm alone.
    delete field.requestId;
    field.recipientCount = 1;
    expect(receiptOf([acked(field, '2026-01-11T00:00:00.000Z')])).toEqual({
      subjectId: 's1',
      requestId: null,
      erasureEventId: 'e1',
      fields: ['name'],
      entry: 'CASE-7',
      erasedAt: source.at,
      completedAt: '2026-01-11T00:00:00.000Z',
      recipients: [expect.objectContaining({ recipient: 'crm', categories: ['contact'] })],
    });
    const whole = receiptOf([acked(due('crm'), source.at), acked(due('collections'), source.at)])!;
    expect(Object.keys(whole)).not.toContain('fields');
    expect(Object.keys(whole)).not.toContain('entry');
    // Not for a rectification, which is no erasure.
    const rectified = { ...due('crm', ['name']), action: 'rectification' as const, recipientCount: 1 };
    expect(receiptOf([acked(rectified, source.at)])).toBeUndefined();
  });
});

describe('backoff', () => {
  it('doubles from the base, caps, and jitters between half and all of the pause', () => {
    expect(backoffMs(1, 1000, 60_000, 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, 0.999)).toBe(1000);
    expect(backoffMs(3, 1000, 60_000, 0.5)).toBe(3000);
    expect(backoffMs(20, 1000, 60_000, 0)).toBe(30_000);
    expect(backoffMs(40, 1000, 60_000, 0.9999)).toBeLessThanOrEqual(60_000);
  });
});
