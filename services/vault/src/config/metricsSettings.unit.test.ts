import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { loadMetricsSettings } from './metricsSettings.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'pdv-metrics-'));
  dirs.push(dir);
  return dir;
};

describe('metrics settings', () => {
  it('are on by default, on the API port, without a token', () => {
    expect(loadMetricsSettings({})).toEqual({ enabled: true });
  });

  it('turn off, move to a port of their own and read the scrape token from a file', () => {
    const file = join(scratch(), 'token');
    writeFileSync(file, `${'t'.repeat(40)}\n`);
    expect(loadMetricsSettings({ VAULT_METRICS: 'off' }).enabled).toBe(false);
    expect(
      loadMetricsSettings({
        VAULT_METRICS_PORT: '9464',
        VAULT_METRICS_HOST: '0.0.0.0',
        VAULT_METRICS_TOKEN_FILE: file,
      }),
    ).toEqual({ enabled: true, port: 9464, host: '0.0.0.0', token: 't'.repeat(40) });
  });

  it('refuse what they cannot use, naming the variable', () => {
    const file = join(scratch(), 'short');
    writeFileSync(file, 'too-short');
    expect(() => loadMetricsSettings({ VAULT_METRICS: 'maybe' })).toThrow(/VAULT_METRICS must be on or off/);
    expect(() => loadMetricsSettings({ VAULT_METRICS_PORT: '70000' })).toThrow(/VAULT_METRICS_PORT/);
    expect(() => loadMetricsSettings({ VAULT_METRICS_TOKEN_FILE: file })).toThrow(/at least 32 characters/);
    expect(() => loadMetricsSettings({ VAULT_METRICS_TOKEN_FILE: `${file}-missing` })).toThrow(/cannot be read/);
  });
});
