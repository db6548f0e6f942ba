import { createGraphiQLFetcher } from '@graphiql/toolkit';

// PLACEHOLDER_HEADERS pre-fills the headers editor: it shows where a token
// goes without being one.
export const PLACEHOLDER_HEADERS = JSON.stringify(
  { Authorization: "Bearer <paste a token from the dev server's output>" },
  null,
  2,
);

// A real bearer token never contains angle brackets; a value that does is
// the unfilled placeholder above.
const unfilled = /<[^>]*>/;

// withoutPlaceholder drops an Authorization header that still holds the
// placeholder, so anonymous queries work before a token is pasted (the API
// answers a malformed bearer token with 401).
export function withoutPlaceholder(headers) {
  if (!headers) return headers;
  const kept = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization' && unfilled.test(String(value))) continue;
    kept[name] = value;
  }
  return kept;
}

const post = createGraphiQLFetcher({ url: '/graphql' });

// fetcher sends operations as JSON POSTs to /graphql on the page's origin.
export function fetcher(params, opts) {
  return post(params, { ...opts, headers: withoutPlaceholder(opts?.headers) });
}
