import { createKeyWriter, type KeyWrite, type KeyWriteResult } from './keyStoreCommit.js';
import { serveWrites } from './serve.js';

/** The embedded key store's writer thread: new keys and shreds, each answered once durable, after a shred's WAL truncation. */
serveWrites<KeyWrite, KeyWriteResult>((db) => {
  const write = createKeyWriter(db);
  return { size: (w) => ('create' in w ? w.create.length : w.shred.length), commit: (writes) => write(writes) };
});
