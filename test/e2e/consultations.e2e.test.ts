import { loadRegister } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { dataItem as item } from '../support/tempVault.js';
import { type Api, startApi, subjectPrincipal } from './apiHarness.js';

/**
 * Each consultation in the access report (Art. 15(1)(c); CJEU C-579/21: the subject is entitled to
 * the date and purpose of each read): a subject read 1,200 times by three services lists the 1,000
 * newest reads with their time, reader, purpose and categories, counts all 1,200, and says so in
 * words in each language; reads after the report's time are not in it, nor another subject's.
 */
let api: Api;
let subject: string;
let other: string;
const READERS = ['service:crm', 'service:billing', 'service:support'] as const;
const PURPOSES = ['contract', 'billing', 'contract'] as const;
const BULK = 1_200;

beforeAll(async () => {
  api = await startApi({ vault: { register: await loadRegister() } });
  const crm = { actor: 'service:crm' };
  [subject, other] = (await Promise.all(
    [0, 1].map(async (i) => {
      const { subjectId } = await api.vault.commands.registerSubject(crm);
      await api.vault.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            item('contact', 'email', `reader${i}@example.com`, 'contract', 'contract'),
            item('accounting', 'invoiceReference', `INV-${i}`, 'billing', 'contract'),
          ],
        },
        crm,
      );
      return subjectId;
    }),
  )) as [string, string];
  // A year of reads, a few a day, by three services; the other subject is read too.
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const entries = Array.from({ length: BULK }, (_, i) => ({
    subjectId: subject,
    actor: READERS[i % 3]!,
    purpose: PURPOSES[i % 3]!,
    categories: i % 3 === 1 ? ['accounting', 'contact'] : ['contact'],
    at: new Date(start + i * 7_200_000).toISOString(),
  }));
  await api.vault.accessLog.append(entries);
  await api.vault.accessLog.append(
    entries.slice(0, 50).map((e) => ({ ...e, subjectId: other, actor: 'service:elsewhere' })),
  );
}, 120_000);
afterAll(async () => api?.stop());

async function report(language?: string): Promise<{ json: Record<string, any>; html: string }> {
  const token = await api.token(subjectPrincipal(subject));
  const res = await api.gql(
    token,
    `query($s: ID!, $l: String) { accessReport(subjectId: $s) { text html(language: $l) } }`,
    { s: subject, l: language ?? 'en' },
  );
  expect(res.errors).toBeUndefined();
  const { text, html } = res.data!.accessReport as { text: string; html: string };
  return { json: JSON.parse(text) as Record<string, any>, html };
}

describe('each consultation in the access report', () => {
  it('lists the 1,000 newest reads with time, reader, purpose and categories, and counts them all', async () => {
    // One real read over the API, recorded by the server as any read is.
    const crm = await api.token({ role: 'service', name: 'crm', purposes: ['contract'] });
    const read = await api.gql(crm, `{ subject(id: "${subject}", purpose: "contract") { items { status } } }`);
    expect(read.errors).toBeUndefined();
    await api.server.flushAccessLog();

    const { json } = await report();
    expect(schemaErrors('access-report.schema.json', json)).toEqual([]);
    const d = json.disclosures as {
      total: number;
      listed: number;
      entries: { at: string; actor: string; purpose: string; categories: string[] }[];
    };
    expect(d.total).toBe(BULK + 1);
    expect(d.listed).toBe(1000);
    expect(d.entries).toHaveLength(1000);
    // Newest first: the live read, then the bulk from its end.
    expect(d.entries[0]).toMatchObject({ actor: 'service:crm', purpose: 'contract' });
    expect(d.entries[0]!.categories).toContain('contact');
    const times = d.entries.map((e) => Date.parse(e.at));
    expect(times.every((t, i) => i === 0 || t <= times[i - 1]!)).toBe(true);
    expect(d.entries[1]).toEqual({
      at: new Date(Date.parse('2026-01-01T00:00:00.000Z') + (BULK - 1) * 7_200_000).toISOString(),
      actor: READERS[(BULK - 1) % 3],
      purpose: PURPOSES[(BULK - 1) % 3],
      categories: (BULK - 1) % 3 === 1 ? ['accounting', 'contact'] : ['contact'],
    });
    expect(new Set(d.entries.map((e) => e.actor))).toEqual(new Set(READERS));
    expect(d.entries.some((e) => e.actor === 'service:elsewhere')).toBe(false);
    // The per-category sums still count every read, the listed and the others.
    const items = json.items as { category: string; recipients: { actual: { actor: string; reads: number }[] } }[];
    const billing = items.find((i) => i.category === 'accounting')!.recipients.actual;
    expect(billing).toEqual([expect.objectContaining({ actor: 'service:billing', reads: BULK / 3 })]);
  });

  it.each([
    ['en', 'Every time your data was read', (n: number) => `The 1000 most recent of ${n} reads`],
    ['nb', 'Hver gang opplysningene dine ble lest', (n: number) => `De 1000 siste av ${n} lesinger`],
    ['da', 'Hver gang dine oplysninger blev læst', (n: number) => `De 1000 seneste af ${n} læsninger`],
  ])('says so in words in %s, one row a read', async (language, heading, listed) => {
    const { json, html } = await report(language);
    const total = (json.disclosures as { total: number }).total;
    expect(total).toBeGreaterThan(BULK);
    expect(html).toContain(heading);
    expect(html).toContain(listed(total));
    const section = html.slice(html.indexOf('<section id="consultations">'));
    const table = section.slice(0, section.indexOf('</section>'));
    expect(table.match(/<tr><td>/g)).toHaveLength(1000);
    expect(table).toContain('service:billing');
    expect(table).not.toContain('service:elsewhere');
  });
});
