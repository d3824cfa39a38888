/**
 * Whether a process with this id runs on this machine (a marker's or a scratch file's owner). `EPERM`: it exists but
 * belongs to another user.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
