import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import './main.css';
import { examples } from './examples.js';
import { fetcher, PLACEHOLDER_HEADERS } from './fetcher.js';
import { forgetStoredHeaders } from './forget.js';

const defaultTabs = examples.map((ex) => ({
  query: `# ${ex.title}\n${ex.query}`,
  variables: ex.variables ? JSON.stringify(ex.variables, null, 2) : null,
  headers: PLACEHOLDER_HEADERS,
}));

// Headers hold bearer tokens and API keys: they live in the tab only, never
// in localStorage (where any script of this origin, or anyone at this
// browser later, would read them). false also hides GraphiQL's setting
// that would persist them, and overrides one stored before.
forgetStoredHeaders();
createRoot(document.getElementById('explorer')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultTabs={defaultTabs}
    defaultHeaders={PLACEHOLDER_HEADERS}
    shouldPersistHeaders={false}
    isHeadersEditorEnabled
    defaultEditorToolsVisibility="headers"
  />,
);
