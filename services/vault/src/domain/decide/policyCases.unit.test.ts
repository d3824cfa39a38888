import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import { loadRegister } from '../../register/loadRegister.js';
import { day, playOn, runAt, S, T1 } from '../../testing/givenCases.js';
import { item } from '../../testing/givenSubject.js';
import type { ProcessingRegister } from '../register.js';
import { addIsoDuration } from '../time.js';
import type { Command } from './command.js';

// The cases of issue 23 the register answers (4, 5, 6 and 8), decided on the registers the vault ships: given the
// commands played, when a command at a time, then its events. The other cases have domain tests of their own
// (retentionPerEntry, deadlines, consentReleases, valueOwnership, rectificationRequest and the *PerCase files).

let shipped: ProcessingRegister;
let agency: ProcessingRegister;
beforeAll(async () => {
  shipped = await loadRegister();
  agency = await loadRegister(
    fileURLToPath(new URL('../../../register/examples/collection-agency.yaml', import.meta.url)),
  );
});

const sweep = (category: string): Command => ({ type: 'ApplyRetention', category });
const shredded = (category: string, rule: string, keyIds: string[], entry?: string) => [
  {
    type: 'CategoryShredded',
    data: { category, keyIds, reason: 'retention', rule, ...(entry === undefined ? {} : { entry }) },
  },
];

describe('case 4: a debtor’s national identity number for debt collection', () => {
  it('is recorded for debtCollection, in the customer’s identity and in a case’s debtor details', () => {
    const identity: Command = {
      type: 'RecordPersonalData',
      items: [item('identity', 'nationalId', '01019912345', 'debtCollection', 'legitimateInterest')],
    };
    const state = playOn(shipped);
    expect(runAt(state, identity, T1, undefined, shipped)).toMatchObject([
      { type: 'PersonalDataRecorded', data: { category: 'identity', field: 'nationalId', purpose: 'debtCollection' } },
    ]);
    const inCase: Command = {
      type: 'RecordPersonalData',
      items: [
        {
          ...item('debtor', 'nationalId', '01019912345', 'debtCollection', 'legitimateInterest'),
          source: 'thirdParty',
          entry: 'A-1',
        },
      ],
    };
    expect(runAt(state, inCase, T1, undefined, shipped)).toMatchObject([
      { type: 'PersonalDataRecorded', data: { category: 'debtor', field: 'nationalId', entry: 'A-1' } },
    ]);
  });
});

describe('case 5: a debtor’s details go 3 years after its case closed', () => {
  it('shreds the closed case’s key at its end, and no sooner, while an open case stays', () => {
    const details = (entry: string): Command => ({
      type: 'RecordPersonalData',
      items: ['name', 'email'].map((field) => ({
        ...item('debtor', field, field === 'email' ? `${entry}@example.com` : 'Debtor', 'debtCollection'),
        legalBasis: 'legitimateInterest',
        source: 'thirdParty',
        entry,
      })),
    });
    const closed = day(T1, 30);
    const state = playOn(
      shipped,
      [T1, details('A-1')],
      [T1, details('B-2')],
      [closed, { type: 'RecordLifecycleEvent', event: 'caseClosed', entry: 'A-1' }],
    );
    const end = addIsoDuration(closed, 'P3Y');
    expect(runAt(state, sweep('debtor'), day(end, -1), undefined, shipped)).toEqual([]);
    expect(runAt(state, sweep('debtor'), end, undefined, shipped)).toEqual(
      shredded('debtor', 'P3Y after caseClosed (entry A-1)', [`${S}/debtor~A-1/1`], 'A-1'),
    );
  });
});

describe('case 6: a collection agency’s client data goes at the latest 3 years after the relationship', () => {
  it('shreds the client’s contact and customer data 3 years after it ended; the consumer register keeps 8', () => {
    const client: Command = {
      type: 'RecordPersonalData',
      items: [item('contact', 'email', 'client@example.com'), item('customer', 'customerNumber', 'C-77')],
    };
    const ended = day(T1, 100);
    const steps = [
      [T1, client],
      [ended, { type: 'RecordLifecycleEvent', event: 'relationshipEnded' }],
    ] as [string, Command][];
    const end = addIsoDuration(ended, 'P3Y');
    const atAgency = playOn(agency, ...steps);
    expect(runAt(atAgency, sweep('contact'), day(end, -1), undefined, agency)).toEqual([]);
    expect(runAt(atAgency, sweep('contact'), end, undefined, agency)).toEqual(
      shredded('contact', 'P3Y after relationshipEnded', [`${S}/contact/1`]),
    );
    expect(runAt(atAgency, sweep('customer'), end, undefined, agency)).toEqual(
      shredded('customer', 'P3Y after relationshipEnded', [`${S}/customer/1`]),
    );
    // The consumer-service register the vault starts with keeps the same contact data 8 years (issue 23 notes why).
    expect(runAt(playOn(shipped, ...steps), sweep('contact'), end, undefined, shipped)).toEqual([]);
  });
});

describe('case 8: a website form’s data gets its own 5 years', () => {
  it('keeps the form’s name, email and phone 5 years from the sending, then shreds them, contact data staying', () => {
    const form: Command = {
      type: 'RecordPersonalData',
      items: [
        ['name', 'Ann'],
        ['email', 'ann@example.com'],
        ['phone', '+4722334455'],
      ].map(([field, value]) => item('webForms', field!, value, 'customerService', 'legitimateInterest')),
    };
    const contact: Command = { type: 'RecordPersonalData', items: [item('contact', 'email', 'ann@example.com')] };
    const state = playOn(shipped, [T1, form], [T1, contact]);
    const end = addIsoDuration(T1, 'P5Y');
    expect(runAt(state, sweep('webForms'), day(end, -1), undefined, shipped)).toEqual([]);
    expect(runAt(state, sweep('webForms'), end, undefined, shipped)).toEqual(
      shredded('webForms', 'P5Y after recorded', [`${S}/webForms/1`]),
    );
    expect(runAt(state, sweep('contact'), end, undefined, shipped)).toEqual([]);
  });
});
