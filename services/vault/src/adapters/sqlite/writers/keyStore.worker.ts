import { workerData } from 'node:worker_threads';

import { openSlotFile } from '../../slotFile/openSlotFile.js';
import { createKeyWriter, type KeyWrite, type KeyWriteResult, slotPathOf } from './keyStoreCommit.js';
import { serveWrites, type WriterThreadOptions } from './serve.js';

/**
 * The embedded key store's writer thread: new keys and shreds, each answered once durable (slots synced, then
 * committed).
 */
serveWrites<KeyWrite, KeyWriteResult>((db) => {
  const slots = openSlotFile(slotPathOf((workerData as WriterThreadOptions).path));
  const write = createKeyWriter(db, slots);
  return {
    size: (w) => ('create' in w ? w.create.length : w.shred.length),
    commit: (writes) => write(writes),
    close: () => slots.close(),
  };
});
