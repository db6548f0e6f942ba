import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { getOperationAST } from 'graphql';
import { createClient } from 'graphql-ws';

// PLACEHOLDER_TOKEN is what the headers editor holds until a token is
// pasted: it shows where a token goes without being one.
const PLACEHOLDER_TOKEN = "Bearer <paste a token from the dev server's output>";

// PLACEHOLDER_HEADERS pre-fills the headers editor of every tab.
export const PLACEHOLDER_HEADERS = JSON.stringify({ Authorization: PLACEHOLDER_TOKEN }, null, 2);

// A token pasted between the placeholder's angle brackets: "Bearer <eyJ...>".
const bracketed = /^(bearer\s+)<\s*([^<>\s]+)\s*>$/i;

// withoutPlaceholder drops an Authorization header that still holds the
// placeholder, so anonymous operations work before a token is pasted (the
// API answers a malformed bearer token with 401, and closes a socket whose
// connection_init carries one with 4403), and takes a token pasted between
// its brackets out of them. Any other value goes as it is: a wrong one is
// answered with the API's error.
export function withoutPlaceholder(headers) {
  if (!headers) return headers;
  const kept = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization') {
      if (value === PLACEHOLDER_TOKEN) continue;
      const m = bracketed.exec(String(value));
      if (m) {
        kept[name] = m[1] + m[2];
        continue;
      }
    }
    kept[name] = value;
  }
  return kept;
}

// GraphiQL keeps headers per tab. The credential (Authorization, X-API-Key)
// last typed, run or shown in a tab's headers editor (in this page's memory
// only) fills the Authorization of a tab that still holds the placeholder,
// whatever other headers it has: a token pasted once serves every example
// tab. A tab whose headers were emptied runs anonymously.
let pasted = {};

// credentials are the credential headers of headers, the placeholder left out.
function credentials(headers) {
  const out = {};
  for (const [name, value] of Object.entries(withoutPlaceholder(headers) ?? {})) {
    const lower = name.toLowerCase();
    if ((lower === 'authorization' || lower === 'x-api-key') && String(value).trim() !== '') out[name] = value;
  }
  return out;
}

// holdsPlaceholder reports whether headers' Authorization is the placeholder.
function holdsPlaceholder(headers) {
  return Object.entries(headers ?? {}).some(([name, value]) => name.toLowerCase() === 'authorization' && value === PLACEHOLDER_TOKEN);
}

// remember keeps the credential of headers, when they have one.
function remember(headers) {
  const found = credentials(headers);
  if (Object.keys(found).length > 0) pasted = found;
}

// rememberHeaders takes the headers editor's text as it changes (GraphiQL's
// onEditHeaders: typing, pasting, switching to a tab): the credential in it
// serves the tabs still holding the placeholder, before any operation ran
// with it.
export function rememberHeaders(text) {
  let headers;
  try {
    headers = JSON.parse(text);
  } catch {
    return; // half typed
  }
  if (headers && typeof headers === 'object' && !Array.isArray(headers)) remember(headers);
}

// tabHeaders are the headers an operation of a tab runs with.
function tabHeaders(headers) {
  const kept = withoutPlaceholder(headers);
  if (!holdsPlaceholder(headers)) {
    if (kept) remember(kept);
    return kept;
  }
  const own = Object.keys(credentials(kept)).length > 0;
  return own ? kept : { ...kept, ...pasted };
}

// socketURL is the API's subscription socket: /graphql on the page's own
// host, over wss: when the page came over https:.
function socketURL() {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
}

// The API closes a socket whose credential it refuses, or whose token
// expired, with 4403: another try with the same headers would be refused
// too, so the error is shown at once (graphql-ws retries it by default).
const refusedCredential = 4403;

// socketClient opens subscriptions on the API's socket (graphql-transport-ws)
// with headers as the connection_init payload, which is where the API reads
// the Authorization of a socket. It connects on the first subscription and
// closes when the last one ends.
function socketClient(headers) {
  return createClient({
    url: socketURL(),
    connectionParams: headers ?? {},
    shouldRetry: (event) => event instanceof CloseEvent && event.code !== refusedCredential,
  });
}

// The headers are the socket's credential, fixed when it connects: other
// headers need a client of their own. The last one is kept for the next
// subscription with the same headers.
let last = { key: undefined, client: undefined };

function clientFor(headers) {
  const key = JSON.stringify(headers ?? {});
  if (last.key !== key) last = { key, client: socketClient(headers) };
  return last.client;
}

// socketError is what the explorer shows of a socket's failure.
function socketError(err) {
  if (err instanceof CloseEvent) {
    return { message: `the socket closed with ${err.code}${err.reason ? `: ${err.reason}` : ''}` };
  }
  if (err instanceof Event) {
    return { message: 'could not connect to the subscription socket at /graphql (is the API up?)' };
  }
  return err;
}

// subscribe runs a subscription on the socket as the observable GraphiQL
// shows each event of; GraphiQL's stop button unsubscribes.
function subscribe(params, headers) {
  return {
    subscribe(sink) {
      const unsubscribe = clientFor(headers).subscribe(params, {
        next: (result) => sink.next(result),
        // A closed socket comes as its CloseEvent, and one that could not
        // connect (the API down, the handshake refused) as a bare Event:
        // both shown as a GraphQL error saying why. The API's errors come
        // as GraphQL errors.
        error: (err) => sink.error(socketError(err)),
        complete: () => sink.complete(),
      });
      return { unsubscribe };
    },
  };
}

const post = createGraphiQLFetcher({ url: '/graphql' });

// fetcher sends queries and mutations as JSON POSTs to /graphql on the
// page's origin, and subscriptions over the socket at the same path, both
// with the headers of the headers editor (tabHeaders).
export function fetcher(params, opts) {
  const headers = tabHeaders(opts?.headers);
  const operation = opts?.documentAST && getOperationAST(opts.documentAST, params.operationName);
  if (operation?.operation === 'subscription') return subscribe(params, headers);
  return post(params, { ...opts, headers });
}
