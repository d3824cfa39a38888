/** KEK custody in an HSM, through PKCS#11. */
export {
  getPkcs11KekProvider,
  DEFAULT_KEK_LABEL_PREFIX,
  DEFAULT_PKCS11_MODULE,
  type Pkcs11KekProviderOptions,
} from './pkcs11KekProvider.js';
