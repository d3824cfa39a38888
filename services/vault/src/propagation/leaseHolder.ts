import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';

import { processAlive } from '../support/processAlive.js';

/**
 * Who holds a notification's lease, named so that a process that restarts after a crash can tell that the holder
 * before it is dead, and take its claims back at once instead of waiting for them to expire.
 *
 * A holder's name is `propagation@<process space>/<pid>/<process token>/<instance>`. The process space names one
 * kernel's one PID namespace (its boot id and the namespace's inode): within it a pid means one process, so a
 * holder of the same space whose pid is gone is dead for certain. So is one whose pid is this process's own but
 * whose token is not (a process before this one had the same pid, as in a container restarted in its namespace).
 * Nothing is concluded about a holder of another space (another machine, another container), nor where the space
 * cannot be known: its claims expire as before.
 *
 * A replica given a stable id (`VAULT_REPLICA_ID`: a StatefulSet's pod name) is `propagation@replica:<id>/<process
 * token>/<instance>` instead: only one process runs under an id at a time, so every other holder under its id is a
 * predecessor, dead wherever it ran, and a process that starts under the id takes their claims at once.
 */

/** This process's token: two Propagations in one process (tests, tools) never take each other for dead. */
const PROCESS_TOKEN = randomUUID();

const PREFIX = 'propagation@';

/** The boot id and PID namespace of this process, hashed; undefined where the system does not say (not Linux). */
function processSpace(): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = readlinkSync('/proc/self/ns/pid');
    if (!boot || !pidNamespace) return undefined;
    return createHash('sha256').update(`${boot}\u0000${pidNamespace}`).digest('hex').slice(0, 16);
  } catch {
    return undefined;
  }
}

const SPACE = processSpace();

/** The prefix every holder of this process's space has: what to look for at start. Undefined: the space is unknown. */
export const spacePrefix = (space = SPACE): string | undefined => (space ? `${PREFIX}${space}/` : undefined);

/** What a replica id may be: a StatefulSet's pod name fits (a DNS label), as does a host name. */
const REPLICA_ID = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

export const isReplicaId = (id: string): boolean => REPLICA_ID.test(id);

/** The prefix of every holder under a replica id: each one this process is not is a dead predecessor. */
export const replicaPrefix = (replicaId: string): string => `${PREFIX}replica:${replicaId}/`;

/** A fresh holder name for one Propagation of this process (under its replica's stable id when it has one). */
export function newHolderName(space = SPACE, replicaId?: string): string {
  const instance = randomUUID();
  if (replicaId !== undefined) return `${replicaPrefix(replicaId)}${PROCESS_TOKEN}/${instance}`;
  return space ? `${PREFIX}${space}/${process.pid}/${PROCESS_TOKEN}/${instance}` : `${PREFIX}-/${instance}`;
}

/**
 * The holders among `holders` (all of this process's space) that are dead for certain: their process is gone, or
 * had this process's pid before it. A name that does not parse is never taken for dead.
 */
export function deadHolders(
  holders: readonly string[],
  isAlive: (pid: number) => boolean = processAlive,
  space = SPACE,
): string[] {
  const prefix = spacePrefix(space);
  if (!prefix) return [];
  return holders.filter((h) => {
    if (!h.startsWith(prefix)) return false;
    const [pidText, token, instance, ...rest] = h.slice(prefix.length).split('/');
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0 || !token || !instance || rest.length > 0) return false;
    if (pid === process.pid) return token !== PROCESS_TOKEN;
    return !isAlive(pid);
  });
}
