import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { getLocalKekProvider, parseMasterKeys } from '@pdv/vault';
import nacl from 'tweetnacl';

import { describeKekProviderContract } from './kekProvider.contract.js';

/** The embedded custody: epoch keys sealed under a master key in a slot file of a fresh temporary directory. */
describeKekProviderContract('local (epoch key file)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pdv-kek-'));
  const path = join(dir, 'kek.slots');
  const master = () => parseMasterKeys(Buffer.from(seed).toString('base64'), 'test');
  const seed = nacl.randomBytes(32);
  const opened = [getLocalKekProvider({ path, master: master() })];
  return {
    provider: opened[0]!,
    reopen: async () => {
      const next = getLocalKekProvider({ path, master: master() });
      opened.push(next);
      return next;
    },
    cleanup: async () => {
      for (const p of opened) await p.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
