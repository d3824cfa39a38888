/**
 * A process of its own that opens the key ring on a key store and a KEK custody and ends the epoch,
 * for tests that need several processes rotating at once (`node --import tsx` this file). The
 * settings come from the environment: `PDV_KEY_STORE` (`sqlite:<keys.db path>` or
 * `postgres:<schema>`), `PDV_KEK` (`local:<kek file>`, the master key in `VAULT_MASTER_KEY`; or
 * `pkcs11:<token label>:<label prefix>`, the PIN in `VAULT_PKCS11_PIN`). Prints `ready` once open,
 * waits for a line on stdin (so that the parent starts every child's rotation at the same moment),
 * then prints the rotation as JSON.
 */
import { getLocalKekProvider } from '../../services/vault/src/adapters/localKek/index.js';
import { getPostgresKeyStore } from '../../services/vault/src/adapters/postgres/index.js';
import { getSqliteKeyStore } from '../../services/vault/src/adapters/sqlite/index.js';
import { KeyRing } from '../../services/vault/src/crypto/keyRing.js';
import { parseMasterKeys } from '../../services/vault/src/crypto/masterKey.js';
import type { KekProvider } from '../../services/vault/src/ports/KekProvider.js';
import type { KeyStore } from '../../services/vault/src/ports/KeyStore.js';
import { TEST_POSTGRES_URL } from './postgres.js';

const [storeKind, storeWhere] = split(process.env.PDV_KEY_STORE ?? '');
const [kekKind, kekWhere] = split(process.env.PDV_KEK ?? '');

const store: KeyStore =
  storeKind === 'postgres'
    ? await getPostgresKeyStore({ connectionString: TEST_POSTGRES_URL, schema: storeWhere })
    : getSqliteKeyStore({ path: storeWhere });

let kek: KekProvider;
if (kekKind === 'pkcs11') {
  const { getPkcs11KekProvider } = await import('../../services/vault/src/adapters/pkcs11/index.js');
  const [slot, labelPrefix] = split(kekWhere);
  kek = getPkcs11KekProvider({ slot, labelPrefix, pin: process.env.VAULT_PKCS11_PIN ?? '' });
} else {
  kek = getLocalKekProvider({ path: kekWhere, master: parseMasterKeys(process.env.VAULT_MASTER_KEY ?? '', 'env') });
}

try {
  const ring = await KeyRing.open(store, kek);
  // Ready, then held until the parent says go (a line on stdin), so that every child rotates at once.
  console.log('ready');
  await new Promise((r) => process.stdin.once('data', r));
  process.stdin.pause();
  const r = await ring.rotateEpoch({ pageSize: 50 });
  console.log(JSON.stringify(r));
} finally {
  await store.close();
  await kek.close();
}

function split(text: string): [string, string] {
  const at = text.indexOf(':');
  return [text.slice(0, at), text.slice(at + 1)];
}
