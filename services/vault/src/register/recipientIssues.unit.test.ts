import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { isVaultError } from '../domain/errors.js';
import { parseRegister } from './loadRegister.js';

const shipped = readFileSync(new URL('../../register/default-register.yaml', import.meta.url), 'utf8');
const withRecipients = (yaml: string) => parseRegister(`${shipped}\nrecipients:\n${yaml}`, 'register.yaml');

function issuesOf(yaml: string): string[] {
  try {
    withRecipients(yaml);
  } catch (e) {
    if (isVaultError(e))
      return (e.details?.['issues'] as { message: string; path: string }[]).map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('recipients in the register', () => {
  it('reads an internal service by webhook and an external recipient by pull, with their defaults', () => {
    const register = withRecipients(
      [
        '  crm:',
        '    service: crm',
        '    webhook: { url: "https://crm.example/hooks/vault", secret: { env: VAULT_RECIPIENT_CRM_SECRET } }',
        '  collections:',
        '    label: Example Collections Ltd',
        '    categories: [debtor]',
        '    pull: true',
        '    acknowledgement: callback',
        '    acknowledgeWithin: P3D',
      ].join('\n'),
    );
    expect(register.recipients?.['crm']).toEqual({
      name: 'crm',
      service: 'crm',
      delivery: {
        kind: 'webhook',
        url: 'https://crm.example/hooks/vault',
        secret: { env: 'VAULT_RECIPIENT_CRM_SECRET' },
      },
      acknowledgement: 'response',
      acknowledgeWithin: 'P7D',
    });
    expect(register.recipients?.['collections']).toMatchObject({
      categories: ['debtor'],
      delivery: { kind: 'pull' },
      acknowledgement: 'callback',
      acknowledgeWithin: 'P3D',
    });
  });

  it('refuses unknown categories and purposes, plain http, a service twice and no way to deliver', () => {
    const issues = issuesOf(
      [
        '  a:',
        '    categories: [nope]',
        '    purposes: [nothing]',
        '    webhook: { url: "http://crm.example/h", secret: { file: /run/secret } }',
        '  b:',
        '    service: crm',
        '    pull: true',
        '  c:',
        '    service: crm',
        '  d:',
        '    pull: true',
      ].join('\n'),
    );
    const text = issues.join('\n');
    expect(text).toContain('category "nope" is not declared');
    expect(text).toContain('purpose "nothing" is not declared');
    expect(text).toContain('expected an https URL');
    expect(text).toContain('service "crm" is already the recipient "b"');
    expect(text).toContain('give either webhook');
    expect(text).toContain('must list the categories it receives');
  });

  it('never takes a secret written into the register itself', () => {
    const issues = issuesOf('  a:\n    service: crm\n    webhook: { url: "https://x.example/h", secret: "whsec_abc" }');
    expect(issues.join('\n')).toContain('expected { env: AN_ENVIRONMENT_VARIABLE } or { file: /path/to/secret }');
  });
});
