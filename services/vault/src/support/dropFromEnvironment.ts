import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

/** What became of a secret variable's initial copy, the one `/proc/<pid>/environ` shows. */
export type InitialCopy = 'cleared' | 'absent' | 'unsupported';

/**
 * Removes secret variables from the environment once read. Deleting from `process.env` only
 * unsets them (libc's `unsetenv`): the bytes of the environment the process was started with stay
 * where the kernel put them, at the top of the stack, and `/proc/<pid>/environ` reads them from
 * there for the life of the process (to whoever may read that file: the same user, root, a debugger).
 * On Linux those bytes are overwritten with zeros too, through `/proc/self/mem` (the process
 * writing its own memory; no privilege needed). Elsewhere, or where that write is refused (a
 * hardened kernel), the initial copy stays, which the answer says, so that the caller can warn:
 * a secret passed as a file (`VAULT_MASTER_KEY_FILE`, a systemd credential, a Kubernetes secret
 * volume) never enters the environment at all, and is the recommendation in every case.
 */
export function dropFromEnvironment(names: readonly string[]): InitialCopy {
  const present = names.filter((n) => process.env[n] !== undefined);
  for (const n of present) delete process.env[n];
  if (present.length === 0) return 'absent';
  if (process.platform !== 'linux') return 'unsupported';
  try {
    return clearInitialCopies(present) ? 'cleared' : 'absent';
  } catch {
    return 'unsupported';
  }
}

/** Zeroes every `NAME=value` of the initial environment block; whether any was found. */
function clearInitialCopies(names: readonly string[]): boolean {
  // Fields 50 and 51 of /proc/self/stat (Linux 3.5 and later): where that block starts and ends.
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[50 - 3]);
  const end = Number(fields[51 - 3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start || end - start > 1 << 24) return false;
  const fd = openSync('/proc/self/mem', 'r+');
  try {
    const block = Buffer.alloc(end - start);
    readSync(fd, block, 0, block.length, start);
    const prefixes = names.map((n) => Buffer.from(`${n}=`));
    let found = false;
    for (let at = 0; at < block.length;) {
      const nul = block.indexOf(0, at);
      const stop = nul < 0 ? block.length : nul;
      if (prefixes.some((p) => stop - at >= p.length && block.subarray(at, at + p.length).equals(p))) {
        writeSync(fd, Buffer.alloc(stop - at), 0, stop - at, start + at);
        found = true;
      }
      at = stop + 1;
    }
    block.fill(0);
    return found;
  } finally {
    closeSync(fd);
  }
}
