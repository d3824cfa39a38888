import type { Command, SubjectState, Writer } from '../domain/subject.js';
import type { RecordedEvent } from './EventLog.js';

/**
 * The write side as the rights and the API use it: run a command on a subject, load a subject's
 * state. `commands/SubjectCommands` implements it; depending on this port keeps the rights beside
 * the command handlers rather than above them.
 */
export interface Commands {
  execute(subjectId: string, command: Command, options: CommandOptions): Promise<CommandResult>;
  load(subjectId: string): Promise<SubjectState>;
}

export interface CommandOptions {
  /** Who acts (a service name, `dpo:<name>`, `system:retention`). Plaintext: never personal data. */
  actor: string;
  /** Ties the events to the request that caused them (plaintext metadata: an id, never data). Default: none. */
  correlationId?: string;
  /**
   * Who writes, for the rules on who may change a value (a service only what its purposes hold, the
   * subject directly only what it provided). Default: none, the controller's own tooling (CLI, sweeps).
   */
  writer?: Writer;
  /** Attempts on optimistic-concurrency conflicts. Default 5. */
  maxAttempts?: number;
}

export interface CommandResult {
  subjectId: string;
  events: RecordedEvent[];
  /** Log position of the last event written (0 when the command decided nothing). */
  position: number;
  /** Revision of the subject's stream after the command (-1 when it has none). */
  revision: number;
  /**
   * The subject's state after the command. Read-only, and read it at once: the command side keeps
   * it for the subject's next command, which moves it on.
   */
  state: SubjectState;
  /** Key ids destroyed by this command. */
  shreddedKeyIds: string[];
}
