import { describe, expect, it } from 'vitest';

import { DEFAULT_TRANSMISSION_SWEEP_MS, loadConfig } from './loadConfig.js';

describe('VAULT_TRANSMISSION_SWEEP_MS', () => {
  it('defaults to 15 s (set to nothing too) and takes milliseconds from a second to a day', () => {
    expect(DEFAULT_TRANSMISSION_SWEEP_MS).toBe(15_000);
    expect(loadConfig({}).transmissionSweepMs).toBe(15_000);
    expect(loadConfig({ VAULT_TRANSMISSION_SWEEP_MS: '' }).transmissionSweepMs).toBe(15_000);
    expect(loadConfig({ VAULT_TRANSMISSION_SWEEP_MS: '1000' }).transmissionSweepMs).toBe(1_000);
    expect(loadConfig({ VAULT_TRANSMISSION_SWEEP_MS: '60000' }).transmissionSweepMs).toBe(60_000);
    expect(loadConfig({ VAULT_TRANSMISSION_SWEEP_MS: '86400000' }).transmissionSweepMs).toBe(86_400_000);
  });

  it('refuses what is not a whole number of milliseconds in that range with CONFIG_INVALID, naming it', () => {
    // 0 would sweep without pause, and past 2^31 - 1 ms a timer fires at once: neither is a setting.
    for (const bad of ['0', '999', '-1', '2.5', '15s', 'soon', '86400001', '2147483648']) {
      expect(() => loadConfig({ VAULT_TRANSMISSION_SWEEP_MS: bad }), bad).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining('VAULT_TRANSMISSION_SWEEP_MS'),
        }),
      );
    }
  });
});
