// What a first visit to each page downloads: the JavaScript its HTML loads (the entry and every chunk it preloads),
// raw and gzipped at level 9. Shared by the build (which fails over budget) and `npm run bench` (which reports it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The pages the vault serves, by the name of their HTML file in `dist`. */
export const PAGES = ['privacy', 'console'];

/** For each page of a built `dist`: the scripts its first load fetches, their bytes and their gzipped bytes. */
export function firstLoadSizes(dist) {
  const sizes = {};
  for (const page of PAGES) {
    const html = readFileSync(join(dist, `${page}.html`), 'utf8');
    const files = [...new Set([...html.matchAll(/(?:src|href)="\/ui\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]))];
    let bytes = 0;
    let gzipBytes = 0;
    for (const file of files) {
      const content = readFileSync(join(dist, file));
      bytes += content.length;
      gzipBytes += gzipSync(content, { level: 9 }).length;
    }
    sizes[page] = { files, bytes, gzipBytes, inlineScript: /<script(?![^>]*\bsrc=)[^>]*>/.test(html) };
  }
  return sizes;
}
