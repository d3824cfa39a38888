/**
 * A vault in a process of its own that stops dead where a kill between the last acknowledgement and the receipt
 * would stop it (`node --import tsx` this file): it follows the log live and delivers to the recipients of
 * `receiptRegister` (`TEST_RECEIVER_URL`), and when propagation appends the `PropagationReceiptIssued` of an
 * erasure (the last recipient's acknowledgement is recorded by then) the append never reaches the log: the process
 * prints `receipt-due` and waits for the parent's SIGKILL. The configuration comes from the environment
 * (`loadConfig`); it prints `subject <subjectId>` of the one subject it then erases.
 */
import { loadConfig, openStores, openVault } from '../../services/vault/src/index.js';
import type { EventLog } from '../../services/vault/src/ports/EventLog.js';
import { receiptRegister, receiptSecrets } from './receiptRegister.js';

const config = loadConfig(process.env);
const stores = await openStores(config);
const log = stores.log;
const frozen: EventLog = new Proxy(log, {
  get(target, prop) {
    if (prop !== 'append') return Reflect.get(target, prop, target) as unknown;
    return (stream: string, events: { type: string }[], ...rest: unknown[]) => {
      if (!events.some((e) => e.type === 'PropagationReceiptIssued'))
        return (target.append as (...a: unknown[]) => Promise<unknown>).call(target, stream, events, ...rest);
      console.log('receipt-due');
      return new Promise(() => {});
    };
  },
});
const register = receiptRegister(process.env.TEST_RECEIVER_URL ?? '');
const vault = await openVault(config, {
  stores: { ...stores, log: frozen },
  register,
  live: true,
  warn: () => {},
  propagation: { secrets: receiptSecrets(register), backoffBaseMs: 20 },
});
const { subjectId } = await vault.commands.registerSubject({ actor: 'test' });
// Before the erasure: its receipt may be due before `erase` returns.
console.log(`subject ${subjectId}`);
await vault.execute(
  subjectId,
  {
    type: 'RecordPersonalData',
    items: [
      {
        category: 'contact',
        field: 'email',
        value: 'kill.child@example.test',
        purpose: 'contract',
        legalBasis: 'contract',
        source: 'subject',
      },
    ],
  },
  { actor: 'test' },
);
await vault.erase(subjectId, { actor: 'dpo:test', reason: 'subjectRequest' });
await new Promise(() => {});
