import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { mintDevToken, openVault, type Vault, type VaultConfig } from '@pdv/vault';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../support/cliProcess.js';
import { keepLocalKek } from '../support/kekCustody.js';
import { dataItem } from '../support/tempVault.js';

// This file tests the master key's file: its vaults keep their KEKs under it whatever TEST_KEK_PROVIDER says.
keepLocalKek();

/**
 * Issue 21: under the usual umask 022 the vault's files came out 0644 and its data directory
 * 0755. Every file it creates must be 0600 and every directory 0700 whatever the umask, and a
 * loose one found at start is a warning, or a refusal with VAULT_STRICT_PERMISSIONS.
 */

const CLI_MAIN = fileURLToPath(new URL('../../services/vault/src/cli/main.ts', import.meta.url));
const actor = { actor: 'test' };
const contact = (field: string, value: unknown) => dataItem('contact', field, value, 'contract', 'contract');

/** Every entry at or under `root` with its permission bits, symbolic links included (by their own type). */
function modesUnder(root: string): { path: string; mode: string; kind: 'file' | 'directory' | 'other' }[] {
  const out: ReturnType<typeof modesUnder> = [];
  const visit = (path: string): void => {
    const st = lstatSync(path);
    const kind = st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
    out.push({ path: path.slice(root.length) || '.', mode: (st.mode & 0o777).toString(8).padStart(4, '0'), kind });
    if (kind === 'directory') for (const name of readdirSync(path).sort()) visit(join(path, name));
  };
  visit(root);
  return out;
}

/** What each entry should be: 0700 directories and 0600 regular files, nothing else. */
const privately = (entries: ReturnType<typeof modesUnder>) =>
  entries.map((e) => ({
    ...e,
    mode: e.kind === 'directory' ? '0700' : '0600',
    kind: e.kind === 'other' ? 'file' : e.kind,
  }));

const roots: string[] = [];
const newRoot = () => {
  const root = mkdtempSync(join(tmpdir(), 'pdv-modes-'));
  roots.push(root);
  return root;
};
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe('files the vault creates, under umask 022', () => {
  let previousUmask: number;
  beforeAll(() => {
    // The test worker is a child process of its own (vitest's forks pool): its umask is the vault's here.
    previousUmask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(previousUmask);
  });

  it('are 0600, and the data directory 0700, after every kind of write', async () => {
    // Not created beforehand: the vault makes the directory (and the parent it lacks).
    const dataDir = join(newRoot(), 'parent', 'data');
    // No master key: the embedded default generates master.key (development mode).
    const config: VaultConfig = { dataDir, synchronous: 'FULL', port: 0, logLevel: 'silent' };
    const warnings: string[] = [];
    const vault: Vault = await openVault(config, { warn: (m) => warnings.push(m) });
    try {
      const subjects: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { subjectId } = await vault.commands.registerSubject(actor);
        await vault.execute(
          subjectId,
          {
            type: 'RecordPersonalData',
            items: [contact('name', `Person ${i}`), contact('email', `p${i}@example.com`)],
          },
          actor,
        );
        subjects.push(subjectId);
      }
      await vault.execute(
        subjects[0]!,
        { type: 'RectifyPersonalData', items: [contact('email', 'new@example.com')] },
        actor,
      );
      await vault.execute(
        subjects[1]!,
        { type: 'ErasePersonalData', category: 'contact', field: 'email', reason: 'subjectRequest', remaining: {} },
        actor,
      );
      await vault.erase(subjects[2]!, { actor: 'dpo:test', reason: 'subjectRequest' });
      await vault.reader.read(subjects, { purpose: 'contract', callerPurposes: 'all' });
      await vault.rotateEpoch();
      await mintDevToken(config, { role: 'dpo', name: 'alice' });

      // Listed while the vault is open, so the -wal and -shm files are there too.
      const entries = modesUnder(dataDir);
      const names = entries.map((e) => e.path);
      for (const expected of [
        '/events.db',
        '/events.db-wal',
        '/events.db-shm',
        '/keys.db',
        '/keys.db-wal',
        '/keys.db-slots',
        '/views.db',
        '/views.db-wal',
        '/access.db',
        '/kek.slots',
        '/master.key',
        '/jwt-dev.secret',
      ]) {
        expect(names, `${expected} exists, so its mode is checked`).toContain(expected);
      }
      expect(entries).toEqual(privately(entries));
      expect(lstatSync(join(dataDir, '..')).mode & 0o777, 'the parent the vault created').toBe(0o700);
      expect(warnings.filter((w) => w.includes('open to group or others'))).toEqual([]);
    } finally {
      await vault.close();
    }
  });

  it('are 0600 when vault serve runs in a shell with umask 022 and answers a write', async () => {
    const dataDir = join(newRoot(), 'data');
    const env = {
      ...process.env,
      VAULT_DATA_DIR: dataDir,
      PORT: '0',
      VAULT_RETENTION_INTERVAL_MINUTES: '0',
      VAULT_LOG_LEVEL: 'warn',
      VAULT_KEY_EPOCH: '1d',
    };
    const server = await serveUnderUmask022(env);
    try {
      const token = await mintDevToken(
        { dataDir, synchronous: 'FULL', port: 0, logLevel: 'silent' },
        { role: 'service', name: 'billing', purposes: ['contract'] },
      );
      const gql = async (query: string, variables: Record<string, unknown> = {}) => {
        const res = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables }),
        });
        return (await res.json()) as { data?: Record<string, { subjectId: string }>; errors?: unknown[] };
      };
      const registered = await gql('mutation { registerSubject { subjectId } }');
      expect(registered.errors).toBeUndefined();
      const subjectId = registered.data!.registerSubject!.subjectId;
      const recorded = await gql(
        'mutation ($s: ID!, $items: [PersonalDataInput!]!) { recordPersonalData(subjectId: $s, items: $items) { ' +
          'subjectId } }',
        { s: subjectId, items: [contact('name', 'Ada')] },
      );
      expect(recorded.errors).toBeUndefined();

      const entries = modesUnder(dataDir);
      expect(entries.map((e) => e.path)).toEqual(
        expect.arrayContaining(['/events.db-wal', '/master.key', '/jwt-dev.secret', `/serving.${server.child.pid}`]),
      );
      expect(entries).toEqual(privately(entries));
    } finally {
      await server.stop();
    }
  });
});

describe('the start check of the data directory', () => {
  const vaults: Vault[] = [];
  afterEach(async () => {
    for (const v of vaults.splice(0)) await v.close();
  });

  /** A closed vault's data directory with every file written once. */
  async function existingVault(): Promise<VaultConfig> {
    const config: VaultConfig = { dataDir: join(newRoot(), 'data'), synchronous: 'FULL', port: 0, logLevel: 'silent' };
    const vault = await openVault(config, { warn: () => {} });
    const { subjectId } = await vault.commands.registerSubject(actor);
    await vault.execute(subjectId, { type: 'RecordPersonalData', items: [contact('name', 'Ada')] }, actor);
    await vault.close();
    return config;
  }

  const open = async (config: VaultConfig) => {
    const warnings: string[] = [];
    const vault = await openVault(config, { warn: (m) => warnings.push(m) });
    vaults.push(vault);
    return warnings.filter((w) => w.includes('open to group or others'));
  };

  it('warns about a loosened file and a loosened directory, naming each path and mode and nothing else', async () => {
    const config = await existingVault();
    expect(await open(config)).toEqual([]);
    await vaults.pop()!.close();

    chmodSync(join(config.dataDir, 'keys.db'), 0o644);
    chmodSync(config.dataDir, 0o750);
    const warnings = await open(config);
    expect(warnings).toEqual([
      expect.stringContaining(`${config.dataDir} (directory, mode 0750)`),
      expect.stringContaining(`${join(config.dataDir, 'keys.db')} (file, mode 0644)`),
    ]);
    // A file SQLite makes next to a loosened database takes the database's mode; the warning names the one to fix.
    for (const w of warnings) expect(w).not.toMatch(/Ada|example\.com/);
  });

  it('refuses to start with VAULT_STRICT_PERMISSIONS, naming path and mode, before opening anything', async () => {
    const config = await existingVault();
    chmodSync(join(config.dataDir, 'events.db'), 0o664);
    const before = modesUnder(config.dataDir);
    const refused = await openVault({ ...config, strictPermissions: true }, { warn: () => {} }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(`${join(config.dataDir, 'events.db')} (file, mode 0664)`),
    });
    expect(modesUnder(config.dataDir), 'no file was created or changed').toEqual(before);

    // The same through the CLI, from the environment variable.
    const run = runCli(['serve'], {
      ...process.env,
      VAULT_DATA_DIR: config.dataDir,
      PORT: '0',
      VAULT_STRICT_PERMISSIONS: 'true',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `vault: CONFIG_INVALID: VAULT_STRICT_PERMISSIONS: ${join(config.dataDir, 'events.db')} (file, mode 0664)`,
    );

    chmodSync(join(config.dataDir, 'events.db'), 0o600);
    expect(await open({ ...config, strictPermissions: true })).toEqual([]);
  });
});

/** `vault serve` started through `sh` after `umask 022`, as a service manager or a shell would start it. */
async function serveUnderUmask022(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; stop(): Promise<void> }> {
  const child = spawn(
    'sh',
    ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, '--import', 'tsx', CLI_MAIN, 'serve'],
    { env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vault serve did not start within 30 s: ${err}`)), 30_000);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /vault listening at (http:\/\/\S+)\/graphql/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vault serve exited with ${code}: ${err}`));
    });
  }).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw e;
  });
  return {
    child,
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
