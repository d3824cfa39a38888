import type { StoredKey } from '../../../ports/KeyStore.js';
import { createKeyCreator } from './keyStoreCommit.js';
import { serveWrites } from './serve.js';

/** The embedded key store's writer thread: batches of new keys, each answered with the keys stored under its ids once durable. */
serveWrites<StoredKey[], StoredKey[]>((db) => {
  const create = createKeyCreator(db);
  return { size: (keys) => keys.length, commit: (batches) => create(batches) };
});
