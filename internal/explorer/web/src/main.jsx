import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import './main.css';
import { examples } from './examples.js';
import { fetcher, PLACEHOLDER_HEADERS, rememberHeaders } from './fetcher.js';
import { forgetStoredHeaders, headerlessStorage } from './forget.js';

const defaultTabs = examples.map((ex) => ({
  query: `# ${ex.title}\n${ex.query}`,
  variables: ex.variables ? JSON.stringify(ex.variables, null, 2) : null,
  headers: PLACEHOLDER_HEADERS,
}));

// Headers hold bearer tokens and API keys: they live in the page only, never
// in localStorage (see forget.js). shouldPersistHeaders={false} also hides
// GraphiQL's setting that would persist them, and overrides one stored
// before; the storage keeps them out of the stored history and favorites.
forgetStoredHeaders();
createRoot(document.getElementById('explorer')).render(
  <GraphiQL
    fetcher={fetcher}
    storage={headerlessStorage()}
    defaultTabs={defaultTabs}
    defaultHeaders={PLACEHOLDER_HEADERS}
    onEditHeaders={rememberHeaders}
    shouldPersistHeaders={false}
    isHeadersEditorEnabled
    defaultEditorToolsVisibility="headers"
  />,
);
