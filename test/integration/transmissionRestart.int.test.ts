import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { mintDevToken, type Principal, type VaultConfig } from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';

import { startServeProcess } from '../support/cliProcess.js';
import { gql, registerMovers } from '../support/gqlClient.js';
import { eventually } from './propagationReceivers.js';

/**
 * Art. 20(2) transmissions across a kill -9 of the vault (issue 24): a transmission whose receiver failed is retried
 * after a pause; a vault killed during that pause leaves it `retrying` in the log, and the vault started again goes on
 * with it, with the attempts the policy still allows, against a receiver that has recovered meanwhile.
 */

const SHIPPED = fileURLToPath(new URL('../../services/vault/register/default-register.yaml', import.meta.url));
const SUBJECTS = 5;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Received {
  subjectId: string;
  signature: string;
  keyUrl: string;
  body: Buffer;
  status: number;
}

/**
 * A receiving controller that answers 503 until `recover()`, then 202; `hang`: until then it takes each export and
 * never answers (the vault is killed with its first attempt at the receiver, unanswered).
 */
async function startFlakyReceiver(hang = false) {
  const received: Received[] = [];
  let recovered = false;
  const server = createServer((req: IncomingMessage, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const status = recovered ? 202 : hang ? 0 : 503;
      const { subjectId } = JSON.parse(body.toString('utf8')) as { subjectId: string };
      received.push({
        subjectId,
        signature: String(req.headers['vault-signature']),
        keyUrl: String(req.headers['vault-signing-key']),
        body,
        status,
      });
      if (status > 0) res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/imports`;
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  return { url, received, recover: () => (recovered = true), close };
}

const REPORT = 'query($id: ID!) { accessReport(subjectId: $id) { report } }';
const TRANSMIT =
  'mutation($id: ID!) { transmitPortabilityExport(subjectId: $id, receiver: "acme") { transmissionId delivered } }';

/** A vault on a data directory of its own whose register names `receiverUrl` as `acme`, and SUBJECTS subjects in it. */
async function setUp(receiverUrl: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pdv-transmission-restart-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const registerFile = join(dataDir, 'register.yaml');
  writeFileSync(
    registerFile,
    `${readFileSync(SHIPPED, 'utf8')}\nreceivingControllers:\n` +
      `  acme:\n    name: Acme Energy AS\n    endpoint: "${receiverUrl}"\n`,
  );
  const jwtSecret = Buffer.from(nacl.randomBytes(32)).toString('hex');
  const env = {
    ...process.env,
    VAULT_DATA_DIR: dataDir,
    VAULT_MASTER_KEY: Buffer.from(nacl.randomBytes(32)).toString('base64'),
    VAULT_REGISTER_FILE: registerFile,
    VAULT_JWT_SECRET: jwtSecret,
    VAULT_RETENTION_INTERVAL_MINUTES: '0',
    VAULT_LOG_LEVEL: 'silent',
    PORT: '0',
  };
  const token = (p: Principal) => mintDevToken({ dataDir, jwtSecret } as VaultConfig, p);
  const vault = await startServeProcess(env);
  cleanups.push(() => void vault.child.kill('SIGKILL'));
  const crm = await token({ role: 'service', name: 'crm', purposes: ['contract'] });
  const ids = await registerMovers(vault.url, crm, SUBJECTS);
  return { env, token, vault, ids };
}

/** Each subject asks for its export to be sent to `acme`, with its own token; resolves when the calls end. */
const askAll = (url: string, ids: string[], token: (p: Principal) => Promise<string>) =>
  ids.map(async (id) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await token({ role: 'subject', subjectId: id })}`,
      },
      body: JSON.stringify({ query: TRANSMIT, variables: { id } }),
    }).catch(() => undefined),
  );

describe('a transmission across a kill -9 of the vault', () => {
  it('goes on after the restart with the attempts left, and is delivered once the receiver recovers', async () => {
    const receiver = await startFlakyReceiver();
    cleanups.push(() => receiver.close());
    const { env, token, ids, ...started } = await setUp(receiver.url);
    let vault = started.vault;

    // Each subject asks for its export to be sent; the receiver is down (503), so each first attempt fails and
    // the vault pauses 2 s (the default policy) before the next. It is killed in that pause.
    const asked = askAll(vault.url, ids, token);
    await eventually(
      () => receiver.received.length >= SUBJECTS,
      30_000,
      () => `the receiver got ${receiver.received.length} first attempts`,
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    vault.child.kill('SIGKILL');
    await new Promise((resolve) => vault.child.once('exit', resolve));
    await Promise.all(asked);
    expect(receiver.received.map((r) => r.status)).toEqual(Array<number>(SUBJECTS).fill(503));

    receiver.recover();
    vault = await startServeProcess(env);
    cleanups.push(() => void vault.child.kill('SIGKILL'));
    await eventually(
      () => receiver.received.filter((r) => r.status === 202).length >= SUBJECTS,
      30_000,
      () => `the receiver took ${receiver.received.filter((r) => r.status === 202).length} exports`,
    );
    // Each subject's export once more, taken: its signature verifies under the vault's key set and its digest.
    const taken = receiver.received.filter((r) => r.status === 202);
    expect(new Set(taken.map((r) => r.subjectId))).toEqual(new Set(ids));
    for (const r of taken) {
      // The key set at the URL the export names, on the vault now running (PORT=0 leaves the configured URL's port 0).
      const keySet = new URL(new URL(r.keyUrl).pathname, new URL(vault.url).origin);
      const { keys } = (await (await fetch(keySet)).json()) as { keys: { x: string }[] };
      const [header, payload, signature] = r.signature.split('.') as [string, string, string];
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: keys[0]!.x }, format: 'jwk' });
      expect(verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
      const digest = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sha256: string };
      expect(digest.sha256).toBe(createHash('sha256').update(r.body).digest('hex'));
    }
    // The subject's record: one transmission each, delivered on its second attempt, the first before the kill.
    const dpo = await token({ role: 'dpo', name: 'dpo' });
    // The receiver answers before the vault records the attempt: give the last records a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const id of ids) {
      const doc = (await gql(vault.url, dpo, REPORT, { id })).accessReport.report as Record<string, any>;
      expect(doc.transmissions).toHaveLength(1);
      expect(doc.transmissions[0]).toMatchObject({
        receiver: 'acme',
        outcome: 'delivered',
        requestedBy: `subject:${id}`,
      });
      expect(doc.transmissions[0].attempts.map((a: { status: number }) => a.status)).toEqual([503, 202]);
    }
  }, 120_000);

  it('goes on with a transmission the vault was killed in before its first attempt was recorded', async () => {
    const receiver = await startFlakyReceiver(true);
    cleanups.push(() => receiver.close());
    const { env, token, ids, ...started } = await setUp(receiver.url);
    let vault = started.vault;
    // Each first attempt reaches the receiver, which keeps it unanswered: the vault is killed with none recorded.
    const asked = askAll(vault.url, ids, token);
    await eventually(
      () => receiver.received.length >= SUBJECTS,
      30_000,
      () => `the receiver got ${receiver.received.length} first attempts`,
    );
    vault.child.kill('SIGKILL');
    await new Promise((resolve) => vault.child.once('exit', resolve));
    await Promise.all(asked);
    const dpo = await token({ role: 'dpo', name: 'dpo' });

    receiver.recover();
    vault = await startServeProcess(env);
    cleanups.push(() => void vault.child.kill('SIGKILL'));
    // Recorded as asked for before the attempt, each transmission is found at start and sent once the dead vault's
    // claim on it (15 s) has expired.
    await eventually(
      () => receiver.received.filter((r) => r.status === 202).length >= SUBJECTS,
      60_000,
      () => `the receiver took ${receiver.received.filter((r) => r.status === 202).length} exports`,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const id of ids) {
      // The export twice: the attempt cut short, and the one made after the restart.
      expect(receiver.received.filter((r) => r.subjectId === id).map((r) => r.status)).toEqual([0, 202]);
      const doc = (await gql(vault.url, dpo, REPORT, { id })).accessReport.report as Record<string, any>;
      expect(doc.transmissions).toHaveLength(1);
      expect(doc.transmissions[0]).toMatchObject({ outcome: 'delivered', requestedBy: `subject:${id}` });
      expect(doc.transmissions[0].attempts.map((a: { status: number }) => a.status)).toEqual([202]);
    }
  }, 150_000);
});
