import type { Command } from 'commander';

import { hasProductionKey, mintDevToken, type Principal } from '../../auth/tokens.js';
import { loadConfig } from '../../config/loadConfig.js';
import { VaultError } from '../../domain/errors.js';

interface TokenOptions {
  role: string;
  name?: string;
  purposes?: string;
  subject?: string;
  ttl: string;
}

/** `vault token`: a development token signed with the dev secret. Refused when a production key is configured. */
export function addTokenCommand(program: Command): void {
  program
    .command('token')
    .description('Mint a development token (HS256, dev secret); refused when a production key is configured')
    .requiredOption('--role <role>', 'service, dpo or subject')
    .option('--name <name>', 'the service or DPO name')
    .option('--purposes <list>', 'comma-separated purposes a service may use, e.g. contract,marketing')
    .option('--subject <id>', 'the subject id, for --role subject')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 8h, 7d', '8h')
    .action(async (opts: TokenOptions) => {
      const config = loadConfig();
      if (hasProductionKey(config)) {
        throw new VaultError(
          'CONFIG_INVALID',
          'This vault verifies tokens with a production key (VAULT_JWT_PUBLIC_KEY_FILE or VAULT_JWKS_FILE); get a ' +
            'token from its issuer',
        );
      }
      let principal: Principal;
      if (opts.role === 'service') {
        if (!opts.name) throw new VaultError('BAD_USER_INPUT', '--name is required for a service token');
        principal = {
          role: 'service',
          name: opts.name,
          purposes: (opts.purposes ?? '')
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean),
        };
      } else if (opts.role === 'dpo') {
        principal = { role: 'dpo', name: opts.name ?? 'dpo' };
      } else if (opts.role === 'subject') {
        if (!opts.subject) throw new VaultError('BAD_USER_INPUT', '--subject is required for a subject token');
        principal = { role: 'subject', subjectId: opts.subject };
      } else throw new VaultError('BAD_USER_INPUT', '--role must be service, dpo or subject');
      try {
        console.log(await mintDevToken(config, principal, { expiresIn: opts.ttl }));
      } catch (e) {
        if (e instanceof VaultError) throw e;
        throw new VaultError('BAD_USER_INPUT', `Cannot mint the token: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
}
