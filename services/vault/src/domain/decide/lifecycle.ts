import { unknownName } from '../names.js';
import type { CategorySpec } from '../register.js';
import type { CommandOf, Decider } from './command.js';

/**
 * A lifecycle event the register knows (e.g. the relationship ended), with the categories whose
 * retention or legal-hold clock it starts.
 */
export const recordLifecycleEvent: Decider<CommandOf<'RecordLifecycleEvent'>> = (_state, command, { register }) => {
  if (!register.lifecycleEvents.includes(command.event)) {
    throw unknownName('lifecycle event', register.lifecycleEvents, 'event');
  }
  const categories = Object.values(register.categories)
    .filter((c) => triggers(c).some((t) => t.kind === 'lifecycle' && t.event === command.event))
    .map((c) => c.name);
  return [{ type: 'LifecycleEventRecorded', data: { event: command.event, categories } }];
};

function triggers(c: CategorySpec) {
  return c.erasure.mode === 'keep' ? [c.retention.trigger, c.erasure.retention.trigger] : [c.retention.trigger];
}
