import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

import { fixtureRegister } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startServeProcess } from '../support/cliProcess.js';
import { kekEnv } from '../support/kekCustody.js';
import { tempVault } from '../support/tempVault.js';

/**
 * Issue 28: `vault status` against a real data directory: an overdue request, one due within the
 * week, a sweep that ran, the key epoch; plain text when not on a terminal, JSON on request, exit
 * code 2 when a promise is being broken, and the queues read from a running `vault serve`.
 */

/**
 * `vault <args>` from source, as runCli but allowed 90 s: a cold start of the CLI under tsx took
 * over 30 s on a loaded 2-core machine.
 */
const runCli = (args: string[], e: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], {
    encoding: 'utf8',
    timeout: 90_000,
    killSignal: 'SIGKILL',
    env: kekEnv(e),
  });

/** The environment without what overrides a terminal's own colour support. */
// Node's colour depth also reads CI (a CI runner without a known vendor gets no colours) and TMUX.
const withoutColourSettings = ({
  NO_COLOR: _n,
  FORCE_COLOR: _f,
  NODE_DISABLE_COLORS: _d,
  CI: _c,
  TMUX: _t,
  ...rest
}: NodeJS.ProcessEnv) => rest;
const CLI_MAIN = fileURLToPath(new URL('../../services/vault/src/cli/main.ts', import.meta.url));
const DAY = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
let dir: string;
let env: NodeJS.ProcessEnv;
let subjectId: string;
let cleanup: () => Promise<void>;

/** One line of the plain report: its level word, its label, then `rest`. */
const line = (level: string, label: string, rest: RegExp) =>
  new RegExp(`^${level.padEnd(4)} ${label.padEnd(10)} ${rest.source}$`, 'm');

beforeAll(async () => {
  const t = await tempVault({ register: fixtureRegister() });
  cleanup = t.cleanup;
  dir = t.config.dataDir;
  const { vault } = t;
  subjectId = (await vault.commands.registerSubject({ actor: 'service:crm' })).subjectId;
  const actor = { actor: 'dpo:dpo-1' };
  await vault.rights.openRequest(
    subjectId,
    { requestType: 'ACCESS', receivedAt: iso(Date.now() - 40 * DAY), channel: 'email' },
    actor,
  );
  await vault.rights.openRequest(
    subjectId,
    { requestType: 'ERASURE', receivedAt: iso(Date.now() - 26 * DAY), channel: 'email' },
    actor,
  );
  await vault.sweepRetention();
  await vault.close();
  env = { ...process.env, VAULT_DATA_DIR: dir, VAULT_MASTER_KEY: t.config.masterKey, VAULT_LOG_LEVEL: 'warn' };
});
afterAll(async () => cleanup?.());

// Each case runs the CLI from source (tens of seconds on a loaded machine): none may hit the default 60 s.
describe('vault status', { timeout: 150_000 }, () => {
  it('prints each fact plainly off a terminal and exits 2 while a request is overdue', () => {
    const r = runCli(['status', '--metrics-url', 'http://127.0.0.1:9/metrics'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(2);
    const out = r.stdout;
    expect(out).not.toContain('\u001b[');
    expect(out).toMatch(/^vault status at \d{4}-\d\d-\d\dT/);
    expect(out).toMatch(line('ok', 'projection', /caught up \(log position \d+\)/));
    expect(out).toMatch(
      line(
        'FAIL',
        'requests',
        /2 open \(ACCESS 1, ERASURE 1\), 1 overdue \(ACCESS 1\), 1 due within 7 days \(ERASURE 1\)/,
      ),
    );
    expect(out).toMatch(
      line('ok', 'retention', /0 due now; last sweep \S+ \(\d+ (s|min) .*ago\): 0 examined, 0 shredded/),
    );
    expect(out).toMatch(line('ok', 'key epoch', /1, \d+ .*old, ends in 23 h \d+ min \(\S+\)/));
    expect(out).toMatch(
      line('warn', 'queues', /not read: no vault serve answered at http:\/\/127\.0\.0\.1:9\/metrics/),
    );
    expect(out).not.toContain(subjectId);
  });

  it('colours its marks on a terminal (a pseudo-terminal from util-linux script)', (ctx) => {
    if (spawnSync('script', ['--version'], { encoding: 'utf8' }).status !== 0) {
      return ctx.skip('no util-linux script here to give the command a terminal');
    }
    const command = [
      process.execPath,
      '--import',
      'tsx',
      CLI_MAIN,
      'status',
      '--metrics-url',
      'http://127.0.0.1:9/metrics',
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      timeout: 90_000,
      killSignal: 'SIGKILL',
      env: kekEnv({ ...withoutColourSettings(env), TERM: 'xterm-256color' }),
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('\u001b[31m●\u001b[0m \u001b[1mrequests  \u001b[0m \u001b[31m2 open');
    expect(r.stdout).toContain('\u001b[32m●\u001b[0m \u001b[1mprojection\u001b[0m caught up');
  });

  it('gives the same facts as JSON', () => {
    const r = runCli(['status', '--json', '--metrics-url', 'http://127.0.0.1:9/metrics'], env);
    expect(r.status).toBe(2);
    const json = JSON.parse(r.stdout) as {
      worst: string;
      facts: { deadlines: Record<string, { open: number; overdue: number; dueWithin7d: number }>; epochsAlive: number };
    };
    expect(json.worst).toBe('bad');
    expect(json.facts.deadlines.ACCESS).toEqual({ open: 1, overdue: 1, dueWithin7d: 0 });
    expect(json.facts.deadlines.ERASURE).toEqual({ open: 1, overdue: 0, dueWithin7d: 1 });
    expect(json.facts.epochsAlive).toBe(1);
  });

  it('reads the queues from the metrics port of a running vault serve', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => resolve(p));
      });
    });
    const serveEnv = { ...env, PORT: '0', VAULT_METRICS_PORT: String(port) };
    const serve = await startServeProcess(serveEnv);
    try {
      const r = runCli(['status'], serveEnv);
      expect(r.stdout).toMatch(line('ok', 'queues', /.*accessLogBuffer 0.*/));
      expect(r.stdout).toMatch(/eventLogWriter 0/);
    } finally {
      serve.child.kill('SIGTERM');
      await new Promise((resolve) => serve.child.once('exit', resolve));
    }
  });

  it('says so where there is no vault', () => {
    const r = runCli(['status'], { ...env, VAULT_DATA_DIR: `${dir}-missing` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('CONFIG_INVALID: There is no vault in');
  });
});
