import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const src = fileURLToPath(new URL('../', import.meta.url));

/** Every environment variable the service's own code reads (`env.X`, `process.env.X`), tests excluded. */
function variablesRead(): string[] {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'generated' && entry.name !== 'testing') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
      }
    }
  };
  walk(src);
  // Node's own, not the vault's configuration.
  names.delete('NODE_ENV');
  return [...names].sort();
}

describe('configuration', () => {
  const read = variablesRead();

  it('reads the variables it is expected to (the scan finds them)', () => {
    expect(read).toEqual(
      expect.arrayContaining(['PORT', 'HOST', 'VAULT_DATA_DIR', 'VAULT_MASTER_KEY', 'VAULT_CRYPTO']),
    );
  });

  it('documents every variable it reads in the table of docs/configuration.md', () => {
    const doc = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    expect(read.filter((v) => !documented.has(v))).toEqual([]);
  });

  it('passes every variable it reads through `npm start` (turbo drops the rest in strict env mode)', () => {
    const turbo = JSON.parse(readFileSync(join(root, 'turbo.json'), 'utf8')) as {
      tasks: Record<string, { env?: string[]; passThroughEnv?: string[] }>;
    };
    const start = turbo.tasks.start!;
    const patterns = [...(start.env ?? []), ...(start.passThroughEnv ?? [])].map(
      (p) => new RegExp(`^${p.replace(/\*/g, '.*')}$`),
    );
    expect(read.filter((v) => !patterns.some((p) => p.test(v)))).toEqual([]);
  });
});
