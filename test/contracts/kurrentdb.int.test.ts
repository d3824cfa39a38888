import { randomBytes } from 'node:crypto';

import { type EventLog, getKurrentdbEventLog } from '@pdv/vault';
import { afterAll, beforeAll, describe, it } from 'vitest';

import { eventLogContract } from './eventLog.contract.js';

/**
 * The EventLog contract against a real KurrentDB / EventStoreDB server, from (in this order)
 * `KURRENTDB_CONNECTION_STRING`, or a container started through testcontainers when a container
 * runtime exists (image from `KURRENTDB_IMAGE`). Neither: the suite is skipped, with the reason
 * in its name. Every probe has its own timeout, so nothing here can hang.
 */
const IMAGE = process.env.KURRENTDB_IMAGE ?? 'docker.kurrent.io/kurrent-latest/kurrentdb:25.1';
const PROBE_MS = 5000;

type Source = { kind: 'url'; url: string } | { kind: 'container' } | { kind: 'none'; reason: string };

async function probeUrl(url: string): Promise<string | undefined> {
  const log = getKurrentdbEventLog({
    connectionString: url,
    namespace: `probe-${randomBytes(4).toString('hex')}-`,
    streamPrefix: '',
    deadlineMs: PROBE_MS,
  });
  try {
    await log.headPosition();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await log.close();
  }
}

async function findSource(): Promise<Source> {
  const url = process.env.KURRENTDB_CONNECTION_STRING;
  if (url) {
    const failure = await probeUrl(url);
    return failure
      ? { kind: 'none', reason: `KURRENTDB_CONNECTION_STRING is set but the server did not answer: ${failure}` }
      : { kind: 'url', url };
  }
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    // A runtime socket that accepts and never answers would otherwise stall loading this file.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(
          () => reject(new Error(`the container runtime did not answer within ${PROBE_MS} ms`)),
          PROBE_MS,
        )),
    );
    try {
      await Promise.race([getContainerRuntimeClient(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return { kind: 'container' };
  } catch (e) {
    return {
      kind: 'none',
      reason:
        `no KurrentDB server: set KURRENTDB_CONNECTION_STRING (no container runtime either: ` +
        `${(e as Error).message})`,
    };
  }
}

const source = await findSource();

if (source.kind === 'none') {
  describe.skip(`KurrentDB contract (skipped: ${source.reason})`, () => {
    it('runs the EventLog contract against a KurrentDB server', () => {});
  });
} else {
  const where = source.kind === 'url' ? 'KURRENTDB_CONNECTION_STRING' : `container ${IMAGE}`;
  describe(`KurrentDB contract (${where})`, () => {
    let url = source.kind === 'url' ? source.url : '';
    let stopContainer: (() => Promise<unknown>) | undefined;

    beforeAll(async () => {
      if (source.kind !== 'container') return;
      const { GenericContainer, Wait } = await import('testcontainers');
      const container = await new GenericContainer(IMAGE)
        .withEnvironment({
          KURRENTDB_INSECURE: 'true',
          KURRENTDB_MEM_DB: 'true',
          KURRENTDB_RUN_PROJECTIONS: 'None',
          KURRENTDB_CLUSTER_SIZE: '1',
        })
        .withExposedPorts(2113)
        .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
        .withStartupTimeout(120_000)
        .start();
      stopContainer = () => container.stop();
      url = `kurrentdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
    }, 180_000);

    afterAll(async () => {
      await stopContainer?.();
    });

    // A namespace per test: each sees an empty log of its own on the shared server.
    eventLogContract('KurrentDB', async () => {
      const namespace = `c${randomBytes(6).toString('hex')}-`;
      const log: EventLog = getKurrentdbEventLog({
        connectionString: url,
        namespace,
        streamPrefix: '',
        deadlineMs: 10_000,
      });
      const processEnv = { EVENT_LOG: 'kurrentdb', KURRENTDB_URL: url, KURRENTDB_NAMESPACE: namespace };
      return { log, cleanup: () => log.close(), processEnv };
    });
  });
}
