import { type ChildProcessWithoutNullStreams, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { kekEnv } from './kekCustody.js';

/** The CLI's entry point from source, as the suites run it (`node --import tsx`). */
const CLI_MAIN = fileURLToPath(new URL('../../services/vault/src/cli/main.ts', import.meta.url));

/** Runs one `vault` command to its end (killed after 30 s, so a hang fails the test instead of stalling the suite). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
    env: kekEnv(env),
  });
}

/**
 * Starts `vault serve` as its own process with `env` and resolves once it says it listens (at
 * most 30 s), with the GraphQL URL it gave. `stderr` collects what it wrote there, for failure messages. Kill it
 * when done.
 */
export async function startServeProcess(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcessWithoutNullStreams; stderr: () => string; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'serve'], {
    env: kekEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vault serve did not start within 30 s: ${err}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        const listening = /vault listening at (\S+)/.exec(d.toString());
        if (listening) {
          clearTimeout(timer);
          resolve(listening[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`vault serve exited with ${code}: ${err}`));
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return { child, stderr: () => err, url };
}

/** Starts one `vault` command as its own process and returns at once (for tests that kill it mid-way). */
export function startCliProcess(args: string[], env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], {
    env: kekEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
