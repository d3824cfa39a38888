import { expect } from 'vitest';

/** One GraphQL call to `url` with a bearer token; fails the test on any error in the answer. */
export async function gql(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data!;
}

const RECORD_NAME =
  'mutation($id: ID!, $items: [PersonalDataInput!]!) { recordPersonalData(subjectId: $id, items: $items) ' +
  '{ revision } }';

/** `count` subjects registered over GraphQL at `url`, each with a contact name (`Mover <n>`) given on the contract. */
export async function registerMovers(url: string, token: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = (await gql(url, token, 'mutation { registerSubject { subjectId } }')).registerSubject
      .subjectId as string;
    const items = [
      { category: 'contact', field: 'name', value: `Mover ${i}`, purpose: 'contract', legalBasis: 'contract' },
    ].map((x) => ({ ...x, source: 'subject' }));
    await gql(url, token, RECORD_NAME, { id, items });
    ids.push(id);
  }
  return ids;
}
