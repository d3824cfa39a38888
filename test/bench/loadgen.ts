// Load generator for api.bench.ts, run as its own process so that it does not compete with the
// server for the server's event loop. Reads its job as JSON from argv[2], prints results as JSON.
import autocannon from 'autocannon';

const job = JSON.parse(process.argv[2]!) as {
  url: string;
  token: string;
  kind: 'trivial' | 'read' | 'record' | 'trusted';
  ids: string[];
  seconds: number;
  /** A fixed number of requests instead of `seconds` (observabilityInstructions.bench.ts). */
  amount?: number;
  connections: number;
  documentId?: string;
};
const read =
  'query($id: ID!) { subject(id: $id, purpose: "contract") { id items { status category field ... on ' +
  'PersonalDataValue { value } } } }';
const record =
  'mutation($id: ID!, $items: [PersonalDataInput!]!) { recordPersonalData(subjectId: $id, items: $items) { revision ' +
  '} }';
let n = 0;
const bodies: Record<typeof job.kind, () => string> = {
  trivial: () => '{"query":"{ __typename }"}',
  // The same operation as a trusted document, by id.
  trusted: () => JSON.stringify({ documentId: job.documentId }),
  read: () => JSON.stringify({ query: read, variables: { id: job.ids[n++ % job.ids.length] } }),
  record: () =>
    JSON.stringify({
      query: record,
      variables: {
        id: job.ids[n++ % job.ids.length],
        items: [
          {
            category: 'contact',
            field: 'name',
            value: `Name ${n}`,
            purpose: 'contract',
            legalBasis: 'contract',
            source: 'subject',
          },
        ],
      },
    }),
};
const body = bodies[job.kind];
const result = await autocannon({
  url: `${job.url}/graphql`,
  connections: job.connections,
  ...(job.amount ? { amount: job.amount, timeout: 120 } : { duration: job.seconds }),
  requests: [
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${job.token}` },
      setupRequest: (req: object) => ({ ...req, body: body() }),
    },
  ],
});
// The result, for the parent process that reads it from stdout: figures only, never a request or a response.
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  })}\n`,
);
