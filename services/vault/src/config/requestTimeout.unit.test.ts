import { describe, expect, it } from 'vitest';

import { loadConfig } from './loadConfig.js';

describe('VAULT_REQUEST_TIMEOUT_MS', () => {
  it('defaults to 30 s, takes milliseconds, and 0 turns it off', () => {
    expect(loadConfig({}).requestTimeoutMs).toBe(30_000);
    expect(loadConfig({ VAULT_REQUEST_TIMEOUT_MS: '5000' }).requestTimeoutMs).toBe(5_000);
    expect(loadConfig({ VAULT_REQUEST_TIMEOUT_MS: '0' }).requestTimeoutMs).toBe(0);
  });

  it('refuses what is not a whole non-negative number of milliseconds, naming the variable', () => {
    for (const bad of ['-1', '2.5', '30s', 'soon']) {
      expect(() => loadConfig({ VAULT_REQUEST_TIMEOUT_MS: bad })).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining('VAULT_REQUEST_TIMEOUT_MS'),
        }),
      );
    }
  });
});
