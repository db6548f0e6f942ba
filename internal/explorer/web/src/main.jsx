import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import './main.css';
import { examples } from './examples.js';
import { fetcher, PLACEHOLDER_HEADERS } from './fetcher.js';

const defaultTabs = examples.map((ex) => ({
  query: `# ${ex.title}\n${ex.query}`,
  variables: ex.variables ? JSON.stringify(ex.variables, null, 2) : null,
  headers: PLACEHOLDER_HEADERS,
}));

createRoot(document.getElementById('explorer')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultTabs={defaultTabs}
    defaultHeaders={PLACEHOLDER_HEADERS}
    shouldPersistHeaders
    isHeadersEditorEnabled
    defaultEditorToolsVisibility="headers"
  />,
);
