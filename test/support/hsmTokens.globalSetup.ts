// One directory for the SoftHSM2 tokens of a whole run (kekCustody.ts makes one token per test worker inside it),
// removed when the run ends. A worker cannot remove its own: vitest ends its workers without an 'exit' event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where kekCustody.ts puts its tokens; workers inherit it from this process. */
export const HSM_ROOT_ENV = 'PDV_TEST_HSM_ROOT';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'pdv-hsm-run-'));
  process.env[HSM_ROOT_ENV] = root;
  return () => rmSync(root, { recursive: true, force: true });
}
