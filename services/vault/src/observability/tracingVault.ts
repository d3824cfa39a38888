import type { SubjectCommands } from '../commands/SubjectCommands.js';
import type { VaultStores } from '../config/openStores.js';
import type { Command } from '../domain/subject.js';
import type { RecordedEvent } from '../ports/EventLog.js';
import type { Projector } from '../projections/Projector.js';
import { type StoreName, traceMethod, traceStore, tracingEnabled } from './tracing.js';

/**
 * Where the composition root puts the vault's own spans while tracing is on (and only then: off, it is handed the
 * objects untouched): every store call, each command, each projection batch. The classes themselves know nothing of
 * tracing.
 */
export function traceStores(stores: VaultStores, adapters: Record<StoreName, string>): VaultStores {
  if (!tracingEnabled()) return stores;
  // Only pg is instrumented: a store on any other known adapter has no spans beneath its calls.
  const leaf = (s: StoreName) => ['sqlite', 'memory', 'kurrentdb'].includes(adapters[s]);
  return {
    log: traceStore('eventLog', stores.log, leaf('eventLog')),
    keys: traceStore('keyStore', stores.keys, leaf('keyStore')),
    views: traceStore('viewStore', stores.views, leaf('viewStore')),
    ...(stores.access ? { access: traceStore('accessLog', stores.access, leaf('accessLog')) } : {}),
  };
}

/** A span `command <Type>` around each command of a traced request, retries and the key deletions after it included. */
export function traceCommands(commands: SubjectCommands): void {
  if (!tracingEnabled()) return;
  traceMethod(commands, 'execute', (args) => {
    const type = (args[1] as Command).type;
    return { name: `command ${type}`, attributes: { 'vault.command': type } };
  });
}

/**
 * A span `projection batch` around each non-empty batch the projector applies inside a traced request (the batch
 * that projects the request's own write); a batch outside one (another replica's writes) makes no span.
 */
export function traceProjector(projector: Projector): void {
  if (!tracingEnabled()) return;
  traceMethod(projector, 'project', (args) => {
    const events = args[0] as readonly RecordedEvent[];
    if (events.length === 0) return undefined;
    return {
      name: 'projection batch',
      attributes: {
        'vault.projection.events': events.length,
        'vault.projection.last_position': events[events.length - 1]!.position,
      },
    };
  });
}
