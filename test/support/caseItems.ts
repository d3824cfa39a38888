/** A value a creditor hands over with a debt-collection case: its category, field and value. */
export type CaseValue = readonly [category: string, field: string, value: string];

/**
 * The record items of one debt-collection case, each value kept under the case's entry (retention per entry) as a
 * creditor hands it over: for debt collection, on legitimate interest, from a third party.
 */
export const caseItems = (entry: string, values: readonly CaseValue[]) =>
  values.map(([category, field, value]) => ({
    category,
    field,
    value,
    purpose: 'debtCollection',
    legalBasis: 'legitimateInterest',
    source: 'thirdParty',
    entry,
  }));
