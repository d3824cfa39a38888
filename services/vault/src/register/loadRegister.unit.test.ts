import { describe, expect, it } from 'vitest';

import { isVaultError, type VaultError } from '../domain/errors.js';
import { loadRegister, parseRegister, type RegisterIssue } from './index.js';

/** A small valid register; tests break one thing at a time by replacing a line. */
const MINIMAL = `version: 1
controller: { name: Example Ltd, contact: privacy@example.com }
dpo: { name: Example DPO, contact: dpo@example.com }
supervisoryAuthority: { name: Example DPA, contact: info@dpa.example }
lifecycleEvents: [relationshipEnded]
purposes:
  contract:
    description: Providing the service.
    dpv: dpv:ServiceProvision
  newsletter:
    description: Sending the newsletter.
    dpv: dpv:DirectMarketing
    directMarketing: true
    requiresConsent: true
categories:
  contact:
    description: How we reach the customer.
    dpv: pd:Contact
    fields:
      email: { type: email, lookup: true }
      name: string
    purposes: [contract]
    legalBasis: [contract]
    retention:
      duration: P8Y
      trigger: { lifecycle: relationshipEnded }
    sources: [subject]
`;

/** Replaces the first line containing `find` (whole line) with `replacement`. */
function edit(text: string, find: string, replacement: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(find));
  if (i < 0) throw new Error(`fixture has no line with ${find}`);
  lines[i] = replacement;
  return lines.join('\n');
}

const lineOf = (text: string, find: string): number => text.split('\n').findIndex((l) => l.includes(find)) + 1;

function issuesOf(text: string): { error: VaultError; issues: RegisterIssue[] } {
  try {
    parseRegister(text, 'register.yaml');
  } catch (e) {
    if (!isVaultError(e, 'REGISTER_INVALID')) throw e;
    return { error: e, issues: e.details?.['issues'] as RegisterIssue[] };
  }
  throw new Error('expected the register to be rejected');
}

describe('loadRegister', () => {
  it('loads the shipped default register with its 14 categories and the periods the policies promise', async () => {
    const register = await loadRegister();
    const summary = Object.fromEntries(
      Object.values(register.categories).map((c) => [
        c.name,
        [c.retention.duration, c.retention.trigger, c.erasure.mode],
      ]),
    );
    expect(summary).toEqual({
      contact: ['P8Y', { kind: 'lifecycle', event: 'relationshipEnded' }, 'shred'],
      identity: ['P8Y', { kind: 'lifecycle', event: 'relationshipEnded' }, 'shred'],
      customer: ['P8Y', { kind: 'lifecycle', event: 'lastServiceDelivered' }, 'shred'],
      marketing: ['P3Y', { kind: 'lastActivity' }, 'shred'],
      accounting: ['P10Y', { kind: 'recorded' }, 'keep'],
      callRecordings: ['P30D', { kind: 'recorded' }, 'shred'],
      communications: ['P5Y', { kind: 'recorded' }, 'shred'],
      newsletterSubscription: ['P3Y', { kind: 'lastActivity' }, 'shred'],
      webForms: ['P5Y', { kind: 'recorded' }, 'shred'],
      webAnalytics: ['P5Y', { kind: 'recorded' }, 'shred'],
      debtCollection: ['P3Y', { kind: 'lifecycle', event: 'caseClosed' }, 'shred'],
      debtor: ['P3Y', { kind: 'lifecycle', event: 'caseClosed' }, 'shred'],
      creditInformation: ['P1Y', { kind: 'recorded' }, 'shred'],
      antiMoneyLaundering: ['P5Y', { kind: 'lifecycle', event: 'relationshipEnded' }, 'keep'],
    });
  });

  it('gives the kept categories of the default register their law and legal period', async () => {
    const { categories } = await loadRegister();
    expect(categories['accounting']?.erasure).toMatchObject({
      mode: 'keep',
      law: expect.stringContaining('10 years'),
      retention: { duration: 'P10Y', trigger: { kind: 'recorded' } },
    });
    expect(categories['antiMoneyLaundering']?.erasure).toMatchObject({
      mode: 'keep',
      retention: { duration: 'P5Y', trigger: { kind: 'lifecycle', event: 'relationshipEnded' } },
    });
  });

  it('describes marketing that stops on objection, a credit score and a transfer outside the EEA', async () => {
    const { purposes, categories } = await loadRegister();
    expect(purposes['marketing']).toMatchObject({ name: 'marketing', directMarketing: true, requiresConsent: true });
    expect(categories['marketing']).toMatchObject({
      onConsentWithdrawn: 'shred',
      onObjection: 'shred',
      legalBasis: ['consent'],
    });
    expect(categories['creditInformation']?.automatedDecisionMaking).toMatch(/credit scoring/i);
    expect(categories['creditInformation']?.sources).toEqual(['creditAgency']);
    expect(Object.values(categories['creditInformation']?.fields ?? {}).map((f) => f.origin)).toEqual([
      'obtained',
      'obtained',
    ]);
    expect(new Set(Object.values(categories['debtor']?.fields ?? {}).map((f) => f.origin))).toEqual(
      new Set(['obtained']),
    );
    expect(Object.values(categories['webAnalytics']?.fields ?? {}).map((f) => f.origin)).toEqual([
      'observed',
      'observed',
    ]);
    expect(purposes['marketing']?.descriptions?.nb).toMatch(/tilbud/);
    expect(categories['contact']?.descriptions?.da).toMatch(/kontakter dig/);
    expect(categories['contact']?.transfers[0]).toMatchObject({
      country: 'US',
      safeguard: expect.stringMatching(/standard contractual clauses/i),
      dpv: 'eu-gdpr:A46-2-c',
    });
    expect(categories['contact']?.fields['email']).toEqual({
      type: 'email',
      lookup: true,
      providedBySubject: true,
      origin: 'provided',
    });
  });

  it('rejects a register path that cannot be read with REGISTER_INVALID', async () => {
    await expect(loadRegister('/nonexistent/register.yaml')).rejects.toSatisfy((e) =>
      isVaultError(e, 'REGISTER_INVALID'),
    );
  });
});

describe('parseRegister', () => {
  it('applies the defaults and takes names from the map keys', () => {
    const register = parseRegister(MINIMAL, 'register.yaml');
    expect(register.lifecycleEvents).toEqual(['relationshipEnded']);
    expect(register.purposes['contract']).toEqual({
      name: 'contract',
      description: 'Providing the service.',
      dpv: 'dpv:ServiceProvision',
      directMarketing: false,
      requiresConsent: false,
    });
    expect(register.categories['contact']).toEqual({
      name: 'contact',
      description: 'How we reach the customer.',
      dpv: 'pd:Contact',
      fields: {
        email: { type: 'email', lookup: true, providedBySubject: true, origin: 'provided' },
        name: { type: 'string', lookup: false, providedBySubject: true, origin: 'provided' },
      },
      purposes: ['contract'],
      legalBasis: ['contract'],
      retention: { duration: 'P8Y', trigger: { kind: 'lifecycle', event: 'relationshipEnded' } },
      recipients: [],
      transfers: [],
      specialCategory: false,
      erasure: { mode: 'shred' },
      sources: ['subject'],
      automatedDecisionMaking: null,
      automatedDecisionFactors: [],
      onConsentWithdrawn: 'stop',
      onObjection: 'stop',
    });
  });

  it('maps the compact triggers recorded and lastActivity to the trigger union', () => {
    const recorded = parseRegister(edit(MINIMAL, 'trigger:', '      trigger: recorded'), 'r.yaml');
    expect(recorded.categories['contact']?.retention.trigger).toEqual({ kind: 'recorded' });
    const last = parseRegister(edit(MINIMAL, 'trigger:', '      trigger: lastActivity'), 'r.yaml');
    expect(last.categories['contact']?.retention.trigger).toEqual({ kind: 'lastActivity' });
  });

  it('names the line, column and path of a field with an invalid type', () => {
    const text = edit(MINIMAL, 'email:', '      email: { type: emial, lookup: true }');
    const { error, issues } = issuesOf(text);
    const line = lineOf(text, 'emial');
    expect(issues).toEqual([
      {
        path: 'categories.contact.fields.email.type',
        line,
        column: 22,
        message: expect.stringContaining('expected one of email, phone, string'),
      },
    ]);
    expect(error.message).toContain(
      `register.yaml:${line}:22 categories.contact.fields.email.type: expected one of email, phone`,
    );
  });

  it('reports every issue in the file at once, in line order', () => {
    let text = edit(MINIMAL, 'version:', 'version: 2');
    text = edit(text, 'legalBasis:', '    legalBasis: [contrakt]');
    text = edit(text, 'sources:', '    sources: [subject]\n    colour: blue');
    const { error, issues } = issuesOf(text);
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['version', 1],
      ['categories.contact.legalBasis[0]', lineOf(text, 'contrakt')],
      ['categories.contact.colour', lineOf(text, 'colour')],
    ]);
    expect(error.message).toContain('3 issues');
  });

  it('rejects a purpose a category names but the register does not declare, with its path', () => {
    const text = edit(MINIMAL, 'purposes: [contract]', '    purposes: [contract, billing]');
    const { issues } = issuesOf(text);
    expect(issues).toEqual([
      {
        path: 'categories.contact.purposes[1]',
        line: lineOf(text, 'billing'),
        column: 26,
        message: 'purpose "billing" is not declared in purposes',
      },
    ]);
  });

  it('rejects onObjection: shred where no objection can reach (no marketing, legitimate interest or task)', () => {
    const text = edit(MINIMAL, 'sources:', '    sources: [subject]\n    onObjection: shred');
    const { issues } = issuesOf(text);
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'categories.contact.onObjection',
        line: lineOf(text, 'onObjection'),
        message: expect.stringContaining('onObjection: shred never applies'),
      }),
    ]);
    // Reached on legitimate interests, or for a direct-marketing purpose: accepted.
    expect(() =>
      parseRegister(edit(text, 'legalBasis:', '    legalBasis: [contract, legitimateInterest]'), 'r.yaml'),
    ).not.toThrow();
    const marketing = edit(
      edit(text, 'purposes: [contract]', '    purposes: [newsletter]'),
      'legalBasis:',
      '    legalBasis: [consent]',
    );
    expect(() => parseRegister(marketing, 'r.yaml')).not.toThrow();
  });

  it('rejects a lifecycle trigger naming an undeclared event', () => {
    const { issues } = issuesOf(edit(MINIMAL, 'lifecycleEvents:', 'lifecycleEvents: [caseClosed]'));
    expect(issues).toMatchObject([
      {
        path: 'categories.contact.retention.trigger.lifecycle',
        message: expect.stringContaining('"relationshipEnded" is not declared'),
      },
    ]);
  });

  it('rejects a duration that is not ISO 8601', () => {
    const text = edit(MINIMAL, 'duration:', '      duration: 8 years');
    const { issues } = issuesOf(text);
    expect(issues).toMatchObject([
      {
        path: 'categories.contact.retention.duration',
        line: lineOf(text, '8 years'),
        message: expect.stringContaining('ISO 8601'),
      },
    ]);
  });

  it('takes how long a consent to a purpose lasts, and rejects a validity that is not ISO 8601', () => {
    const lasting = edit(MINIMAL, 'requiresConsent: true', '    requiresConsent: true\n    consentValidFor: P2Y');
    expect(parseRegister(lasting, 'register.yaml').purposes.newsletter!.consentValidFor).toBe('P2Y');
    expect(parseRegister(MINIMAL, 'register.yaml').purposes.newsletter!.consentValidFor).toBeUndefined();
    const text = edit(MINIMAL, 'requiresConsent: true', '    requiresConsent: true\n    consentValidFor: two years');
    expect(issuesOf(text).issues).toMatchObject([
      { path: 'purposes.newsletter.consentValidFor', message: expect.stringContaining('ISO 8601') },
    ]);
  });
  it("takes the controller's answer period from the controller section, and leaves it unset by default", () => {
    expect(parseRegister(MINIMAL, 'r.yaml').answerPeriod).toBeUndefined();
    const controller = 'controller: { name: Example Ltd, contact: privacy@example.com, answerPeriod: P30D }';
    const register = parseRegister(edit(MINIMAL, 'controller:', controller), 'r.yaml');
    expect(register.answerPeriod).toBe('P30D');
    // The reports name the controller as a party: the period is not one of its contact details.
    expect(register.controller).toEqual({ name: 'Example Ltd', contact: 'privacy@example.com' });
    for (const period of ['P1M', 'P4W', 'P31D', 'P0Y1M']) {
      const text = edit(MINIMAL, 'controller:', `controller: { name: E, contact: e@x.test, answerPeriod: ${period} }`);
      expect(parseRegister(text, 'r.yaml').answerPeriod).toBe(period);
    }
  });

  it.each([
    ['P32D', "longer than the law's one calendar month"],
    ['P1M1D', "longer than the law's one calendar month"],
    ['P2M', "longer than the law's one calendar month"],
    ['P1Y', "longer than the law's one calendar month"],
    ['P5W', "longer than the law's one calendar month"],
    ['P0D', 'longer than zero'],
    ['30 days', 'ISO 8601'],
  ])('refuses the answer period %s at start, naming its path', (period, message) => {
    const text = edit(MINIMAL, 'controller:', `controller: { name: E, contact: e@x.test, answerPeriod: ${period} }`);
    const { error, issues } = issuesOf(text);
    expect(error.code).toBe('REGISTER_INVALID');
    expect(error.path).toBe('controller.answerPeriod');
    expect(issues).toMatchObject([
      { path: 'controller.answerPeriod', line: 2, message: expect.stringContaining(message) },
    ]);
  });

  it('names the line of a YAML syntax error', () => {
    const text = edit(MINIMAL, 'purposes: [contract]', '    purposes: [contract');
    const { error, issues } = issuesOf(text);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.line).toBeGreaterThanOrEqual(lineOf(text, '[contract'));
    expect(issues[0]?.message).toMatch(/^YAML syntax/);
    expect(error.message).toMatch(/register\.yaml:\d+:\d+ /);
  });

  it('rejects a duplicate key as a YAML error', () => {
    const { issues } = issuesOf(edit(MINIMAL, '    sources:', '    sources: [subject]\n    sources: [subject]'));
    expect(issues[0]?.message).toMatch(/YAML syntax: .*unique/i);
  });

  it('rejects erasure mode keep without the law and its period, pointing at the erasure key', () => {
    const text = edit(MINIMAL, 'sources:', '    sources: [subject]\n    erasure: { mode: keep }');
    const { issues } = issuesOf(text);
    const line = lineOf(text, 'erasure:');
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['categories.contact.erasure.law', line],
      ['categories.contact.erasure.retention', line],
    ]);
  });

  it('accepts erasure mode keep with a law and a retention rule', () => {
    const text = edit(
      MINIMAL,
      'sources:',
      '    sources: [subject]\n    erasure:\n      mode: keep\n      law: bookkeeping law\n      retention: { ' +
        'duration: P10Y, trigger: recorded }',
    );
    expect(parseRegister(text, 'r.yaml').categories['contact']?.erasure).toEqual({
      mode: 'keep',
      law: 'bookkeeping law',
      retention: { duration: 'P10Y', trigger: { kind: 'recorded' } },
    });
  });

  it('allows lookup only on email, phone and string fields', () => {
    const { issues } = issuesOf(edit(MINIMAL, 'name: string', '      name: { type: date, lookup: true }'));
    expect(issues).toMatchObject([
      {
        path: 'categories.contact.fields.name.lookup',
        message: expect.stringContaining('only possible on email, phone or string'),
      },
    ]);
  });

  it('rejects names that are not camelCase identifiers, pointing at the key', () => {
    const text = edit(MINIMAL, 'name: string', '      full-name: string');
    const { issues } = issuesOf(text);
    expect(issues).toEqual([
      {
        path: 'categories.contact.fields.full-name',
        line: lineOf(text, 'full-name'),
        column: 7,
        message: expect.stringContaining('is not a name'),
      },
    ]);
  });

  it('rejects names every object has (constructor, toString) and keeps prototype members out of its maps', () => {
    const text = edit(MINIMAL, 'name: string', '      constructor: string');
    expect(issuesOf(text).issues).toEqual([
      {
        path: 'categories.contact.fields.constructor',
        line: lineOf(text, 'constructor'),
        column: 7,
        message: expect.stringContaining('is reserved'),
      },
    ]);
    const register = parseRegister(MINIMAL, 'r.yaml');
    for (const name of ['constructor', 'toString', '__proto__']) {
      expect(register.purposes[name]).toBeUndefined();
      expect(register.categories[name]).toBeUndefined();
      expect(register.categories['contact']!.fields[name]).toBeUndefined();
    }
  });

  it('requires a consent basis for a category used for a purpose that requires consent', () => {
    const { issues } = issuesOf(edit(MINIMAL, 'purposes: [contract]', '    purposes: [contract, newsletter]'));
    expect(issues).toMatchObject([
      { path: 'categories.contact.legalBasis', message: expect.stringContaining('must include consent') },
    ]);
  });

  it('requires a transfer to name a recipient of the category and a country outside the EEA', () => {
    const text = edit(
      MINIMAL,
      'sources:',
      '    sources: [subject]\n    transfers: [{ country: DE, recipient: Mailer, safeguard: SCCs, dpv: ' +
        'eu-gdpr:A46-2-c }]',
    );
    const { issues } = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual([
      'categories.contact.transfers[0].country',
      'categories.contact.transfers[0].recipient',
    ]);
  });

  it("requires a source that fits each field's origin: subject, observed or a third party", () => {
    const { issues } = issuesOf(edit(MINIMAL, 'sources:', '    sources: [creditAgency]'));
    expect(issues.map((i) => i.path)).toEqual(['categories.contact.fields.email', 'categories.contact.fields.name']);
    expect(issues[0]?.message).toMatch(/provided .* does not list subject/);
    const observed = issuesOf(
      edit(
        edit(MINIMAL, 'sources:', '    sources: [subject]'),
        '      name: string',
        '      name: { type: string, origin: observed }',
      ),
    );
    expect(observed.issues.map((i) => [i.path, i.message])).toEqual([
      ['categories.contact.fields.name', expect.stringMatching(/observed .* does not list observed/)],
    ]);
    const derived = issuesOf(
      edit(
        edit(MINIMAL, 'sources:', '    sources: [creditAgency]'),
        'email:',
        '      email: { type: email, origin: derived }',
      ),
    );
    expect(derived.issues.map((i) => i.path)).toEqual(['categories.contact.fields.name']);
    // Obtained data needs a third party among the sources: a credit agency will do, the subject will not.
    const obtained = edit(MINIMAL, '      name: string', '      name: { type: string, origin: obtained }');
    expect(issuesOf(obtained).issues.map((i) => [i.path, i.message])).toEqual([
      [
        'categories.contact.fields.name',
        expect.stringMatching(/obtained .* does not list publicRegister or creditAgency or thirdParty or tradeShow/),
      ],
    ]);
    const fromAgency = parseRegister(edit(obtained, 'sources:', '    sources: [subject, creditAgency]'), 'r.yaml');
    expect(fromAgency.categories['contact']?.fields['name']).toMatchObject({
      origin: 'obtained',
      providedBySubject: false,
    });
  });

  it('reads providedBySubject: false of an older register as derived, and refuses it beside an origin', () => {
    const old = parseRegister(
      edit(MINIMAL, '      name: string', '      name: { type: string, providedBySubject: false }'),
      'register.yaml',
    );
    expect(old.categories['contact']?.fields['name']).toMatchObject({ origin: 'derived', providedBySubject: false });
    const both = issuesOf(
      edit(MINIMAL, '      name: string', '      name: { type: string, origin: derived, providedBySubject: false }'),
    );
    expect(both.issues.map((i) => i.message)).toEqual([expect.stringMatching(/not providedBySubject as well/)]);
  });

  it('takes receiving controllers with an https endpoint, http only on the loopback, no credentials', () => {
    const withReceivers = (endpoint: string) =>
      `${MINIMAL}receivingControllers:\n  acme:\n    name: Acme Energy AS\n    endpoint: ${endpoint}\n`;
    const ok = parseRegister(withReceivers('https://import.acme.example/pdv'), 'register.yaml');
    expect(ok.receivingControllers).toEqual({
      acme: { name: 'Acme Energy AS', endpoint: 'https://import.acme.example/pdv' },
    });
    expect(
      parseRegister(withReceivers('http://127.0.0.1:8080/in'), 'r.yaml').receivingControllers?.['acme'],
    ).toBeTruthy();
    for (const endpoint of [
      'http://import.acme.example/pdv',
      'https://user:secret@import.acme.example/pdv',
      'ftp://import.acme.example/',
      'not a url',
    ]) {
      expect(issuesOf(withReceivers(endpoint)).issues.map((i) => i.path)).toEqual([
        'receivingControllers.acme.endpoint',
      ]);
    }
    expect(issuesOf(withReceivers('https://x.example/').replace('  acme:', '  Acme:')).issues[0]?.path).toBe(
      'receivingControllers.Acme',
    );
  });

  it('takes automated-decision factors only among the fields of their category, with a decision', () => {
    const adm = edit(MINIMAL, 'sources:', '    sources: [subject]\n    automatedDecisionMaking: Scoring.');
    expect(
      parseRegister(`${adm.trimEnd()}\n    automatedDecisionFactors: [email]\n`, 'r.yaml').categories['contact']
        ?.automatedDecisionFactors,
    ).toEqual(['email']);
    expect(issuesOf(`${adm.trimEnd()}\n    automatedDecisionFactors: [income]\n`).issues.map((i) => i.message)).toEqual(
      ['"income" is not a field of this category'],
    );
    expect(issuesOf(`${MINIMAL.trimEnd()}\n    automatedDecisionFactors: [email]\n`).issues[0]?.message).toMatch(
      /need automatedDecisionMaking/,
    );
  });

  it('takes translations beside each text it quotes, and refuses a language it has no report in or no English', () => {
    const translatedTexts = edit(
      MINIMAL,
      'sources:',
      [
        '    sources: [subject]',
        '    recipients:',
        '      - { name: Mailer, role: processor, purpose: Mailing., purposeTranslations: { nb: Utsending. } }',
        '    transfers:',
        '      - { country: US, recipient: Mailer, safeguard: SCCs., ' +
          'safeguardTranslations: { da: Standardklausuler. }, dpv: eu-gdpr:A46-2-c }',
        '    automatedDecisionMaking: Scoring.',
        '    automatedDecisionMakingTranslations: { nb: Poengsetting., da: Pointgivning. }',
        '    erasure: { mode: keep, law: Bookkeeping., lawTranslations: { nb: Bokføring. }, retention: ' +
          '{ duration: P10Y, trigger: recorded } }',
      ].join('\n'),
    );
    const contact = parseRegister(translatedTexts, 'register.yaml').categories['contact']!;
    expect(contact.recipients[0]?.purposeTranslations).toEqual({ nb: 'Utsending.' });
    expect(contact.transfers[0]?.safeguardTranslations).toEqual({ da: 'Standardklausuler.' });
    expect(contact.automatedDecisionMakingTranslations).toEqual({ nb: 'Poengsetting.', da: 'Pointgivning.' });
    expect(contact.erasure).toMatchObject({ mode: 'keep', lawTranslations: { nb: 'Bokføring.' } });

    const german = issuesOf(translatedTexts.replace('{ nb: Utsending. }', '{ de: Versand. }')).issues;
    expect(german.map((i) => [i.path, i.message])).toEqual([
      ['categories.contact.recipients[0].purposeTranslations.de', expect.stringMatching(/unknown key/)],
    ]);
    const empty = issuesOf(translatedTexts.replace('{ nb: Poengsetting., da: Pointgivning. }', "{ nb: '' }")).issues;
    expect(empty.map((i) => i.path)).toEqual(['categories.contact.automatedDecisionMakingTranslations.nb']);
    // Translations of a text the register does not give: nothing for the report to put them beside.
    const orphans = issuesOf(
      translatedTexts
        .replace('    automatedDecisionMaking: Scoring.\n', '')
        .replace(', purpose: Mailing.', '')
        .replace(
          'trigger: { lifecycle: relationshipEnded }',
          'trigger: { lifecycle: relationshipEnded }\n' + '      descriptions: { nb: Lagres i 8 år. }',
        ),
    ).issues;
    expect(orphans.map((i) => [i.path, i.message])).toEqual([
      ['categories.contact.retention.descriptions', 'translations, but no description for them to translate'],
      ['categories.contact.recipients[0].purposeTranslations', 'translations, but no purpose for them to translate'],
      [
        'categories.contact.automatedDecisionMakingTranslations',
        'translations, but no automatedDecisionMaking for them to translate',
      ],
    ]);
  });

  it('reports a missing required key at the key of its parent', () => {
    const text = MINIMAL.replace('    description: How we reach the customer.\n', '');
    const { issues } = issuesOf(text);
    expect(issues).toEqual([
      {
        path: 'categories.contact.description',
        line: lineOf(text, '  contact:'),
        column: 3,
        message: 'required (text)',
      },
    ]);
  });
});
