// Earlier builds of the explorer persisted the headers editor (bearer
// tokens, API keys) in localStorage. forgetStoredHeaders removes what they
// left: GraphiQL's stored headers, its "persist headers" setting, and the
// headers of its stored tabs (the queries and variables stay).
export function forgetStoredHeaders(storage = globalThis.localStorage) {
  try {
    storage.removeItem('graphiql:headers');
    storage.removeItem('graphiql:shouldPersistHeaders');
    const tabs = storage.getItem('graphiql:tabState');
    if (tabs) {
      storage.setItem('graphiql:tabState', JSON.stringify(JSON.parse(tabs), (key, value) => (key === 'headers' ? null : value)));
    }
  } catch {
    // No storage (a private window may refuse it), or a tab state that is not
    // JSON: GraphiQL starts from its default tabs then.
  }
}
