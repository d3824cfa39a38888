import { describe, expect, it } from 'vitest';

import { Propagation } from '../propagation/Propagation.js';
import { fixtureRegister } from '../testing/fixtureRegister.js';
import { propagationSettings } from './propagationSettings.js';

const refusal = (env: Record<string, string>) => {
  try {
    propagationSettings(env);
  } catch (e) {
    return e as { code: string; message: string };
  }
  return undefined;
};

describe('propagation settings', () => {
  it('takes each default when unset, and the lease on a notification from VAULT_NOTIFY_LEASE_MS', () => {
    expect(propagationSettings({})).toEqual({});
    expect(propagationSettings({ VAULT_NOTIFY_LEASE_MS: '15000' })).toEqual({ leaseMs: 15_000 });
    expect(propagationSettings({ VAULT_NOTIFY_TIMEOUT_MS: '2000', VAULT_NOTIFY_LEASE_MS: '3000' })).toEqual({
      timeoutMs: 2000,
      leaseMs: 3000,
    });
  });

  it('refuses a lease no longer than one attempt, or not a positive integer, naming the variable', () => {
    expect(refusal({ VAULT_NOTIFY_LEASE_MS: '10000' })).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('VAULT_NOTIFY_LEASE_MS'),
    });
    expect(refusal({ VAULT_NOTIFY_TIMEOUT_MS: '5000', VAULT_NOTIFY_LEASE_MS: '4000' })).toMatchObject({
      code: 'CONFIG_INVALID',
    });
    for (const bad of ['0', '-1', '1.5', 'soon'])
      expect(refusal({ VAULT_NOTIFY_LEASE_MS: bad })).toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('takes a replica id from VAULT_REPLICA_ID and refuses one that is not a name, saying what would be', () => {
    expect(propagationSettings({ VAULT_REPLICA_ID: 'vault-2' })).toEqual({ replicaId: 'vault-2' });
    expect(propagationSettings({ VAULT_REPLICA_ID: '' })).toEqual({});
    for (const bad of ['vault/2', '-vault', 'x'.repeat(64)])
      expect(refusal({ VAULT_REPLICA_ID: bad })).toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('VAULT_REPLICA_ID'),
      });
  });

  it('a propagation built in code refuses such a lease too', () => {
    const deps = {
      register: fixtureRegister(),
      now: () => new Date().toISOString(),
    } as unknown as ConstructorParameters<typeof Propagation>[0];
    expect(() => new Propagation(deps, { timeoutMs: 1000, leaseMs: 1000 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => new Propagation(deps, { timeoutMs: 1000, leaseMs: 1001 })).not.toThrow();
  });
});
