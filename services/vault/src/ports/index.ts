export * from './EventLog.js';
export * from './KeyStore.js';
export * from './ViewStore.js';
export * from './AccessLog.js';
export * from './KekProvider.js';
