import { describe, expect, it } from 'vitest';

import { isVaultError } from '../domain/errors.js';
import { schemaBaseUrl } from './apiSettings.js';
import { loadConfig } from './loadConfig.js';

describe('VAULT_SCHEMA_BASE_URL', () => {
  it('is unset by default, so the server serves the schemas under its public URL', () => {
    expect(loadConfig({}).api?.schemaBaseUrl).toBeUndefined();
  });

  it('keeps a base with its final slash, and adds one when missing so relative $refs stay under it', () => {
    expect(loadConfig({ VAULT_SCHEMA_BASE_URL: 'https://schemas.example.org/pdv/v1/' }).api?.schemaBaseUrl).toBe(
      'https://schemas.example.org/pdv/v1/',
    );
    expect(loadConfig({ VAULT_SCHEMA_BASE_URL: 'https://schemas.example.org/pdv/v1' }).api?.schemaBaseUrl).toBe(
      'https://schemas.example.org/pdv/v1/',
    );
  });

  it.each([
    'schemas.example.org',
    'ftp://schemas.example.org/',
    'https://schemas.example.org/?v=1',
    'https://schemas.example.org/#x',
    'https://user:pw@schemas.example.org/',
  ])('rejects %s with CONFIG_INVALID', (url) => {
    let error: unknown;
    try {
      loadConfig({ VAULT_SCHEMA_BASE_URL: url });
    } catch (e) {
      error = e;
    }
    expect(isVaultError(error, 'CONFIG_INVALID')).toBe(true);
  });

  it('gives the schemas and the documents one base: the setting, else /schemas/ under the public URL', () => {
    expect(schemaBaseUrl(loadConfig({}))).toBe('http://localhost:4000/schemas/');
    expect(schemaBaseUrl(loadConfig({ VAULT_PUBLIC_URL: 'https://vault.example.com/privacy/' }))).toBe(
      'https://vault.example.com/privacy/schemas/',
    );
    expect(
      schemaBaseUrl(
        loadConfig({
          VAULT_PUBLIC_URL: 'https://vault.example.com',
          VAULT_SCHEMA_BASE_URL: 'https://schemas.example.org/pdv/v1',
        }),
      ),
    ).toBe('https://schemas.example.org/pdv/v1/');
    expect(schemaBaseUrl({})).toBeUndefined();
  });
});
