import { describe, expect, it } from 'vitest';

import { isVaultError } from '../domain/errors.js';
import { loadConfig } from './loadConfig.js';

describe('VAULT_PUBLIC_URL', () => {
  it('defaults to localhost on the configured port', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({}).publicUrl).toBe('http://localhost:4000');
  });

  it('keeps a path prefix and drops trailing slashes', () => {
    expect(loadConfig({ VAULT_PUBLIC_URL: 'https://vault.example.com/privacy/' }).publicUrl).toBe(
      'https://vault.example.com/privacy',
    );
  });

  it.each([
    'vault.example.com',
    'ftp://vault.example.com',
    'https://vault.example.com/?a=1',
    'https://user:pw@vault.example.com',
  ])('rejects %s with CONFIG_INVALID', (url) => {
    let error: unknown;
    try {
      loadConfig({ VAULT_PUBLIC_URL: url });
    } catch (e) {
      error = e;
    }
    expect(isVaultError(error, 'CONFIG_INVALID')).toBe(true);
  });
});
