import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  fixtureRegister,
  mintDevToken,
  type ProcessingRegister,
  type PublicJwk,
  type RunningServer,
  startServer,
  type Vault,
  verifyPropagationReceipt,
} from '@pdv/vault';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually, type Receiver, startReceiver } from '../integration/propagationReceivers.js';
import { dataItem as item, tempVault } from '../support/tempVault.js';

/**
 * What the DPO console shows of an erasure's propagation (issues 26 and 27), in Debian's Chromium against a real vault
 * whose register names an external recipient that acknowledges by a signed callback: the certificate's recipients,
 * the request late to be acknowledged (flagged, and found by the vault's `requests(propagationOverdue: true)`), and
 * the signed propagation receipt with its check in the browser. Then the console in Norwegian and Danish, every
 * section passing axe. The DPO logs in with a development token, as after `npm start`; console.e2e.test.ts walks the
 * OpenID login.
 */

const CHROMIUM = '/usr/bin/chromium';
const PAGES = fileURLToPath(new URL('../../services/console/dist/console.html', import.meta.url));
const WAIT_MS = 10_000;
const SCREENSHOTS = process.env.TEST_CONSOLE_SCREENSHOTS;
const DAY_MS = 86_400_000;

const missing = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing (node scripts/chromium.mjs ensure installs it as root)`
  : !existsSync(PAGES)
    ? 'services/console is not built (npm run build -w services/console)'
    : undefined;
if (missing) console.log(`skipping the propagation browser suite: ${missing}`);

const secretOf = (name: string) =>
  `whsec_${Buffer.from(nacl.hash(Buffer.from(`console-test:${name}`)).subarray(0, 32)).toString('base64')}`;
const EMAIL = 'lise.propagation@example.dk';
const SECOND_EMAIL = 'jens.propagation@example.dk';
const THIRD_EMAIL = 'karen.propagation@example.dk';
const CASE_PHONE = '+4522334455';

/** The test register plus one external recipient of contact data, which acknowledges by callback within 3 days. */
function registerWith(collections: Receiver): ProcessingRegister {
  return {
    ...fixtureRegister(),
    recipients: {
      collections: {
        name: 'collections',
        label: 'Example Collections Ltd',
        categories: ['contact'],
        purposes: ['contract'],
        delivery: { kind: 'webhook', url: collections.url, secret: { env: 'UNUSED' } },
        acknowledgement: 'callback',
        acknowledgeWithin: 'P3D',
      },
    },
  };
}

const RECEIPT =
  'query($r: ID) { propagationReceipts(requestId: $r) { receipt { subjectId requestId erasureEventId erasedAt ' +
  'completedAt signingKeyId recipients { recipient notificationId categories deliveredAt acknowledgedAt ' +
  'acknowledgedVia } } jws { protected payload signature } } }';
const FIELD_RECEIPTS =
  'query($s: ID) { propagationReceipts(subjectId: $s) { receipt { subjectId requestId erasureEventId fields entry ' +
  'erasedAt completedAt signingKeyId recipients { recipient notificationId categories deliveredAt acknowledgedAt ' +
  'acknowledgedVia } } jws { protected payload signature } } }';
const RECEIPT_BUTTON: Record<string, string> = { nb: 'Kvittering fra mottakerne', da: 'Kvittering fra modtagerne' };
/** Each section's button and its heading. */
const NB_TABS: [string, string][] = [
  ['Henvendelser', 'Henvendelser'],
  ['Registrerte', 'Finn en registrert'],
  ['Rettslige pålegg', 'Rettslige pålegg om oppbevaring'],
  ['Lagringstid', 'Forhåndsvisning av lagringstid'],
  ['Protokoll', 'Protokoll over behandlingsaktiviteter'],
  ['Statistikk', 'Statistikk'],
];
const DA_TABS: [string, string][] = [
  ['Anmodninger', 'Anmodninger'],
  ['Registrerede', 'Find en registreret'],
  ['Retlige pålæg', 'Retlige pålæg om opbevaring'],
  ['Opbevaring', 'Forhåndsvisning af opbevaring'],
  ['Fortegnelse', 'Fortegnelse over behandlingsaktiviteter'],
  ['Statistik', 'Statistik'],
];

let vault: Vault;
let server: RunningServer;
let browser: Browser;
let collections: Receiver;
let cleanup: () => Promise<void>;
let dpoToken: string;
let subjectId: string;
let requestId: string;
/** The vault's clock runs this far ahead of the machine's, so that an acknowledgement falls overdue. */
const clock = { skewMs: 0 };

beforeAll(async () => {
  if (missing) return;
  collections = await startReceiver(() => ({ status: 204 }));
  const t = await tempVault({
    register: registerWith(collections),
    live: true,
    now: () => new Date(Date.now() + clock.skewMs).toISOString(),
    propagation: { secrets: new Map([['collections', secretOf('collections')]]), backoffBaseMs: 20 },
  });
  ({ vault, cleanup } = t);
  const crm = { actor: 'service:crm' };
  ({ subjectId } = await vault.commands.registerSubject(crm));
  const items = [item('contact', 'email', EMAIL, 'contract', 'contract')];
  await vault.execute(subjectId, { type: 'RecordPersonalData', items }, crm);
  const receivedAt = vault.now();
  requestId = await vault.rights.openRequest(subjectId, { requestType: 'ERASURE', receivedAt, channel: 'email' }, crm);
  server = await startServer(vault, { port: 0, rateLimitPerMinute: 0, unauthenticatedPerMinute: 0 });
  dpoToken = await mintDevToken(t.config, { role: 'dpo', name: 'dpo' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    timeout: 30_000,
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'].concat(
      '--disable-component-update',
      '--disable-sync',
    ),
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await cleanup?.();
  await collections?.close();
});

/** The console in a fresh profile, logged in as the DPO with a pasted development token. */
async function openConsole(locale: string): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) violations.push(msg.text());
  });
  await page.goto(`${server.url}/console`);
  await page.getByLabel(/Token/).fill(dpoToken);
  await page.getByRole('button', { name: 'Use this token' }).click();
  return { context, page, violations };
}

/** axe-core's WCAG 2.1 A and AA rules on the page as it is now. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const run = "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })";
  const result = await page.evaluate<axe.AxeResults>(run);
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** With `TEST_CONSOLE_SCREENSHOTS=<dir>`, the page as it is now (docs/screenshots/console-receipt.png was taken so). */
async function shot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true, timeout: 60_000 });
}

/** What the vault itself answers the DPO. */
async function gql(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${dpoToken}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data: Record<string, any>; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

/** The recipient's signed acknowledgement, as docs/propagation.md shows it. */
async function acknowledge(recipient: string, ids: string[]): Promise<number> {
  const body = JSON.stringify({ notificationIds: ids });
  const id = `ack-${ids[0]}`;
  const at = new Date();
  const res = await fetch(`${server.url}/notifications/${recipient}/acknowledgements`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secretOf(recipient)).sign(id, at, body),
    },
    body,
  });
  return res.status;
}

/** Waits for the subject's erasure notice to reach `collections`, acknowledges it, and waits for the receipt. */
/** A subject erased through a completed erasure request, delivered to collections and not yet acknowledged. */
async function erasedAwaitingAcknowledgement(): Promise<string> {
  const crm = { actor: 'service:crm' };
  const { subjectId: id } = await vault.commands.registerSubject(crm);
  const items = [item('contact', 'email', `waiting.${id}@example.dk`, 'contract', 'contract')];
  await vault.execute(id, { type: 'RecordPersonalData', items }, crm);
  const request = await vault.rights.openRequest(
    id,
    { requestType: 'ERASURE', receivedAt: vault.now(), channel: 'email' },
    crm,
  );
  await gql('mutation($r: ID!) { verifyIdentity(requestId: $r, method: knownContact) { id } }', { r: request });
  await gql('mutation($r: ID!) { completeRequest(requestId: $r) { request { id } } }', { r: request });
  await eventually(
    () => vault.propagation!.list({ requestId: request }).some((n) => collections.delivered.has(n.due.notificationId)),
    20_000,
    () => 'erasure not delivered to collections',
  );
  return request;
}

async function acknowledgedByCollections(subjectId: string): Promise<void> {
  // The erasure's notification duty is written by the propagation process after the erasure returns, not with it.
  await eventually(
    () => vault.propagation!.list({ subjectId }).length > 0,
    20_000,
    () => 'no notification due',
  );
  const [notification] = vault.propagation!.list({ subjectId });
  await eventually(
    () => collections.delivered.has(notification!.due.notificationId),
    20_000,
    () => 'not delivered to collections',
  );
  expect(await acknowledge('collections', [notification!.due.notificationId])).toBe(200);
  await eventually(
    () => vault.propagation!.receipt({ subjectId }) !== undefined,
    20_000,
    () => 'no receipt',
  );
}

const row = (page: Page, id: string) => page.locator(`[data-testid=queue] tr[data-request="${id}"]`);
const queueIds = async (page: Page) =>
  page.locator('[data-testid=queue] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-request')));

describe.skipIf(missing !== undefined)('the erasure propagation in the DPO console, in Chromium', () => {
  it('the certificate names the recipients notified, as the vault notifies them', async () => {
    const { context, page, violations } = await openConsole('en-GB');
    const r = row(page, requestId);
    await r.getByRole('button', { name: 'Verify' }).click();
    await r.getByRole('button', { name: 'Complete' }).click();
    await page.getByRole('heading', { name: 'Erasure certificate' }).waitFor();
    await page.getByTestId('certificate-check').getByText('Signature valid').waitFor();
    await eventually(
      () => vault.propagation!.list({ requestId }).length > 0,
      20_000,
      () => 'no notification due',
    );
    const notified = vault.propagation!.list({ requestId });
    expect(notified.map((n) => n.due.recipient)).toEqual(['collections']);
    expect(await page.getByTestId('certificate-recipients').textContent()).toBe('collections (contact)');
    expect(await axeViolations(page)).toEqual([]);
    expect(await page.content()).not.toContain(EMAIL);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('a recipient late to acknowledge flags the request, and the late-propagation filter finds it', async () => {
    const notificationId = vault.propagation!.list({ requestId })[0]!.due.notificationId;
    await eventually(
      () => collections.delivered.has(notificationId),
      20_000,
      () => 'not delivered to collections',
    );
    const late = 'query { requests(propagationOverdue: true) { id } }';
    expect((await gql(late)).requests).toEqual([]);
    clock.skewMs = 4 * DAY_MS;
    expect((await gql(late)).requests).toEqual([{ id: requestId }]);

    const { context, page } = await openConsole('en-GB');
    await page.getByLabel('Status').selectOption('COMPLETED');
    await row(page, requestId).getByText('Propagation overdue').waitFor();
    await page.getByLabel('Propagation overdue only').check();
    await expect.poll(() => queueIds(page)).toEqual([requestId]);
    expect(await axeViolations(page)).toEqual([]);
    await row(page, requestId).getByRole('button', { name: 'Propagation receipt' }).click();
    await page.getByText(/^No receipt yet/).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it('on the last acknowledgement the receipt shows, its signature checked, and the request is not late', async () => {
    const notificationId = vault.propagation!.list({ requestId })[0]!.due.notificationId;
    expect(await acknowledge('collections', [notificationId])).toBe(200);
    await eventually(
      () => vault.propagation!.receipt({ requestId }) !== undefined,
      20_000,
      () => 'no receipt',
    );
    const { context, page, violations } = await openConsole('en-GB');
    await page.getByLabel('Status').selectOption('COMPLETED');
    const r = row(page, requestId);
    await r.waitFor();
    expect(await r.getByText('Propagation overdue').count()).toBe(0);
    await page.getByLabel('Propagation overdue only').check();
    await expect.poll(() => queueIds(page)).toEqual([]);
    await page.getByLabel('Propagation overdue only').uncheck();
    await r.getByRole('button', { name: 'Propagation receipt' }).click();
    await page.getByTestId('receipt-check').getByText('Signature valid').waitFor();

    const key = ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: PublicJwk[] }).keys[0]!;
    const [signed] = (await gql(RECEIPT, { r: requestId })).propagationReceipts;
    const receipt = verifyPropagationReceipt(signed, key);
    const section = page.locator('section[aria-labelledby=receipt]');
    expect(await section.locator('dd').allTextContents()).toEqual([subjectId, receipt.erasedAt, receipt.completedAt]);
    expect(await section.locator('tbody td').allTextContents()).toEqual(
      receipt.recipients.flatMap((x) => [
        x.recipient,
        x.categories.join(', '),
        x.deliveredAt ?? '—',
        x.acknowledgedAt,
        x.acknowledgedVia,
        x.notificationId,
      ]),
    );
    expect(receipt.recipients.map((x) => [x.recipient, x.acknowledgedVia])).toEqual([['collections', 'callback']]);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'console-receipt.png');
    expect(violations).toEqual([]);
    await context.close();
  });

  it('a receipt shown otherwise than it was signed, or with a broken signature, is not shown as valid', async () => {
    for (const [tamper, expected] of [
      ['shown', 'Signature valid, but for other data than shown here'],
      ['signature', 'Signature INVALID'],
    ] as const) {
      const { context, page } = await openConsole('en-GB');
      // The vault's answer altered on its way to the page: a later completion shown, or the signature's bytes.
      await page.route(`${server.url}/graphql`, async (route) => {
        if (!route.request().postData()?.includes('PropagationReceipts')) return route.continue();
        const response = await route.fetch();
        const body = (await response.json()) as { data: { propagationReceipts: Record<string, any>[] } };
        const [first] = body.data.propagationReceipts;
        if (tamper === 'shown') first!.receipt.completedAt = '2020-01-01T00:00:00.000Z';
        else
          first!.jws.signature = `${first!.jws.signature.startsWith('A') ? 'B' : 'A'}${first!.jws.signature.slice(1)}`;
        await route.fulfill({ response, json: body });
      });
      await page.getByLabel('Status').selectOption('COMPLETED');
      await row(page, requestId).getByRole('button', { name: 'Propagation receipt' }).click();
      await page.getByTestId('receipt-check').getByText(expected).waitFor();
      expect(await page.getByTestId('receipt-check').getByText('Signature valid', { exact: true }).count()).toBe(0);
      await context.close();
    }
  });

  it('a subject erased from its page shows its certificate, then its receipt once acknowledged', async () => {
    const crm = { actor: 'service:crm' };
    const { subjectId: second } = await vault.commands.registerSubject(crm);
    const items = [item('contact', 'email', SECOND_EMAIL, 'contract', 'contract')];
    await vault.execute(second, { type: 'RecordPersonalData', items }, crm);
    const { context, page, violations } = await openConsole('en-GB');
    await page.getByRole('button', { name: 'Subjects' }).click();
    await page.getByLabel('Value').fill(SECOND_EMAIL);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: `Open subject ${second}` }).click();
    await page.getByRole('button', { name: 'Erase this subject…' }).click();
    await page.getByRole('button', { name: 'Erase now' }).click();
    await page.getByTestId('certificate-check').getByText('Signature valid').waitFor();
    expect(await page.getByTestId('certificate-recipients').textContent()).toBe('collections (contact)');
    await page.getByRole('button', { name: 'Propagation receipt' }).click();
    await page.getByText(/^No receipt yet/).waitFor();

    await acknowledgedByCollections(second);
    await page.getByRole('button', { name: 'Propagation receipt' }).click();
    await page.getByTestId('receipt-check').getByText('Signature valid').waitFor();
    const recorded = vault.propagation!.receipt({ subjectId: second })!;
    const section = page.locator('section[aria-labelledby=receipt]');
    expect(await section.locator('dd').allTextContents()).toEqual([second, recorded.erasedAt, recorded.completedAt]);
    expect(await section.locator('tbody td').first().textContent()).toBe('collections');
    expect(await axeViolations(page)).toEqual([]);
    expect(page.url()).not.toContain(SECOND_EMAIL);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('a subject erased elsewhere, which no identifier finds, opens by its id and shows its receipt', async () => {
    const crm = { actor: 'service:crm' };
    const { subjectId: third } = await vault.commands.registerSubject(crm);
    const items = [item('contact', 'email', THIRD_EMAIL, 'contract', 'contract')];
    await vault.execute(third, { type: 'RecordPersonalData', items }, crm);
    await vault.erase(third, { actor: 'dpo:other-system', reason: 'subjectRequest' });
    await acknowledgedByCollections(third);
    const { context, page, violations } = await openConsole('en-GB');
    await page.getByRole('button', { name: 'Subjects' }).click();
    await page.getByLabel('Value').fill(THIRD_EMAIL);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByText('No subject matches.').waitFor();
    await page.getByLabel('By').selectOption('id');
    expect(await page.getByLabel('For the purpose').count()).toBe(0);
    await page.getByLabel('Value').fill('not-a-subject-id');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('alert').getByText('That is not a subject id (a UUID).').waitFor();
    await page.getByLabel('Value').fill(third.toUpperCase());
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('heading', { level: 2, name: `Subject ${third}` }).waitFor();
    await page.getByRole('button', { name: 'Propagation receipt' }).click();
    await page.getByTestId('receipt-check').getByText('Signature valid').waitFor();
    const section = page.locator('section[aria-labelledby=receipt]');
    expect((await section.locator('dd').allTextContents())[0]).toBe(third);
    expect(await axeViolations(page)).toEqual([]);
    expect(page.url()).not.toContain(third);
    expect(violations).toEqual([]);
    await context.close();
  });

  it("one case's field erased: the receipt view shows the field and case, and what waits, late or not", async () => {
    const crm = { actor: 'service:crm' };
    const { subjectId: fourth } = await vault.commands.registerSubject(crm);
    const items = [{ ...item('contact', 'phone', CASE_PHONE, 'contract', 'contract'), entry: 'C-9' }];
    await vault.execute(fourth, { type: 'RecordPersonalData', items }, crm);
    await gql(
      'mutation($id: ID!) { erasePersonalData(subjectId: $id, category: "contact", field: "phone", entry: "C-9", ' +
        'reason: subjectRequest) { revision } }',
      { id: fourth },
    );
    const erasures = () => vault.propagation!.list({ subjectId: fourth }).filter((n) => n.due.action === 'erasure');
    await eventually(
      () => erasures().some((n) => collections.delivered.has(n.due.notificationId)),
      20_000,
      () => 'field erasure not delivered to collections',
    );
    const { context, page, violations } = await openConsole('en-GB');
    const showReceipt = async () => {
      await page.getByRole('button', { name: 'Propagation receipt' }).click();
      await page.locator('section[aria-labelledby=receipt]').waitFor();
    };
    await page.getByRole('button', { name: 'Subjects' }).click();
    await page.getByLabel('By').selectOption('id');
    await page.getByLabel('Value').fill(fourth);
    await page.getByRole('button', { name: 'Find' }).click();
    await showReceipt();
    await page.getByText(/^No receipt yet/).waitFor();
    // Waiting for collections' callback: its field and case, delivered, not yet late.
    const waiting = page.getByTestId('awaiting').locator('tbody tr');
    await expect
      .poll(() => waiting.locator('td').allTextContents())
      .toEqual(['collections', 'contact', 'phone (case or record C-9)', 'delivered', expect.any(String)]);
    expect(await axeViolations(page)).toEqual([]);
    // Past the register's 3 days to acknowledge: the waiting notification is flagged as late propagation.
    clock.skewMs += 4 * DAY_MS;
    await showReceipt();
    await waiting.getByText('Propagation overdue').waitFor();
    expect(await axeViolations(page)).toEqual([]);

    const notificationId = erasures().find((n) => n.due.recipient === 'collections')!.due.notificationId;
    expect(await acknowledge('collections', [notificationId])).toBe(200);
    await eventually(
      () => vault.propagation!.receiptsOf({ subjectId: fourth }).length === 1,
      20_000,
      () => 'no receipt of the field erasure',
    );
    await showReceipt();
    await page.getByTestId('receipt-check').getByText('Signature valid').waitFor();
    const key = ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: PublicJwk[] }).keys[0]!;
    const [signed] = (await gql(FIELD_RECEIPTS, { s: fourth })).propagationReceipts;
    const receipt = verifyPropagationReceipt(signed, key);
    expect(receipt).toMatchObject({ subjectId: fourth, fields: ['phone'], entry: 'C-9' });
    const section = page.locator('section[aria-labelledby=receipt]');
    expect(await section.locator('dt').allTextContents()).toEqual([
      'Subject',
      'Fields erased',
      'Case or record',
      'Erased at',
      'Last acknowledgement',
    ]);
    expect(await section.locator('dd').allTextContents()).toEqual([
      fourth,
      'phone',
      'C-9',
      receipt.erasedAt,
      receipt.completedAt,
    ]);
    expect(await page.getByTestId('awaiting').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    expect(await page.content()).not.toContain(CASE_PHONE);
    expect(violations).toEqual([]);
    await context.close();
  });

  it.each([
    {
      lang: 'nb',
      locale: 'nb-NO',
      tabs: NB_TABS,
      late: 'Bare forsinket varsling av mottakere',
      awaiting: ['Venter på bekreftelse', 'Mottaker', 'Kategorier', 'Slettede felt', 'Status', 'Levert'],
      waiting: ['collections', 'contact', '—', 'levert'],
      overdue: 'Varsling forsinket',
    },
    {
      lang: 'da',
      locale: 'da-DK',
      tabs: DA_TABS,
      late: 'Kun forsinket underretning af modtagere',
      awaiting: ['Afventer bekræftelse', 'Modtager', 'Kategorier', 'Slettede felter', 'Status', 'Leveret'],
      waiting: ['collections', 'contact', '—', 'leveret'],
      overdue: 'Underretning forsinket',
    },
  ])('the console speaks $lang, chosen from the browser, and passes axe in every section', async (l) => {
    const waitingRequest = await erasedAwaitingAcknowledgement();
    const { context, page, violations } = await openConsole(l.locale);
    await page.getByRole('navigation').waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe(l.lang);
    for (const [tab, heading] of l.tabs) {
      await page.getByRole('navigation').getByRole('button', { name: tab, exact: true }).click();
      await page.getByRole('heading', { level: 2, name: heading, exact: true }).waitFor();
      expect(await axeViolations(page), tab).toEqual([]);
    }
    await page.getByRole('navigation').getByRole('button', { name: l.tabs[0]![0], exact: true }).click();
    await page.getByLabel('Status').selectOption('COMPLETED');
    await page.getByLabel(l.late).check();
    await expect.poll(() => queueIds(page)).toEqual([]);
    await page.getByLabel(l.late).uncheck();
    await row(page, requestId).getByRole('button', { name: RECEIPT_BUTTON[l.lang] }).click();
    await page.getByTestId('receipt-check').getByText('Signaturen er gyldig').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // A request whose erasure collections has not acknowledged: what waits, in the language, then flagged late.
    const awaiting = page.getByTestId('awaiting');
    const showWaiting = () => row(page, waitingRequest).getByRole('button', { name: RECEIPT_BUTTON[l.lang] }).click();
    await showWaiting();
    await expect.poll(() => awaiting.locator('tbody td').allTextContents()).toEqual([...l.waiting, expect.any(String)]);
    expect([
      await awaiting.locator('caption').textContent(),
      ...(await awaiting.locator('th').allTextContents()),
    ]).toEqual(l.awaiting);
    clock.skewMs += 4 * DAY_MS;
    await page.getByRole('navigation').getByRole('button', { name: l.tabs[0]![0], exact: true }).click();
    await page.getByLabel('Status').selectOption('COMPLETED');
    await showWaiting();
    await awaiting.getByText(l.overdue).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // Acknowledged, it is late no more: the next language's queue finds no late request again.
    const ids = vault.propagation!.list({ requestId: waitingRequest }).map((n) => n.due.notificationId);
    expect(await acknowledge('collections', ids)).toBe(200);
    await eventually(
      () => vault.propagation!.receipt({ requestId: waitingRequest }) !== undefined,
      20_000,
      () => 'no receipt',
    );
    const english = ['Requests', 'Due', 'Propagation receipt', 'Recipient', 'Acknowledged', 'Signature valid'];
    const text = (await page.locator('main').innerText()).split('\n');
    for (const word of english) expect(text, word).not.toContain(word);
    expect(violations).toEqual([]);
    await context.close();
  });
});
