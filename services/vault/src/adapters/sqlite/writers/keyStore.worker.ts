import { workerData } from 'node:worker_threads';

import { openSlotFile } from '../../slotFile/openSlotFile.js';
import { createKeyWriter, type KeyWrite, type KeyWriteResult, keyWriteSize, slotPathOf } from './keyStoreCommit.js';
import { serveWrites, type WriterThreadOptions } from './serve.js';

/**
 * The embedded key store's writer thread: new keys, shreds and re-wraps, each answered once durable (slots synced, then
 * committed).
 */
serveWrites<KeyWrite, KeyWriteResult>((db) => {
  const slots = openSlotFile(slotPathOf((workerData as WriterThreadOptions).path));
  const write = createKeyWriter(db, slots);
  return {
    size: keyWriteSize,
    commit: (writes) => write(writes),
    close: () => slots.close(),
  };
});
