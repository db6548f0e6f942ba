// Headers hold bearer tokens and API keys, which must never reach
// localStorage (where any script of this origin, or anyone at this browser
// later, would read them). GraphiQL stores them with its tabs unless told
// not to persist headers, and with every operation of its history and
// favorites whatever it was told. headerlessStorage keeps them out of what
// GraphiQL writes; forgetStoredHeaders removes what earlier builds left.

import { PLACEHOLDER_HEADERS } from './fetcher.js';

// The stored values holding operations with the headers they ran with.
const withOperations = ['graphiql:tabState', 'graphiql:queries', 'graphiql:favorites'];

// The stored values of the history and favorites.
const historyKeys = ['graphiql:queries', 'graphiql:favorites'];

// withPlaceholder returns a stored value of historyKeys with the missing
// headers of its operations the placeholder.
function withPlaceholder(value) {
  try {
    return JSON.stringify(JSON.parse(value), (key, v) => (key === 'headers' && v == null ? PLACEHOLDER_HEADERS : v));
  } catch {
    return value;
  }
}

// withoutHeaders returns a stored value of withOperations with the headers
// of its operations null (the queries and variables stay).
function withoutHeaders(value) {
  return JSON.stringify(JSON.parse(value), (key, v) => (key === 'headers' ? null : v));
}

// headerlessStorage is storage as GraphiQL's storage prop wants it, except
// that headers are never written: not GraphiQL's own stored headers, nor
// those of its tabs, history and favorites. In the page, the history keeps
// the headers it ran with; after a reload, its operations have none.
export function headerlessStorage(storage = globalThis.localStorage) {
  const own = () => Object.keys(storage).filter((key) => key.startsWith('graphiql:'));
  return {
    // An operation of the history or favorites opened after a reload puts
    // its headers in the editor: the placeholder, which runs with the
    // headers pasted in the page (fetcher.js), not nothing.
    getItem: (key) => {
      const value = storage.getItem(key);
      return value && historyKeys.includes(key) ? withPlaceholder(value) : value;
    },
    setItem(key, value) {
      if (key === 'graphiql:headers') return;
      storage.setItem(key, withOperations.includes(key) ? withoutHeaders(value) : value);
    },
    removeItem: (key) => storage.removeItem(key),
    // GraphiQL's "clear storage" setting clears its own keys only.
    clear: () => own().forEach((key) => storage.removeItem(key)),
    get length() {
      return own().length;
    },
  };
}

// Earlier builds of the explorer persisted the headers editor, and kept the
// headers of the operations run in the history. forgetStoredHeaders removes
// what they left: GraphiQL's stored headers, its "persist headers" setting,
// and the headers of its stored tabs, history and favorites (the queries and
// variables stay).
export function forgetStoredHeaders(storage = globalThis.localStorage) {
  try {
    storage.removeItem('graphiql:headers');
    storage.removeItem('graphiql:shouldPersistHeaders');
    for (const key of withOperations) {
      const value = storage.getItem(key);
      if (!value) continue;
      try {
        storage.setItem(key, withoutHeaders(value));
      } catch {
        storage.removeItem(key); // not JSON: GraphiQL starts without it
      }
    }
  } catch {
    // No storage (a private window may refuse it): nothing was stored.
  }
}
