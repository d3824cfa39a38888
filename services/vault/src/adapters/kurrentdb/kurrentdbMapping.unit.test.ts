import { createServer, type Server, type Socket } from 'node:net';

import {
  AccessDeniedError,
  type AllStreamResolvedEvent,
  DeadlineExceededError,
  NotLeaderError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { afterEach, describe, expect, it } from 'vitest';

import { isVaultError } from '../../domain/errors.js';
import { ANY, NO_STREAM, STREAM_EXISTS } from '../../ports/EventLog.js';
import { getKurrentdbEventLog } from './kurrentdbEventLog.js';
import {
  allFilterPrefix,
  fromPosition,
  toEventData,
  toReadPosition,
  toRecorded,
  toServerEventId,
  toStreamState,
  toVaultError,
  withTimeout,
} from './mapping.js';

const wrongVersion = (expected: bigint | 'no_stream' | 'stream_exists', current: bigint | 'no_stream') =>
  new WrongExpectedVersionError(undefined, { streamName: 'subject-1', expected, current });

describe('KurrentDB mapping: expected revisions', () => {
  it('maps the sentinels to the client stream states and a number to a bigint', () => {
    expect(toStreamState(ANY)).toBe('any');
    expect(toStreamState(NO_STREAM)).toBe('no_stream');
    expect(toStreamState(STREAM_EXISTS)).toBe('stream_exists');
    expect(toStreamState(0)).toBe(0n);
    expect(toStreamState(41)).toBe(41n);
  });

  it('rejects a negative or fractional revision as bad input', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      const e = (() => {
        try {
          toStreamState(bad);
        } catch (err) {
          return err;
        }
      })();
      expect(isVaultError(e, 'BAD_USER_INPUT')).toBe(true);
    }
  });
});

describe('KurrentDB mapping: positions', () => {
  it('uses the commit position as the log position', () => {
    expect(fromPosition({ commit: 1234n, prepare: 1234n })).toBe(1234);
    expect(fromPosition(99n)).toBe(99);
  });

  it('refuses a commit position a JS number cannot hold exactly, instead of rounding it', () => {
    const big = BigInt(Number.MAX_SAFE_INTEGER) + 2n;
    expect(() => fromPosition({ commit: big, prepare: big })).toThrow(/safe integer/);
    expect(fromPosition(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('reads from the start for checkpoint 0 and from commit = prepare = checkpoint otherwise', () => {
    expect(toReadPosition(0)).toBe('start');
    expect(toReadPosition(5000)).toEqual({ commit: 5000n, prepare: 5000n });
    expect(() => toReadPosition(-1)).toThrow();
  });
});

describe('KurrentDB mapping: event ids and data', () => {
  it('keeps a UUID id and derives a stable version-5 UUID from any other id', () => {
    const uuid = '8B5C7F1A-1111-4222-8333-444455556666';
    expect(toServerEventId(uuid)).toBe(uuid.toLowerCase());
    const a = toServerEventId('evt-1');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(toServerEventId('evt-1')).toBe(a);
    expect(toServerEventId('evt-2')).not.toBe(a);
  });

  it('stores the vault id in the metadata and reads it back with the stream id outside the namespace', () => {
    const data = toEventData({
      id: 'evt-9',
      type: 'T',
      data: { x: [1, null] },
      metadata: { actor: 'a', at: '2024-01-01T00:00:00.000Z' },
    });
    expect(data).toMatchObject({
      id: toServerEventId('evt-9'),
      contentType: 'application/json',
      type: 'T',
      metadata: { actor: 'a', eventId: 'evt-9' },
    });
    const resolved = {
      event: {
        streamId: 'ns-subject-1',
        id: data.id,
        isJson: true,
        revision: 3n,
        type: 'T',
        created: new Date(),
        data: { x: [1, null] },
        metadata: data.metadata,
        position: { commit: 777n, prepare: 777n },
      },
    } as unknown as AllStreamResolvedEvent;
    expect(toRecorded({ namespace: 'ns-' }, resolved)).toEqual({
      id: 'evt-9',
      type: 'T',
      data: { x: [1, null] },
      metadata: { actor: 'a', at: '2024-01-01T00:00:00.000Z' },
      streamId: 'subject-1',
      revision: 3,
      position: 777,
    });
    expect(toRecorded({ namespace: 'other-' }, resolved)).toBeUndefined();
    expect(toRecorded({ namespace: '' }, {})).toBeUndefined();
  });

  it('filters $all to the vault prefix inside the namespace, never to system streams or everything', () => {
    expect(allFilterPrefix({ namespace: '' }, 'subject-')).toBe('subject-');
    expect(allFilterPrefix({ namespace: 'run42-' }, '')).toBe('run42-');
    expect(() => allFilterPrefix({ namespace: '' }, '')).toThrow(/non-empty/);
    expect(() => allFilterPrefix({ namespace: '$' }, 'x')).toThrow();
  });
});

describe('KurrentDB mapping: errors', () => {
  it('turns a wrong expected version into CONFLICT with the revisions', () => {
    const e = toVaultError(wrongVersion(2n, 4n), { streamId: 'subject-1', expected: 2 });
    expect(isVaultError(e, 'CONFLICT')).toBe(true);
    expect(e.details).toMatchObject({ streamId: 'subject-1', currentRevision: 4, expectedRevision: 2 });
    expect(isVaultError(toVaultError(wrongVersion('no_stream', 0n), { expected: NO_STREAM }), 'CONFLICT')).toBe(true);
  });

  it('turns a wrong expected version under ANY (ids matching an earlier append in part) into DUPLICATE_EVENT', () => {
    expect(isVaultError(toVaultError(wrongVersion(0n, 0n), { expected: ANY }), 'DUPLICATE_EVENT')).toBe(true);
  });

  it('turns unavailable, deadline, not-leader and access-denied into STORE_UNAVAILABLE', () => {
    const notLeader = new NotLeaderError({
      metadata: { 'leader-endpoint-host': 'node2', 'leader-endpoint-port': '2113' },
    } as never);
    for (const err of [new UnavailableError(), new DeadlineExceededError(), new AccessDeniedError(), notLeader]) {
      const e = toVaultError(err);
      expect(isVaultError(e, 'STORE_UNAVAILABLE'), String(err)).toBe(true);
      expect(e.cause).toBe(err);
    }
  });

  it('matches on the type string, so an error from another copy of the client maps the same way', () => {
    const foreign = { type: 'wrong-expected-version', actualState: 7n, message: 'from another copy' };
    expect(isVaultError(toVaultError(foreign, { expected: 6 }), 'CONFLICT')).toBe(true);
    expect(isVaultError(toVaultError({ code: 14, message: 'grpc unavailable' }), 'STORE_UNAVAILABLE')).toBe(true);
    expect(isVaultError(toVaultError(new Error('anything else')), 'STORE_UNAVAILABLE')).toBe(true);
  });

  it('leaves a VaultError as it is', () => {
    const original = toVaultError(new UnavailableError());
    expect(toVaultError(original)).toBe(original);
  });
});

describe('KurrentDB mapping: our own timeout', () => {
  it('rejects with STORE_UNAVAILABLE and cancels when the work never settles', async () => {
    let cancelled = false;
    const never = new Promise<never>(() => {});
    await expect(withTimeout(never, 20, 'a test call', () => (cancelled = true))).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    expect(cancelled).toBe(true);
  });

  it('passes the result or the error through when the work settles in time', async () => {
    await expect(withTimeout(Promise.resolve(3), 1000, 'x')).resolves.toBe(3);
    await expect(withTimeout(Promise.reject(new Error('boom')), 1000, 'x')).rejects.toThrow('boom');
  });
});

describe('KurrentDB event log without a server', () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('fails a call with STORE_UNAVAILABLE within its deadline when the port accepts and never answers', async () => {
    server = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const log = getKurrentdbEventLog({ connectionString: `kurrentdb://127.0.0.1:${port}?tls=false`, deadlineMs: 300 });
    const started = Date.now();
    const error = await log.readStream('subject-x').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isVaultError(error, 'STORE_UNAVAILABLE'), String(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    await log.close();
  }, 10_000);

  it('fails fast with STORE_UNAVAILABLE on a closed port', async () => {
    server = createServer();
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const log = getKurrentdbEventLog({ connectionString: `kurrentdb://127.0.0.1:${port}?tls=false`, deadlineMs: 500 });
    const error = await log
      .append('subject-x', [{ id: 'e1', type: 'T', data: {}, metadata: { actor: 'a', at: 't' } }], NO_STREAM)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isVaultError(error, 'STORE_UNAVAILABLE'), String(error)).toBe(true);
    await log.close();
  }, 10_000);
});
