import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Api, startApi, subjectPrincipal } from './apiHarness.js';

/**
 * A subject's own request from the privacy centre is opened and verified by its login in one append: a write that
 * fails after the opening (a crash, a full disk) cannot leave an open request the DPO must still verify.
 */

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api?.stop());

const OPEN =
  'mutation($id: ID!, $at: DateTime!) { openRequest(subjectId: $id, type: ERASURE, receivedAt: $at, ' +
  'channel: webForm) { id status verifiedAt verificationMethod } }';

/** Counts the appends that carry a request's events, and fails every such append after the first. */
function crashAfterFirstRequestWrite(): { appends: string[][]; restore: () => void } {
  const log = api.vault.stores.log;
  const append = log.append.bind(log);
  const appends: string[][] = [];
  log.append = (streamId, events, expected) => {
    const types = events.map((e) => e.type);
    if (types.some((t) => t === 'RequestOpened' || t === 'IdentityVerified')) {
      appends.push(types);
      if (appends.length > 1) return Promise.reject(new Error('the process died here'));
    }
    return append(streamId, events, expected);
  };
  return { appends, restore: () => void (log.append = append) };
}

describe("a subject's own request", () => {
  it('is opened and verified in a single append, so a crash after the first write leaves none unverified', async () => {
    const { subjectId } = await api.vault.commands.registerSubject({ actor: 'service:crm' });
    const token = await api.token(subjectPrincipal(subjectId));
    const crash = crashAfterFirstRequestWrite();
    try {
      const res = await api.gql(token, OPEN, { id: subjectId, at: new Date().toISOString() });
      expect(res.errors).toBeUndefined();
      expect(res.data?.openRequest).toMatchObject({ status: 'OPEN', verificationMethod: 'accountLogin' });
      expect(crash.appends).toEqual([['RequestOpened', 'IdentityVerified']]);
    } finally {
      crash.restore();
    }
    const requests = await api.vault.rights.requestsOf(subjectId);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.data).toMatchObject({ verificationMethod: 'accountLogin' });
    expect(requests[0]!.data.verifiedAt).toBeTruthy();
  });
});
