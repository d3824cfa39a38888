import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The vault's files hold ciphertext, key slots, access logs and secrets: only the vault's own
 * user may read them. The modes are set explicitly, never left to the process umask (022 on most
 * systems, which leaves new files world-readable and directories world-listable).
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** A mode as `ls` and `chmod` write it, e.g. `0644`. */
export const octalMode = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/**
 * Creates `dir` and any missing parents with mode 0700 whatever the umask. A directory that
 * already exists keeps its mode: the start check (`looseModes`) reports it instead of changing
 * what an operator set.
 */
export function makePrivateDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  // mkdir's mode passes through the umask; chmod does not. Each directory created now, parents included.
  for (let d = dir; ; d = dirname(d)) {
    chmodSync(d, PRIVATE_DIR_MODE);
    if (d === first || dirname(d) === d) break;
  }
}

/**
 * Opens `path` for a new file: created with mode 0600 whatever the umask, or undefined when it
 * exists already (it keeps its mode; the start check reports a loose one).
 */
function openNew(path: string, flags: number): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, flags | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  }
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/**
 * Creates `path` empty with mode 0600 unless it exists; returns whether it did. SQLite gives a
 * database's `-wal`, `-shm` and `-journal` files the mode of the database file itself (and chmods
 * them to it past the umask), so a database created this way keeps all its companions private.
 */
export function createPrivateFile(path: string): boolean {
  const fd = openNew(path, constants.O_WRONLY);
  if (fd === undefined) return false;
  closeSync(fd);
  return true;
}

/** Writes a new file with mode 0600 whatever the umask; fails with EEXIST if it exists. */
export function writeNewPrivateFile(path: string, content: string): void {
  const fd = openNew(path, constants.O_WRONLY);
  if (fd === undefined)
    throw Object.assign(new Error(`EEXIST: file already exists, open '${path}'`), { code: 'EEXIST', path });
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens `path` read-write, creating it with mode 0600 whatever the umask when it is absent. For
 * files written in place (slot files); never truncates, never appends.
 */
export function openPrivateFile(path: string): number {
  return openNew(path, constants.O_RDWR) ?? openSync(path, constants.O_RDWR);
}

export interface LooseMode {
  path: string;
  /** The permission bits, e.g. 0o644. */
  mode: number;
  kind: 'file' | 'directory';
}

/** How many loose entries a walk reports at most: a data directory pointed at a shared one must not stall the start. */
const MAX_REPORTED = 100;

/**
 * Every file and directory at or under `root` that the group or others may read, write or enter
 * (any of the 077 bits), up to a hundred. Symbolic links are skipped, never followed (their own
 * mode means nothing). A missing root has none.
 */
export function looseModes(root: string): LooseMode[] {
  const out: LooseMode[] = [];
  const visit = (path: string): void => {
    if (out.length >= MAX_REPORTED) return;
    let st;
    try {
      st = lstatSync(path);
    } catch (e) {
      // Gone between listing and looking (a WAL checkpointed away): nothing to report.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (st.isSymbolicLink()) return;
    const kind = st.isDirectory() ? 'directory' : 'file';
    if ((st.mode & 0o077) !== 0) out.push({ path, mode: st.mode & 0o777, kind });
    if (kind === 'directory') for (const name of readdirSync(path).sort()) visit(join(path, name));
  };
  visit(root);
  return out;
}
