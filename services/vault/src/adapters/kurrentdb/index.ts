/** The production event log: a KurrentDB / EventStoreDB (20+) cluster through its official gRPC client. */
export { getKurrentdbEventLog, type KurrentdbEventLogOptions } from './kurrentdbEventLog.js';
export {
  allFilterPrefix as kurrentdbFilterPrefix,
  fromPosition as fromKurrentdbPosition,
  toReadPosition as toKurrentdbReadPosition,
  toServerEventId as toKurrentdbEventId,
  toStreamState as toKurrentdbStreamState,
  toVaultError as kurrentdbToVaultError,
} from './mapping.js';
