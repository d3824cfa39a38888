import type { Command } from 'commander';

import { VaultError } from '../../domain/errors.js';
import type { RecipientNotification } from '../../domain/propagation.js';
import { Propagation } from '../../propagation/Propagation.js';
import type { Vault } from '../../vault.js';
import { openCliVault } from '../openCliVault.js';

const STATUSES = ['pending', 'delivered', 'acknowledged', 'deadLettered'] as const;

/** The outbox as the notification stream holds it: this process only reads it and appends retries. */
async function outboxOf(vault: Vault): Promise<Propagation> {
  if (Object.keys(vault.register.recipients ?? {}).length === 0)
    throw new VaultError('CONFIG_INVALID', 'The processing register declares no recipients (recipients:)');
  const outbox = new Propagation({
    log: vault.stores.log,
    accessLog: vault.accessLog,
    register: vault.register,
    now: () => vault.now(),
  });
  await outbox.load();
  return outbox;
}

const line = (s: RecipientNotification) =>
  [
    s.due.notificationId,
    s.due.recipient,
    s.due.subjectId,
    s.due.action,
    s.due.categories.join(','),
    s.status,
    `attempts ${s.totalAttempts}`,
    s.lastReason ?? '-',
    s.due.requestId ?? '-',
  ].join('\t');

/** `vault notifications list|retry`: the DPO's view of propagation to recipients, and the manual retry. */
export function addNotificationsCommand(program: Command): void {
  const cmd = program.command('notifications').description('Notifications to recipients (Art. 19): list and retry');
  cmd
    .command('list')
    .description('List notifications: id, recipient, subject, action, categories, status, attempts, last failure')
    .option('--subject <id>', 'only this subject')
    .option('--recipient <name>', 'only this recipient')
    .option('--request <id>', 'only those of this data-subject request')
    .option('--status <status>', `only in this state: ${STATUSES.join(', ')}`)
    .option('--json', 'print them as JSON')
    .action(async (o: { subject?: string; recipient?: string; request?: string; status?: string; json?: boolean }) => {
      if (o.status !== undefined && !(STATUSES as readonly string[]).includes(o.status))
        throw new VaultError('BAD_USER_INPUT', `--status must be one of ${STATUSES.join(', ')}`);
      const vault = await openCliVault();
      try {
        const list = (await outboxOf(vault)).list({
          ...(o.subject ? { subjectId: o.subject } : {}),
          ...(o.recipient ? { recipient: o.recipient } : {}),
          ...(o.request ? { requestId: o.request } : {}),
          ...(o.status ? { status: o.status as RecipientNotification['status'] } : {}),
        });
        if (o.json) console.log(JSON.stringify(list, null, 2));
        else for (const s of list) console.log(line(s));
      } finally {
        await vault.close();
      }
    });
  cmd
    .command('retry')
    .description('Start another round of attempts (a dead letter, or all dead letters with --dead-letters)')
    .argument('[ids...]', 'notification ids')
    .option('--dead-letters', 'every dead-lettered notification')
    .action(async (ids: string[], o: { deadLetters?: boolean }) => {
      const vault = await openCliVault();
      try {
        const outbox = await outboxOf(vault);
        const chosen = o.deadLetters ? outbox.list({ status: 'deadLettered' }).map((s) => s.due.notificationId) : ids;
        if (chosen.length === 0 && !o.deadLetters)
          throw new VaultError('BAD_USER_INPUT', 'Name notification ids, or give --dead-letters');
        for (const id of chosen) await outbox.retry(id);
        console.log(`retrying ${chosen.length} notification(s); vault serve delivers them`);
      } finally {
        await vault.close();
      }
    });
}
