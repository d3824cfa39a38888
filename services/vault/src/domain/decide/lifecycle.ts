import { VaultError } from '../errors.js';
import { unknownName } from '../names.js';
import type { CategorySpec } from '../register.js';
import { entryEvent } from '../retention.js';
import { liveEntryOf } from '../state.js';
import type { CommandOf, Decider } from './command.js';
import { checkEntryId } from './entries.js';

/**
 * A lifecycle event the register knows (e.g. the relationship ended), with the categories whose
 * retention or legal-hold clock it starts. With an `entry` (a case closed), it starts only that
 * entry's clock, in the categories whose period runs per entry from this event and which hold the
 * entry: the subject's other entries keep theirs. An entry the subject has no live values under
 * there is refused (`UNKNOWN_ENTRY`), so a mistyped case reference cannot pass for a closed case.
 */
export const recordLifecycleEvent: Decider<CommandOf<'RecordLifecycleEvent'>> = (state, command, { register }) => {
  if (!register.lifecycleEvents.includes(command.event)) {
    throw unknownName('lifecycle event', register.lifecycleEvents, 'event');
  }
  const reached = Object.values(register.categories).filter((c) =>
    triggers(c).some((t) => t.kind === 'lifecycle' && t.event === command.event),
  );
  const { entry } = command;
  if (entry === undefined) {
    const categories = reached.map((c) => c.name);
    return [{ type: 'LifecycleEventRecorded', data: { event: command.event, categories } }];
  }
  checkEntryId(entry, 'entry');
  const perEntry = reached.filter((c) => entryEvent(c) === command.event);
  if (perEntry.length === 0)
    throw new VaultError('BAD_USER_INPUT', `No category's period runs per entry from ${command.event}`, {
      path: 'entry',
    });
  const categories = perEntry
    .filter((c) => liveEntryOf(state.categories[c.name], entry) !== undefined)
    .map((c) => c.name);
  if (categories.length === 0)
    throw new VaultError(
      'UNKNOWN_ENTRY',
      `The subject has no live entry of that id in ${perEntry.map((c) => c.name).join(', ')}`,
      { path: 'entry', details: { categories: perEntry.map((c) => c.name) } },
    );
  return [{ type: 'LifecycleEventRecorded', data: { event: command.event, categories, entry } }];
};

function triggers(c: CategorySpec) {
  return c.erasure.mode === 'keep' ? [c.retention.trigger, c.erasure.retention.trigger] : [c.retention.trigger];
}
