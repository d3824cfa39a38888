import type { ConsentInput } from '../consent.js';
import type { DomainEvent, ShredReason, Unsealed } from '../events.js';
import type { ProcessingRegister } from '../register.js';
import type { RightsCommand } from '../requests.js';
import type { SubjectState } from '../state.js';
import type { TransmissionAttemptInput, TransmissionRequestInput } from '../transmissions.js';

/** The commands a subject's aggregate decides, and the shape of a decider (Emmett's `decide`, one per command). */

export interface DataItemInput {
  category: string;
  field: string;
  value: unknown;
  purpose: string;
  legalBasis: string;
  source: string;
  /** The entry the value belongs to (e.g. its debt-collection case), where the category's period runs per entry. */
  entry?: string;
}

export type Command =
  | { type: 'RegisterSubject' }
  | ({ type: 'RecordPersonalData' } & WriteInput)
  | ({ type: 'RectifyPersonalData' } & WriteInput)
  /**
   * `remaining` holds the opened values of the category's other fields (with `entry`: that entry's), to re-seal under a
   * new key; opened by the command side, never input.
   */
  | {
      type: 'ErasePersonalData';
      category: string;
      field: string;
      reason: string;
      remaining: Record<string, unknown>;
      /** The entry whose value is erased (e.g. one debt-collection case's); absent: the category's own. */
      entry?: string;
    }
  | ({ type: 'GiveConsent' } & ConsentInput)
  /** `remaining`: values (`category.field`) the withdrawal re-seals, opened by the command side (never input). */
  | {
      type: 'WithdrawConsent';
      purpose: string;
      /** How the withdrawal reached the controller: one of CONSENT_CHANNELS. Default: not recorded. */
      channel?: string;
      remaining?: Record<string, unknown>;
    }
  /** A direct transmission of the portability export asked for, before its first attempt (Art. 20(2)). */
  | TransmissionRequestInput
  /** One attempt of a direct transmission of the portability export (Art. 20(2)). */
  | TransmissionAttemptInput
  | { type: 'RestrictProcessing'; categories: string[]; reason: string }
  | { type: 'LiftRestriction'; categories: string[] }
  | {
      type: 'ObjectToProcessing';
      purpose: string;
      /** Values to re-seal where an objection to direct marketing erases part of a category (set by the commands). */
      remaining?: Record<string, unknown>;
    }
  /** Art. 21(1): the DPO records the compelling legitimate grounds that override a standing objection. */
  | { type: 'OverrideObjection'; purpose: string; grounds: string }
  /** `entry`: the hold keeps that entry of the category alone (e.g. one debt-collection case); absent: the category. */
  | { type: 'PlaceLegalHold'; category: string; basis: string; until: string; entry?: string }
  | { type: 'ReleaseLegalHold'; category: string; entry?: string }
  /** `entry`: the event happened to one entry (a case closed); absent: to the subject. */
  | { type: 'RecordLifecycleEvent'; event: string; entry?: string }
  | { type: 'ShredCategory'; category: string; reason: ShredReason; rule?: string }
  /**
   * Shreds the category if its retention (and any hold) has ended by the decision time; re-keys it
   * when only some entries' periods have. `remaining`: the values to carry over, opened by the
   * command side (never input).
   */
  | { type: 'ApplyRetention'; category: string; remaining?: Record<string, unknown> }
  /**
   * Erases in the category what rested alone on purposes that ended (domain/endedPurposes.ts): consents past their
   * validity (`consentValidFor`), and a withdrawal or an objection a hold kept back until it ended, as withdrawing
   * them would. `remaining`: the values to carry over, opened by the command side (never input).
   */
  | { type: 'ReleaseEndedPurposes'; category: string; remaining?: Record<string, unknown> }
  /** `strayKeyIds`: the subject's keys that no event names, as the command side found them in the key store. */
  | { type: 'EraseSubject'; reason: string; requestId?: string; strayKeyIds?: string[] }
  | Exclude<RightsCommand, { type: 'CompleteRequest' }>
  /**
   * `proposals`: the values (`category.field`) a subject proposed under a rectification request,
   * opened by the command side (never input); completing the request rectifies the fields to them.
   */
  | (Extract<RightsCommand, { type: 'CompleteRequest' }> & { proposals?: Record<string, unknown> });

/** A write of values and what deciding it needs besides its items. */
export interface WriteInput {
  items: DataItemInput[];
  /** Consents given in the same call, recorded before the data in the same append. */
  consents?: ConsentInput[];
  /** The id of the rectification request a subject's write opens for values it did not provide. */
  requestId?: string;
  /**
   * The current values (`category.field`) a writer that does not hold their purpose writes over,
   * opened by the command side (never input), so the same value written again is not a conflict.
   */
  current?: Record<string, unknown>;
}

/**
 * Who writes, as far as deciding who may change a value needs (Art. 16; issue 23): a service with
 * the purposes its token carries, the DPO, or the subject. Absent: the controller's own tooling
 * (the CLI, sweeps), which answers to the DPO.
 */
export type Writer = { role: 'service'; purposes: readonly string[] } | { role: 'dpo' } | { role: 'subject' };

export type CommandType = Command['type'];
export type CommandOf<K extends CommandType> = Extract<Command, { type: K }>;

export interface DecideContext {
  register: ProcessingRegister;
  /** ISO time of the decision. */
  now: string;
  /**
   * The principal the command runs for (a consent records it as the one who collected it).
   * Plaintext: never personal data.
   */
  actor: string;
  /** Who writes; absent for the controller's own tooling. */
  writer?: Writer;
}

export type Decision = DomainEvent<Unsealed>[];

/** Decides one command against the subject's state: the events to append, or a VaultError. No I/O. */
export type Decider<C extends Command = Command> = (state: SubjectState, command: C, ctx: DecideContext) => Decision;

/** A value as a decision carries it, for the application layer to seal. */
export const plain = (v: unknown): Unsealed => ({ plain: v });
