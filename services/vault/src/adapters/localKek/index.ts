/** The embedded KEK custody: epoch keys in a slot file, sealed under the master key. */
export { getLocalKekProvider, type LocalKekProvider, type LocalKekProviderOptions } from './getLocalKekProvider.js';
