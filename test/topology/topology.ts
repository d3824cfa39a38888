import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { kekEnv } from '../support/kekCustody.js';

/**
 * The production topology as processes on this machine: `vault serve` replicas on PostgreSQL
 * alone, nginx in front with the configuration `infra/nginx/nginx.conf` ships (only its addresses
 * and file paths changed), and a TCP relay between the replicas and PostgreSQL that a test can cut
 * to take the database away from them (the server itself is shared with other suites and stays up).
 */

export const NGINX_BINARY = '/usr/sbin/nginx';
const CLI_MAIN = fileURLToPath(new URL('../../services/vault/src/cli/main.ts', import.meta.url));
const INFRA_CONF = fileURLToPath(new URL('../../infra/nginx/nginx.conf', import.meta.url));

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

/** Replaces `from` in `text`, failing when it is not there: a changed infra file must fail the suite, not pass it. */
function replaceOnce(text: string, from: RegExp, to: string): string {
  if (!from.test(text)) throw new Error(`infra/nginx/nginx.conf no longer matches ${String(from)}`);
  return text.replace(from, to);
}

/**
 * `infra/nginx/nginx.conf` for this machine: the same upstream (least_conn, passive health,
 * keepalive), proxy settings and retries, with the replicas at `upstreams`, listening on
 * 127.0.0.1:`port`, in the foreground, its files under `prefix`.
 */
export function nginxConfig(prefix: string, port: number, upstreams: number[]): string {
  let conf = readFileSync(INFRA_CONF, 'utf8');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  conf = replaceOnce(
    conf,
    /^worker_processes auto;$/m,
    [
      'worker_processes 1;',
      'daemon off;',
      // As root the workers would switch to the package's user, who cannot enter a private temp dir.
      ...(root ? ['user root;'] : []),
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/error.log warn;`,
    ].join('\n'),
  );
  conf = replaceOnce(conf, /access_log \/dev\/stdout vault;/, `access_log ${prefix}/access.log vault;`);
  const servers = /(\n\s*server vault\d+:4000 (max_fails=\S+ fail_timeout=\S+);)+/;
  const params = servers.exec(conf)?.[2] ?? '';
  conf = replaceOnce(conf, servers, upstreams.map((p) => `\n    server 127.0.0.1:${p} ${params};`).join(''));
  conf = replaceOnce(conf, /listen 8080;/, `listen 127.0.0.1:${port};`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${prefix}/${t};`);
  conf = replaceOnce(conf, /^http \{$/m, ['http {', ...temp].join('\n'));
  return conf;
}

/** Resolves once something accepts connections on `port` (at most `timeoutMs`). */
async function accepting(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing accepted connections on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Nginx {
  url: string;
  /** The upstream address of each request in the access log, in order. */
  upstreamsServed(): string[];
  stop(): Promise<void>;
}

/** Starts nginx in the foreground with `nginxConfig`; rejects if it does not accept connections within 10 s. */
export async function startNginx(prefix: string, upstreams: number[]): Promise<Nginx> {
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, d), { recursive: true });
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig(prefix, port, upstreams));
  const child = spawn(NGINX_BINARY, ['-p', prefix, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`nginx exited with ${code}: ${stderr}`))),
  );
  exited.catch(() => {});
  try {
    await Promise.race([accepting(port, 10_000), exited]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    upstreamsServed: () => {
      const log = join(prefix, 'access.log');
      if (!existsSync(log)) return [];
      return readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ').at(-1)!);
    },
    stop: () => stopChild(child, 'SIGQUIT'),
  };
}

/** Sends `signal`, then SIGKILL after 5 s; resolves once the process has gone. */
function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill(signal);
  });
}

/**
 * A TCP relay to PostgreSQL. `cut(ms)` drops every relayed connection and refuses new ones for
 * `ms`, as a database that went away and came back would look to its clients.
 */
export class PostgresRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  async cut(ms: number): Promise<void> {
    const server = this.server!;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    await new Promise((r) => setTimeout(r, ms));
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** One `vault serve` replica: its port stays the same across a kill and a restart. */
export class Replica {
  private child: ChildProcess | undefined;
  private errors = () => '';

  constructor(
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Starts `vault serve` from source and resolves once it listens. Up to two minutes: tsx
   * compiles the service on every start, which takes long on a loaded machine.
   */
  async start(): Promise<void> {
    const env = kekEnv({ ...this.env, PORT: String(this.port), HOST: '127.0.0.1' });
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'serve'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    this.child = child;
    this.errors = () => err;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vault serve did not start within 120 s: ${err}`)), 120_000);
      // Read to the end, always: a pipe left full would block the replica's writes to stdout.
      child.stdout.on('data', (d: Buffer) => {
        if (!d.toString().includes('vault listening at')) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`vault serve exited with ${code}: ${err}`));
      });
    }).catch((e: unknown) => {
      child.kill('SIGKILL');
      throw e;
    });
  }

  /** SIGKILL: no shutdown of any kind. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Whether the process is running, and the last of what it wrote to stderr: for failure messages. */
  describe(): string {
    const c = this.child;
    const state = !c
      ? 'never started'
      : c.exitCode !== null || c.signalCode !== null
        ? `exited (${c.exitCode ?? c.signalCode})`
        : 'running';
    return `replica on ${this.port}, ${state}: ${this.errors().slice(-2000)}`;
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 'SIGTERM');
  }
}
