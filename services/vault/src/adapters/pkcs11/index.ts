/** KEK custody in an HSM, through PKCS#11. */
export {
  DEFAULT_KEK_LABEL_PREFIX,
  DEFAULT_PKCS11_MODULE,
  getPkcs11KekProvider,
  type Pkcs11KekProviderOptions,
} from './pkcs11KekProvider.js';
