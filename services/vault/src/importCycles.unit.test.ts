import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

/**
 * Dependencies inside the service point one way (docs: the architecture brief), so no module may
 * reach itself through its imports. This reads the import and re-export lines of every TypeScript
 * file under src (type-only ones too: a type loop is still a loop in the design) and fails on any
 * cycle, naming its files. A check of our own instead of madge: it needs no dependency.
 */

const SRC = dirname(fileURLToPath(import.meta.url));

/** `from '…'` of import and export statements, side-effect imports, and dynamic imports. */
const SPECIFIER = new RegExp(
  [
    /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/.source,
    /^\s*import\s*['"]([^'"]+)['"]/.source,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/.source,
  ].join('|'),
  'gm',
);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** The files under src that `file` imports (packages and non-TypeScript files left out). */
function localImports(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
    const specifier = m[1] ?? m[2] ?? m[3]!;
    if (!specifier.startsWith('.')) continue;
    const asFile = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
    const asFolder = join(resolve(dirname(file), specifier), 'index.ts');
    if (existsSync(asFile)) out.push(asFile);
    else if (existsSync(asFolder)) out.push(asFolder);
  }
  return out;
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('imports inside the service', () => {
  it('finds a loop when there is one, however long, and none in a chain', () => {
    const loop = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(findCycles(loop)).toEqual([['a', 'b', 'c']]);
    expect(findCycles(new Map([['a', ['a']]]))).toEqual([['a']]);
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('never run in a loop, anywhere under src', () => {
    const files = sourceFiles(SRC);
    const graph = new Map(files.map((f) => [f, localImports(f)] as const));
    // Guard against a reader that silently finds nothing: most files import another one.
    expect([...graph.values()].filter((deps) => deps.length > 0).length).toBeGreaterThan(files.length / 2);
    const cycles = findCycles(graph).map((c) => c.map((f) => relative(SRC, f)).join(', '));
    expect(cycles).toEqual([]);
  });
});
