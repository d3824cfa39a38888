import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The pages' first-load JavaScript, gzipped, per page (issue 27: at most 250 KB), read from the console's Vite build
 * (`services/console/dist`, which turbo builds before `npm run bench`) by the same code the build checks its budget
 * with (`services/console/scripts/bundleSize.mjs`). A size, not a timing: the machine's load does not move it. Absent
 * (and said so) when the pages are not built.
 */
export async function consoleBundleBench(): Promise<Record<string, number>> {
  let root = new URL('..', import.meta.url);
  while (!existsSync(new URL('turbo.json', root))) root = new URL('..', root);
  const dist = new URL('services/console/dist/', root);
  if (!existsSync(new URL('privacy.html', dist))) {
    console.log('  (no console bundle figure: services/console is not built; npm run build -w services/console)');
    return {};
  }
  const { firstLoadSizes } = (await import(new URL('services/console/scripts/bundleSize.mjs', root).href)) as {
    firstLoadSizes: (dist: string) => Record<string, { bytes: number; gzipBytes: number }>;
  };
  const figures: Record<string, number> = {};
  for (const [page, { bytes, gzipBytes }] of Object.entries(firstLoadSizes(fileURLToPath(dist)))) {
    figures[`console_${page}_first_load_js_gzip_kb`] = gzipBytes / 1024;
    figures[`console_${page}_first_load_js_raw_kb`] = bytes / 1024;
  }
  return figures;
}
