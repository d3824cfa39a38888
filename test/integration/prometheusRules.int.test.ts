import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { promtool, promtoolMissing } from '../support/promtool.js';

/**
 * Issue 28: the alert rules in infra/prometheus are valid for Prometheus (`promtool check rules`),
 * fire when their unit tests say (`promtool test rules`: an overdue request, a sweep that stopped,
 * an epoch that did not end, a dead letter), and only read metrics the vault exposes or documents.
 */

const dir = fileURLToPath(new URL('../../infra/prometheus/', import.meta.url));
const rules = `${dir}alerts.yml`;
const missing = promtoolMissing();
if (missing) console.log(`prometheus rules: promtool checks skipped: ${missing}`);

describe('infra/prometheus/alerts.yml', () => {
  it.skipIf(missing)('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', rules]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.skipIf(missing)('passes its unit tests (promtool test rules alerts.test.yml)', () => {
    const r = promtool(['test', 'rules', `${dir}alerts.test.yml`]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.skipIf(missing)('loads from the sample prometheus.yml (promtool check config)', () => {
    // Syntax only: the scrape token file it names exists on a Prometheus server, not here.
    const r = promtool(['check', 'config', '--syntax-only', `${dir}prometheus.yml`]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('reads only metrics that docs/operations.md lists', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/operations.md', import.meta.url)), 'utf8');
    const used = new Set([...readFileSync(rules, 'utf8').matchAll(/\b(vault_[a-z0-9_]+)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((name) => !doc.includes(`\`${name}`))).toEqual([]);
  });
});
