import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** The README and every guide under docs/: the pages a reader follows links through. */
const pages = (): string[] => [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(root, 'docs', f)),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');

const anchorsOf = (path: string): Set<string> =>
  new Set([...readFileSync(path, 'utf8').matchAll(/^#{1,6} +(.+)$/gm)].map((m) => slug(m[1]!)));

/** Links to local files (`[text](path#anchor)`), outside code blocks; web links are not followed. */
function localLinks(path: string): { target: string; anchor?: string }[] {
  const text = readFileSync(path, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const links: { target: string; anchor?: string }[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const href = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
    const [target, anchor] = href.split('#') as [string, string | undefined];
    links.push({ target, ...(anchor ? { anchor } : {}) });
  }
  return links;
}

describe('documentation links', () => {
  it('finds the README and the guides it maps', () => {
    expect(pages().map((p) => relative(root, p))).toEqual(
      expect.arrayContaining(['README.md', 'docs/configuration.md', 'docs/api.md']),
    );
  });

  it('points every link to a local file at a file or folder that exists, and every anchor at a heading', () => {
    const broken: string[] = [];
    for (const page of pages()) {
      for (const { target, anchor } of localLinks(page)) {
        const resolved = target === '' ? page : join(dirname(page), target);
        const where = `${relative(root, page)} → ${target}${anchor ? `#${anchor}` : ''}`;
        if (!existsSync(resolved)) broken.push(`${where} (no such file)`);
        else if (
          anchor &&
          resolved.endsWith('.md') &&
          statSync(resolved).isFile() &&
          !anchorsOf(resolved).has(anchor)
        ) {
          broken.push(`${where} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
