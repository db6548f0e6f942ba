// Opens the GraphiQL explorer of a running staygraph API in Debian's
// Chromium, runs the "Browse hotels" example and checks that hotels from the
// demo catalog show up in the response pane; checks that a token in the
// headers editor is sent but never stored; and runs a subscription from the
// explorer over the API's socket until an event of a change made over HTTP
// shows up. run.sh starts the API and sets STAYGRAPH_URL and
// STAYGRAPH_ADMIN_TOKEN; on failure a screenshot is left in $SCREENSHOT_DIR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { base, launch, screenshots } from './browser.mjs';

test('the explorer runs the Browse hotels example against the API', { timeout: 120_000 }, async () => {
  const browser = await launch();
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
  const browser = await launch();
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
    // Written from another page of the origin: the explorer stores its own
    // tabs a moment after it opens, which could overwrite these.
    await page.goto(`${base}/healthz`, { waitUntil: 'load' });
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
    await page.goto(`${base}/`, { waitUntil: 'load' });
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

// api sends one operation to the API over HTTP, as a client other than the
// explorer would.
async function api(query, variables, token) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, `${query}: ${JSON.stringify(body)}`);
  assert.equal(body.errors, undefined, `${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// holds waits up to ms for check to hold, polling, and tells whether it did.
async function holds(check, ms) {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

// until fails unless check holds within ms.
async function until(check, ms, what) {
  if (!(await holds(check, ms))) assert.fail(`${what} within ${ms} ms`);
}

// night is the date n days from today (UTC), as the API writes a Date.
const night = (n) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

// A subscription typed into the explorer goes over the API's socket at
// /graphql (graphql-transport-ws, the headers editor's token in
// connection_init) rather than failing with "Your GraphiQL createFetcher is
// not properly configured for websocket subscriptions yet", and the event of
// a change made over HTTP shows up in the response pane; stopping it closes
// the socket. A token the API refuses is shown at once (4403), not after
// retries with the same token.
test('the explorer runs a subscription and shows its events', { timeout: 120_000 }, async () => {
  const token = process.env.STAYGRAPH_ADMIN_TOKEN;
  assert.ok(token, 'STAYGRAPH_ADMIN_TOKEN is set (run.sh mints one)');
  const { hotels } = await api('{ hotels(first: 1) { edges { node { id roomTypes { ratePlans { id } } } } } }');
  const hotel = hotels.edges[0].node;
  const ratePlan = hotel.roomTypes.find((rt) => rt.ratePlans.length > 0).ratePlans[0].id;

  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30_000);
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  // The sockets the page opens, each with the messages it sent and received.
  const sockets = [];
  page.on('websocket', (ws) => {
    const socket = { ws, sent: [], received: [] };
    sockets.push(socket);
    ws.on('framesent', (f) => socket.sent.push(JSON.parse(String(f.payload))));
    ws.on('framereceived', (f) => socket.received.push(JSON.parse(String(f.payload))));
  });
  const of = (messages, type) => messages.filter((m) => m.type === type);
  const pane = page.locator('.graphiql-response');
  const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor').last().locator('.CodeMirror');
  const setHeaders = (value) => headersEditor.evaluate((el, value) => el.CodeMirror.setValue(value), value);
  try {
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await headersEditor.waitFor({ state: 'attached' });
    await page.locator('.graphiql-query-editor .CodeMirror').evaluate((el, q) => el.CodeMirror.setValue(q),
      `subscription LiveRates {
  availabilityChanged(hotelId: "${hotel.id}", from: "${night(30)}", to: "${night(90)}") {
    hotel { id }
    ratesChanged
    eventId
  }
}
`);
    // GraphiQL reads the operation's name from the editor a moment after
    // a change, and titles the tab with it.
    await page.getByRole('tab').filter({ hasText: 'LiveRates' }).first().waitFor();

    // A token the API refuses closes the socket with 4403 and the reason,
    // which the response pane shows without trying again.
    await setHeaders(JSON.stringify({ Authorization: 'Bearer sg-not-a-token' }));
    await page.locator('.graphiql-execute-button').click();
    await pane.getByText('4403').first().waitFor({ timeout: 10_000 });
    assert.match(await pane.innerText(), /"message": "the socket closed with 4403: unauthenticated: invalid token"/);
    await page.waitForTimeout(2_000); // graphql-ws would try again after 1.3 to 3.3 s
    assert.equal(sockets.length, 1, 'the refused token is not tried again');

    // The headers editor's token opens a socket of its own.
    await setHeaders(JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    await page.locator('.graphiql-execute-button').click();
    await until(() => sockets.length === 2, 10_000, 'the explorer opens a socket with the new headers');
    const { ws, sent, received } = sockets[1];
    await until(() => of(sent, 'subscribe').length === 1 && of(received, 'connection_ack').length === 1, 30_000,
      'the socket is acknowledged and the subscription sent');
    assert.equal(ws.url(), `${base.replace(/^http/, 'ws')}/graphql`, 'the socket is the API\'s, on the page\'s host');
    assert.deepEqual(of(sent, 'connection_init')[0].payload, { Authorization: `Bearer ${token}` },
      'connection_init carries the headers editor\'s token');
    assert.equal(of(sent, 'subscribe')[0].payload.operationName, 'LiveRates');

    // graphql-transport-ws does not acknowledge a subscription: change the
    // rates of one night after the other until an event arrives, so the
    // subscription is live.
    for (let n = 40; ; n++) {
      assert.ok(n < 60, 'an event of 20 rate changes arrives');
      const { setRates } = await api(`mutation($in: SetRatesInput!) { setRates(input: $in) { nights userErrors { code message } } }`,
        { in: { ratePlanId: ratePlan, from: night(n), to: night(n), amount: 12_000 + n } }, token);
      assert.deepEqual(setRates, { nights: 1, userErrors: [] });
      if (await holds(() => of(received, 'next').length > 0, 3_000)) break;
    }
    const event = of(received, 'next')[0].payload;
    assert.equal(event.errors, undefined, JSON.stringify(event.errors));
    assert.equal(event.data.availabilityChanged.hotel.id, hotel.id);
    assert.equal(event.data.availabilityChanged.ratesChanged, true);
    assert.deepEqual(of(received, 'error'), [], 'the API refuses nothing');

    await pane.getByText('ratesChanged').first().waitFor();
    const text = await pane.innerText();
    assert.match(text, /"availabilityChanged"/, 'the response pane shows the event');
    assert.match(text, new RegExp(`"id": "${hotel.id}"`));
    assert.match(text, /"ratesChanged": true/);
    assert.doesNotMatch(text, /not properly configured|"errors"/);

    // The execute button stops a running subscription; its socket closes.
    await page.locator('.graphiql-execute-button').click();
    await until(() => of(sent, 'complete').length === 1 && ws.isClosed(), 10_000,
      'stopping the subscription completes it and closes the socket');
    assert.doesNotMatch(await page.evaluate(() => JSON.stringify(Object.entries(localStorage))), new RegExp(token),
      'the token is not in localStorage');
    assert.deepEqual(problems.filter((p) => !/favicon/.test(p)), [], 'no errors in the page');
  } catch (err) {
    mkdirSync(screenshots, { recursive: true });
    const file = join(screenshots, `explorer-subscription-failure-${Date.now()}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`screenshot of the failure: ${file}`);
    console.error(`the response pane shows: ${await pane.innerText().catch(() => '?')}`);
    throw err;
  } finally {
    await browser.close();
  }
});
