/** The production event log: a KurrentDB / EventStoreDB (20+) cluster through its official gRPC client. */
export { getKurrentdbEventLog, type KurrentdbEventLogOptions } from './kurrentdbEventLog.js';
