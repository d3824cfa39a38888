import { loadRegister } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { dataItem as item } from '../support/tempVault.js';
import { type Api, startApi, subjectPrincipal } from './apiHarness.js';

/**
 * Each consultation in the access report (Art. 15(1)(c); CJEU C-579/21: the subject is entitled to
 * the date and purpose of each read): a subject read 1,200 times by three services lists the 1,000
 * newest reads with their time, reader, purpose and categories, counts all 1,200, and says so in
 * words in each language; reads after the report's time are not in it, nor another subject's. The
 * `consultations` query pages on past the report's list, from where it stops, while reads go on.
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

describe('paging past the report', () => {
  type Page = { total: number; offset: number; entries: { at: string; actor: string; purpose: string }[] };
  const PAGE = `query($s: ID!, $u: DateTime!, $o: Int, $f: Int) {
    consultations(subjectId: $s, until: $u, offset: $o, first: $f) {
      total
      offset
      entries { at actor purpose categories }
    }
  }`;
  const page = async (token: string, vars: Record<string, unknown>) => {
    const res = await api.gql(token, PAGE, { s: subject, ...vars });
    return { page: res.data?.consultations as Page | undefined, errors: res.errors };
  };

  it('goes on where the report stops, holding still while new reads come in, until each read was listed', async () => {
    const { json } = await report();
    const d = json.disclosures as { total: number; listed: number; entries: { at: string; actor: string }[] };
    expect(d.listed).toBeLessThan(d.total);
    // Reads after the report: the pages, taken up to the report's time, do not move.
    await api.vault.accessLog.append(
      Array.from({ length: 30 }, () => ({
        subjectId: subject,
        actor: 'service:late',
        purpose: 'contract',
        categories: ['contact'],
        at: new Date(Date.parse(json.generatedAt as string) + 1000).toISOString(),
      })),
    );
    const token = await api.token(subjectPrincipal(subject));
    const rest: Page['entries'] = [];
    for (let offset = d.listed; ; offset += 64) {
      const { page: p, errors } = await page(token, { u: json.generatedAt, o: offset, f: 64 });
      expect(errors).toBeUndefined();
      expect(p!.total).toBe(d.total);
      expect(p!.offset).toBe(offset);
      if (p!.entries.length === 0) break;
      rest.push(...p!.entries);
    }
    expect(rest).toHaveLength(d.total - d.listed);
    const all = [...d.entries, ...rest];
    const times = all.map((e) => Date.parse(e.at));
    expect(times.every((t, i) => i === 0 || t <= times[i - 1]!)).toBe(true);
    expect(all.some((e) => e.actor === 'service:late' || e.actor === 'service:elsewhere')).toBe(false);
    // The oldest read of the year is the last one listed: nothing was skipped, nothing repeated.
    expect(rest.at(-1)).toMatchObject({ at: '2026-01-01T00:00:00.000Z', actor: READERS[0] });
    expect(new Set(all.map((e) => `${e.at} ${e.actor}`)).size).toBe(all.length);
    // The first page taken now, up to a later time, does see the new reads.
    const dpo = await api.token({ role: 'dpo', name: 'alice' });
    const now = await page(dpo, { u: new Date(Date.now() + 3_600_000).toISOString(), f: 30 });
    expect(now.page!.total).toBe(d.total + 30);
    expect(now.page!.entries.every((e) => e.actor === 'service:late')).toBe(true);
  });

  it("refuses another subject's reads, pages outside 1 to 1000, a negative offset, an unknown subject", async () => {
    const own = await api.token(subjectPrincipal(other));
    const until = '2099-01-01T00:00:00Z';
    const theirs = await page(own, { u: until });
    expect(theirs.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const dpo = await api.token({ role: 'dpo', name: 'alice' });
    for (const [vars, path] of [
      [{ f: 0 }, 'first'],
      [{ f: 1001 }, 'first'],
      [{ o: -1 }, 'offset'],
    ] as const) {
      const r = await page(dpo, { u: until, ...vars });
      expect(r.errors?.[0]?.extensions, JSON.stringify(vars)).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(JSON.stringify(r.errors)).toContain(path);
    }
    const unknown = await api.gql(dpo, PAGE, { s: '00000000-0000-4000-8000-000000000000', u: until });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
