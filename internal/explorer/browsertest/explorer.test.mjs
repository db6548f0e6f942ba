// Opens the GraphiQL explorer of a running staygraph API in Debian's
// Chromium, runs the "Browse hotels" example and checks that hotels from the
// demo catalog show up in the response pane; then checks that a token in the
// headers editor is sent but never stored. run.sh starts the API and sets
// STAYGRAPH_URL; on failure a screenshot is left in $SCREENSHOT_DIR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.STAYGRAPH_URL ?? 'http://127.0.0.1:8080';
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const screenshots = process.env.SCREENSHOT_DIR ?? 'screenshots';

test('the explorer runs the Browse hotels example against the API', { timeout: 120_000 }, async () => {
  const browser = await chromium.launch({
    executablePath,
    timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30_000);
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  try {
    const res = await page.goto(`${base}/`, { waitUntil: 'load' });
    assert.equal(res.status(), 200, 'explorer page status');

    // The first tab is the "Browse hotels" example (see web/src/examples.js).
    const tab = page.getByRole('tab').filter({ hasText: 'Hotels' }).first();
    await tab.click();
    const editor = page.locator('.graphiql-query-editor');
    await editor.getByText('Browse hotels').first().waitFor();

    const answered = page.waitForResponse((r) => r.url().endsWith('/graphql') && r.request().method() === 'POST'
      && (r.request().postData() ?? '').includes('Hotels'));
    await page.locator('.graphiql-execute-button').click();
    const api = await answered;
    assert.equal(api.status(), 200, 'GraphQL status');

    const pane = page.locator('.graphiql-response');
    await pane.getByText('totalCount').first().waitFor();
    const text = await pane.innerText();
    assert.match(text, /"totalCount": \d+/, 'the response pane shows the answer');
    assert.match(text, /"edges"/);
    assert.match(text, /"name": "[^"]+"/, 'hotel names are shown');
    assert.doesNotMatch(text, /"errors"/, 'no GraphQL errors');
    assert.deepEqual(problems.filter((p) => !/favicon/.test(p)), [], 'no errors in the page');
  } catch (err) {
    mkdirSync(screenshots, { recursive: true });
    const file = join(screenshots, `explorer-failure-${Date.now()}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`screenshot of the failure: ${file}`);
    throw err;
  } finally {
    await browser.close();
  }
});

// The headers editor holds bearer tokens: they are sent with the request
// but kept in the page only. Nothing of them reaches localStorage (neither
// with the tabs nor with the history of operations run), a reload shows the
// placeholder again, and headers earlier builds stored are forgotten on load.
test('tokens in the headers editor never reach localStorage', { timeout: 120_000 }, async () => {
  const token = 'sg-browser-test-token-4f7c2a';
  const stale = 'sg-token-an-earlier-build-stored';
  const browser = await chromium.launch({
    executablePath,
    timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30_000);
  // The variables editor, then the headers editor (CodeMirror 5: the element knows its editor).
  const headersEditor = () => page.locator('.graphiql-editor-tool .graphiql-editor').last().locator('.CodeMirror');
  const headers = async () => {
    await headersEditor().waitFor({ state: 'attached' });
    return headersEditor().evaluate((el) => el.CodeMirror.getValue());
  };
  const stored = () => page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
  try {
    // What earlier builds left behind: one persisted headers, the next
    // kept them in the history of operations run (and the favorites).
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.evaluate((stale) => {
      const headers = JSON.stringify({ Authorization: `Bearer ${stale}` });
      const run = { query: '{ viewer { role } }', variables: null, headers, operationName: null };
      localStorage.setItem('graphiql:shouldPersistHeaders', 'true');
      localStorage.setItem('graphiql:headers', headers);
      localStorage.setItem('graphiql:tabState', JSON.stringify({ activeTabIndex: 0, tabs: [{ id: 't1', hash: null, title: 'Hotels',
        query: '{ hotels(first: 1) { totalCount } }', variables: null, operationName: null, response: null, headers }] }));
      localStorage.setItem('graphiql:queries', JSON.stringify({ queries: [run] }));
      localStorage.setItem('graphiql:favorites', JSON.stringify({ favorites: [{ ...run, label: 'my role', favorite: true }] }));
    }, stale);
    await page.reload({ waitUntil: 'load' });
    assert.doesNotMatch(await headers(), new RegExp(stale), 'headers an earlier build stored are not shown');
    const forgotten = await stored();
    assert.doesNotMatch(forgotten, new RegExp(stale), 'and forgotten');
    assert.match(forgotten, /graphiql:queries.*viewer/, 'the operations of the history stay');
    assert.match(forgotten, /label\\":\\"my role/, 'and the favorites');

    // A token typed into the headers editor goes with the request of an
    // operation...
    await page.getByRole('tab').filter({ hasText: 'Hotels' }).first().click();
    await headersEditor().evaluate((el, token) => {
      el.CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    }, token);
    // (GraphiQL takes the editor's text into the tab, and its history, a
    // moment after a change: a person pauses longer before running it.)
    await page.waitForTimeout(1000);
    const answered = page.waitForResponse((r) => r.url().endsWith('/graphql') && r.request().method() === 'POST'
      && r.request().headers().authorization === `Bearer ${token}`);
    await page.locator('.graphiql-execute-button').click();
    await answered; // the API refuses the made-up token: what matters is that it went
    // ...and is kept by the page alone (GraphiQL stores its tabs as they
    // change, and the operations run in its history).
    await page.waitForTimeout(1500);
    const after = await stored();
    assert.match(after, /graphiql:tabState/, 'GraphiQL stores its tabs');
    const history = await page.evaluate(() => JSON.parse(localStorage.getItem('graphiql:queries')).queries.map((q) => q.query));
    assert.deepEqual(history, ['{ viewer { role } }', '{ hotels(first: 1) { totalCount } }'], 'and the operations run in its history');
    assert.doesNotMatch(after, new RegExp(token), 'the token is not in localStorage');
    await page.reload({ waitUntil: 'load' });
    assert.doesNotMatch(await headers(), new RegExp(token), 'a reload does not bring the token back');
    assert.doesNotMatch(await stored(), new RegExp(token));
  } catch (err) {
    mkdirSync(screenshots, { recursive: true });
    const file = join(screenshots, `explorer-headers-failure-${Date.now()}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`screenshot of the failure: ${file}`);
    throw err;
  } finally {
    await browser.close();
  }
});
