import { spawnSync } from 'node:child_process';

/** Why promtool cannot run here, or undefined when it can (`node scripts/prometheus.mjs ensure` installs it). */
export function promtoolMissing(): string | undefined {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0)
    return 'promtool is not installed (node scripts/prometheus.mjs ensure, as root, installs Debian prometheus)';
  return undefined;
}

/** Runs promtool with `input` on stdin; never waits more than 60 s. */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', timeout: 60_000, ...(input ? { input } : {}) });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
