/** The processing register (Art. 30 record): loaded from YAML and validated at start. */
export { loadRegister, parseRegister, type RegisterIssue } from './loadRegister.js';
