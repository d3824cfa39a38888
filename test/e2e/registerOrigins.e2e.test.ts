import { fixtureRegister, loadRegister, originOf, type ProcessingRegister } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Api, DPO, SERVICE, startApi, subjectPrincipal } from './apiHarness.js';

/**
 * The processing register as the API shows it gives each field's origin (issue 24): provided, observed, obtained or
 * derived, as the access report and the export use them, where `providedBySubject` said only whether it was
 * provided and called observed data, which the export holds, not the subject's. `providedBySubject` stays,
 * deprecated with its reason.
 */

const FIELDS = '{ processingRegister { categories { name fields { name origin providedBySubject } } } }';

interface Shown {
  processingRegister: {
    categories: { name: string; fields: { name: string; origin: string; providedBySubject: boolean }[] }[];
  };
}

/** Each field as `category.field origin providedBySubject`, sorted. */
const shown = (data: Shown): string[] =>
  data.processingRegister.categories
    .flatMap((c) => c.fields.map((f) => `${c.name}.${f.name} ${f.origin} ${String(f.providedBySubject)}`))
    .sort();

/** The same, from the register the vault runs with. */
const declared = (register: ProcessingRegister): string[] =>
  Object.entries(register.categories)
    .flatMap(([c, spec]) =>
      Object.entries(spec.fields).map(
        ([f, field]) => `${c}.${f} ${originOf(field)} ${String(originOf(field) === 'provided')}`,
      ),
    )
    .sort();

describe('the register’s field origins through the API', () => {
  let shipped: Api;
  let inCode: Api;
  let register: ProcessingRegister;
  let coded: ProcessingRegister;

  beforeAll(async () => {
    register = await loadRegister();
    // A register built in code says providedBySubject alone: true reads as provided, false as derived.
    coded = fixtureRegister();
    const contact = coded.categories['contact']!;
    contact.fields = { ...contact.fields, score: { type: 'number', lookup: false, providedBySubject: false } };
    [shipped, inCode] = await Promise.all([
      startApi({ vault: { register } }),
      startApi({ vault: { register: coded } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([shipped?.stop(), inCode?.stop()]);
  });

  it('gives every field of the shipped register its origin, to a service, the DPO and a subject alike', async () => {
    const expected = declared(register);
    // The shipped register declares each of the four.
    for (const origin of ['provided', 'observed', 'obtained', 'derived'])
      expect(
        expected.some((f) => f.includes(` ${origin} `)),
        origin,
      ).toBe(true);
    expect(expected).toContain('webAnalytics.visitorId observed false');
    expect(expected.filter((f) => f.startsWith('debtor.')).every((f) => f.endsWith(' obtained false'))).toBe(true);
    for (const principal of [SERVICE, DPO, subjectPrincipal('s-1')]) {
      const r = await shipped.gql<Shown>(await shipped.token(principal), FIELDS);
      expect(r.errors, principal.role).toBeUndefined();
      expect(shown(r.data!), principal.role).toEqual(expected);
    }
  });

  it('reads a register built in code with providedBySubject alone as provided or derived', async () => {
    const r = await inCode.gql<Shown>(await inCode.token(DPO), FIELDS);
    expect(r.errors).toBeUndefined();
    const fields = shown(r.data!);
    expect(fields).toEqual(declared(coded));
    expect(fields).toContain('contact.score derived false');
    expect(fields).toContain('contact.email provided true');
  });

  it('marks providedBySubject deprecated in favour of origin, whose values are the four origins', async () => {
    const r = await shipped.gql(
      await shipped.token(SERVICE),
      `{ field: __type(name: "FieldSpec") { fields(includeDeprecated: true) {
           name isDeprecated deprecationReason type { kind ofType { name kind } } } }
         origin: __type(name: "FieldOrigin") { enumValues { name } }
         current: __type(name: "FieldSpec") { fields { name } } }`,
    );
    expect(r.errors).toBeUndefined();
    const fields = r.data!.field.fields as {
      name: string;
      isDeprecated: boolean;
      deprecationReason: string | null;
      type: { kind: string; ofType: { name: string; kind: string } };
    }[];
    const byName = new Map(fields.map((f) => [f.name, f]));
    expect(byName.get('origin')).toMatchObject({
      isDeprecated: false,
      type: { kind: 'NON_NULL', ofType: { name: 'FieldOrigin', kind: 'ENUM' } },
    });
    expect(byName.get('providedBySubject')).toMatchObject({ isDeprecated: true });
    expect(byName.get('providedBySubject')!.deprecationReason).toMatch(/origin/);
    expect((r.data!.origin.enumValues as { name: string }[]).map((v) => v.name)).toEqual([
      'provided',
      'observed',
      'obtained',
      'derived',
    ]);
    // Without includeDeprecated, a client's tooling sees origin and no providedBySubject.
    expect((r.data!.current.fields as { name: string }[]).map((f) => f.name).sort()).toEqual([
      'lookup',
      'name',
      'origin',
      'type',
    ]);
  });
});
