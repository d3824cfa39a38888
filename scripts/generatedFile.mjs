// One generated file, written or checked: the codegen scripts of services/vault and services/console share it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `text` to `path` (`label` names it in the output), or with `check` writes nothing and returns whether the
 * committed file differs (a missing file does), after printing `stale` for it.
 */
export function writeOrCheck(path, text, { check, label, stale }) {
  if (!check) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${label}`);
    return false;
  }
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {
    // missing: stale
  }
  if (committed === text) return false;
  console.error(stale);
  return true;
}
