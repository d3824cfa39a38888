import { describe, expect, it } from 'vitest';

import { deadHolders, isReplicaId, newHolderName, replicaPrefix, spacePrefix } from './leaseHolder.js';

const SPACE = '0123456789abcdef';
const prefix = spacePrefix(SPACE)!;
/** Pids 1000 and 1001 run; every other pid is gone. */
const alive = (pid: number) => pid === 1000 || pid === 1001;

describe('which lease holders are known to be dead', () => {
  it('names each holder by its process space, pid and process, and two Propagations of one process apart', () => {
    const a = newHolderName(SPACE);
    const b = newHolderName(SPACE);
    expect(a.startsWith(`${prefix}${process.pid}/`)).toBe(true);
    expect(a).not.toBe(b);
    // This process's own holders are never dead to it, nor another instance of it.
    expect(deadHolders([a, b], () => false, SPACE)).toEqual([]);
  });

  it("takes a gone process's holder for dead, and a running one's for alive", () => {
    const gone = `${prefix}2000/token-x/instance-1`;
    const running = `${prefix}1000/token-y/instance-2`;
    expect(deadHolders([gone, running], alive, SPACE)).toEqual([gone]);
  });

  it("takes an earlier process that had this process's pid for dead (a container restarted in its namespace)", () => {
    const before = `${prefix}${process.pid}/token-of-the-process-before/instance-1`;
    expect(deadHolders([before], () => true, SPACE)).toEqual([before]);
  });

  it('concludes nothing about another space, a name it cannot read, or where the space is unknown', () => {
    const elsewhere = `${spacePrefix('fedcba9876543210')}2000/token-x/instance-1`;
    const older = 'propagation-5b0d3f2e-9c1a-4e4b-a2f0-6d7e8c9b0a1f';
    const garbled = [`${prefix}abc/token/instance`, `${prefix}2000/token`, `${prefix}2000/t/i/extra`, `${prefix}0/t/i`];
    expect(deadHolders([elsewhere, older, ...garbled], alive, SPACE)).toEqual([]);
    expect(deadHolders([`${prefix}2000/token-x/instance-1`], alive, '')).toEqual([]);
    expect(spacePrefix('')).toBeUndefined();
    expect(newHolderName('').startsWith('propagation@-/')).toBe(true);
  });

  it('names a holder under a replica id apart from every process space, and never taken for dead by pid', () => {
    const a = newHolderName(SPACE, 'vault-0');
    const b = newHolderName(SPACE, 'vault-0');
    expect(a.startsWith(replicaPrefix('vault-0'))).toBe(true);
    expect(a).not.toBe(b);
    expect(a.startsWith(prefix)).toBe(false);
    expect(deadHolders([a], () => false, SPACE)).toEqual([]);
    // vault-0's holders are not vault-01's: a prefix ends with the id's slash.
    expect(newHolderName(SPACE, 'vault-01').startsWith(replicaPrefix('vault-0'))).toBe(false);
  });

  it('takes a StatefulSet pod name or a host name for a replica id, nothing that could break a holder name', () => {
    for (const ok of ['vault-0', 'pdv.vault-12', 'a', 'A_1']) expect(isReplicaId(ok)).toBe(true);
    for (const bad of ['', '-a', 'a-', 'a/b', 'a b', 'x'.repeat(64), 'é']) expect(isReplicaId(bad)).toBe(false);
  });
});
