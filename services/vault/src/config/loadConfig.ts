import { resolve } from 'node:path';
import { VaultError } from '../domain/errors.js';

/** Everything the vault reads from its environment. Documented in the README's configuration table. */
export interface VaultConfig {
  /** `VAULT_DATA_DIR`: where the embedded stores live. Default `./.vault-data`. */
  dataDir: string;
  /** `VAULT_MASTER_KEY`: base64 32 bytes, or `v2:…,v1:…` during a rotation. */
  masterKey?: string;
  /** `VAULT_MASTER_KEY_FILE`: a file holding the same. */
  masterKeyFile?: string;
  /** `VAULT_REGISTER_FILE`: the processing register (YAML). Default: the shipped example register. */
  registerFile?: string;
  /** `VAULT_SYNCHRONOUS`: SQLite durability, `FULL` (default: an acknowledged write survives power loss) or `NORMAL`. */
  synchronous: 'FULL' | 'NORMAL';
  /** `PORT`: HTTP port. Default 4000. */
  port: number;
  /** `VAULT_LOG_LEVEL`: pino level. Default `info`. */
  logLevel: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): VaultConfig {
  const synchronous = (env.VAULT_SYNCHRONOUS ?? 'FULL').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new VaultError('CONFIG_INVALID', 'VAULT_SYNCHRONOUS must be FULL or NORMAL');
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new VaultError('CONFIG_INVALID', 'PORT must be an integer from 0 to 65535');
  if (env.VAULT_MASTER_KEY && env.VAULT_MASTER_KEY_FILE) throw new VaultError('CONFIG_INVALID', 'Set VAULT_MASTER_KEY or VAULT_MASTER_KEY_FILE, not both');
  return {
    dataDir: resolve(env.VAULT_DATA_DIR ?? '.vault-data'),
    ...(env.VAULT_MASTER_KEY ? { masterKey: env.VAULT_MASTER_KEY } : {}),
    ...(env.VAULT_MASTER_KEY_FILE ? { masterKeyFile: env.VAULT_MASTER_KEY_FILE } : {}),
    ...(env.VAULT_REGISTER_FILE ? { registerFile: env.VAULT_REGISTER_FILE } : {}),
    synchronous,
    port,
    logLevel: env.VAULT_LOG_LEVEL ?? 'info',
  };
}
