import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `<name>.worker` beside `base` (the caller's `import.meta.url`), as
 * compiled JavaScript or, when the caller runs from its TypeScript source (tests), as source
 * through tsx. The worker gets a copy of the environment without the secrets the main thread drops
 * once read, and does not keep the process alive (`unref`): its owner refs it while it has work.
 */
export function startWorker(base: string, name: string, workerData: unknown): Worker {
  const fromSource = base.endsWith('.ts');
  const url = new URL(`./${name}.worker.${fromSource ? 'ts' : 'js'}`, base);
  const { VAULT_MASTER_KEY: _m, VAULT_PKCS11_PIN: _p, ...env } = process.env;
  const worker = fromSource
    ? // Node 20 does not apply an --import loader to a worker's entry module: register tsx first, then load it.
      new Worker(
        `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`,
        { eval: true, workerData, env },
      )
    : new Worker(url, { workerData, env });
  worker.unref();
  return worker;
}
