export * from './blindIndex.js';
export * from './envelope.js';
export * from './keyRing.js';
export * from './masterKey.js';
export * from './sealedFields.js';
export * from './secretbox.js';
export * from './signer.js';
