import type { ApolloServerPlugin } from '@apollo/server';

import type { VaultMetrics } from './metrics.js';

/**
 * Times each GraphQL operation from the request's start to its response and tells the metrics its
 * name, type and outcome: `OK`, or the first error's code as `formatError` left it (so a masked
 * error counts as `INTERNAL_SERVER_ERROR`). Variables and results are never looked at.
 */
export function metricsPlugin(metrics: VaultMetrics): ApolloServerPlugin {
  return {
    requestDidStart() {
      const started = performance.now();
      return Promise.resolve({
        willSendResponse({ response, operation, operationName }) {
          const body = response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
          const code = errors?.length ? errors[0]!.extensions?.code : 'OK';
          metrics.operation({
            name: operation ? (operationName ?? 'anonymous') : 'invalid',
            type: operation?.operation ?? 'invalid',
            code: typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR',
            seconds: (performance.now() - started) / 1000,
          });
          return Promise.resolve();
        },
      });
    },
  };
}
