// The npm workspaces of the root package.json (`services/*`, `test`), each with the scripts it declares: the test
// summary expects a vitest report from every workspace with a `test` script and a lint report from every one with a
// `lint` script, so a new workspace is counted without anyone remembering to list it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

/** @returns {{ dir: string, scripts: Record<string, string> }[]} */
export function workspaces() {
  const patterns = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
  const dirs = patterns.flatMap((p) =>
    p.endsWith('/*')
      ? readdirSync(join(root, p.slice(0, -2)), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => `${p.slice(0, -2)}/${e.name}`)
      : [p],
  );
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => ({ dir, scripts: JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).scripts ?? {} }));
}
