import { cacheExchange, Client, fetchExchange } from '@urql/core';

/** The vault's GraphQL endpoint with the user's token, read at each request (it is renewed in memory). */
export function createClient(token: () => string | undefined): Client {
  return new Client({
    url: '/graphql',
    exchanges: [cacheExchange, fetchExchange],
    requestPolicy: 'cache-and-network',
    // Every operation as a POST body: a query's variables (an email looked up, a subject id) never enter a URL.
    preferGetMethod: false,
    fetchOptions: () => {
      const t = token();
      const headers: Record<string, string> = t ? { authorization: `Bearer ${t}` } : {};
      return { headers, credentials: 'omit' };
    },
  });
}
