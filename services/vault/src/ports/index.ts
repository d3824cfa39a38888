export * from './AccessLog.js';
export * from './Commands.js';
export * from './EventLog.js';
export * from './KekProvider.js';
export * from './KeyStore.js';
export * from './LeaseStore.js';
export * from './NotificationTransport.js';
export * from './ViewStore.js';
