import { parentPort, workerData } from 'node:worker_threads';

import { withOwnNamesOnly } from '../domain/register.js';
import { planLines, type PlannerSetup, type PlanReply, type PlanRequest } from './importPlanner.js';

/** A bulk import's planner thread: decides batches of lines with the domain's deciders (importPlanner.ts). */
const port = parentPort!;
const setup = workerData as PlannerSetup;
// Copied across threads, the register's name maps got Object's prototype back: taken away again.
const register = withOwnNamesOnly(setup.register);
const secret = new Uint8Array(setup.secret);

port.on('message', ({ seq, texts, now }: PlanRequest) => {
  let reply: PlanReply;
  try {
    reply = { seq, plans: planLines(texts, register, secret, now) };
  } catch (e) {
    reply = { seq, failed: e instanceof Error ? e.name : 'unknown' };
  }
  port.postMessage(reply);
});
