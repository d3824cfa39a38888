// Client of limits.bench.ts, run as its own process so that the server's main thread does only the
// server's work: posts `n` requests of one shape one after another, each answered before the next.
import { type Shape, SHAPES } from './limitsShapes.js';

const job = JSON.parse(process.argv[2]!) as { url: string; token: string; shape: Shape; n: number; offset: number };
for (let i = 0; i < job.n; i++) {
  const res = await fetch(`${job.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${job.token}` },
    body: JSON.stringify({ query: SHAPES[job.shape](job.offset + i) }),
  });
  const body = (await res.json()) as { errors?: unknown[] };
  if (res.status !== 200 || body.errors) {
    process.stderr.write(`${job.shape} request ${i} answered ${res.status}\n`);
    process.exit(1);
  }
}
