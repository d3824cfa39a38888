import { addIsoDuration, fixtureRegister } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Api, SERVICE, startApi } from './apiHarness.js';

/**
 * A consent past the validity the register gives its purpose (`consentValidFor`, issue 24), over GraphQL: the
 * register shows the validity, a write resting on the expired consent is CONSENT_EXPIRED and a read for the purpose
 * is denied with the reason of the same name, told apart from a consent never given or withdrawn.
 */

const T0 = '2026-03-01T09:00:00.000Z';
const clock = { now: T0 };
let api: Api;
let service: string;

beforeAll(async () => {
  const register = fixtureRegister();
  register.purposes.marketing!.consentValidFor = 'P2Y';
  api = await startApi({ vault: { register, now: () => clock.now } });
  service = await api.token(SERVICE);
});
afterAll(async () => {
  await api?.stop();
});

const RECORD = `mutation($id: ID!, $items: [PersonalDataInput!]!, $consents: [ConsentInput!]) {
  recordPersonalData(subjectId: $id, items: $items, consents: $consents) { revision }
}`;
const READ =
  'query($id: ID!) { subject(id: $id, purpose: "marketing") { items(categories: ["marketing"]) { status ' +
  '... on PersonalDataDenied { reason } } } }';
const interests = (value: string) => ({
  category: 'marketing',
  field: 'interests',
  value,
  purpose: 'marketing',
  legalBasis: 'consent',
  source: 'subject',
});
const consent = { purpose: 'marketing', noticeId: 'privacy-notice', noticeVersion: '2026-03', channel: 'webForm' };

describe('consent validity over GraphQL', () => {
  it("shows each purpose's consentValidFor in the register, null where a consent lasts until withdrawn", async () => {
    const r = await api.gql(service, '{ processingRegister { purposes { name requiresConsent consentValidFor } } }');
    expect(r.errors).toBeUndefined();
    const purposes = r.data!.processingRegister.purposes as { name: string; consentValidFor: string | null }[];
    expect(purposes.find((p) => p.name === 'marketing')?.consentValidFor).toBe('P2Y');
    const others = purposes.filter((p) => p.name !== 'marketing');
    expect(others.length).toBeGreaterThan(0);
    for (const p of others) expect(p.consentValidFor, p.name).toBeNull();
  });

  it('answers CONSENT_EXPIRED to a write and a read once the consent is past its validity', async () => {
    clock.now = T0;
    const r = await api.gql(service, 'mutation { registerSubject { subjectId } }');
    const id = r.data!.registerSubject.subjectId as string;
    const given = await api.gql(service, RECORD, { id, items: [interests('kayaks')], consents: [consent] });
    expect(given.errors).toBeUndefined();

    clock.now = addIsoDuration(T0, 'P2Y');
    const before = (await api.vault.commands.load(id)).revision;
    const refused = await api.gql(service, RECORD, { id, items: [interests('birds')] });
    expect(refused.errors?.[0]?.extensions?.code).toBe('CONSENT_EXPIRED');
    expect(refused.errors?.[0]?.extensions?.path).toBe('items[0].legalBasis');
    expect(JSON.stringify(refused.errors)).not.toContain('birds');
    expect((await api.vault.commands.load(id)).revision).toBe(before);
    const read = await api.gql(service, READ, { id });
    expect(read.data!.subject.items).toEqual([{ status: 'DENIED', reason: 'CONSENT_EXPIRED' }]);

    // Given again, it stands for another period.
    const again = await api.gql(service, RECORD, { id, items: [interests('birds')], consents: [consent] });
    expect(again.errors).toBeUndefined();
    expect((await api.gql(service, READ, { id })).data!.subject.items).toEqual([{ status: 'VALUE' }]);
  });
});
