// A first-time user's path through the explorer: paste a token printed by
// 'staygraph dev', run the bundled examples against the demo catalog, and
// come back to an operation of the history. Each test asserts what the user
// should see; run.sh starts the API (STAYGRAPH_URL, STAYGRAPH_ADMIN_TOKEN)
// and runs them with explorer.test.mjs:
//
//	internal/explorer/browsertest/run.sh
//
// or, against a running 'staygraph dev':
//
//	STAYGRAPH_URL=http://127.0.0.1:18095 STAYGRAPH_ADMIN_TOKEN=<ADMIN token it printed> \
//	  node --test internal/explorer/browsertest/firstuse.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { base, launch, screenshots } from './browser.mjs';

const token = process.env.STAYGRAPH_ADMIN_TOKEN;

// explorer opens the page in a fresh browser and returns helpers for its
// editors; fn runs with them, and a failure leaves a screenshot.
async function explorer(name, fn) {
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30_000);
  const sent = []; // the Authorization of every POST to /graphql
  page.on('request', (r) => {
    if (r.url().endsWith('/graphql') && r.method() === 'POST') sent.push({ body: r.postData() ?? '', authorization: r.headers().authorization });
  });
  const editor = (sel) => page.locator(sel).locator('.CodeMirror').first();
  const ui = {
    page,
    sent,
    tab: (title) => page.getByRole('tab').filter({ hasText: title }).first().click(),
    headers: () => page.locator('.graphiql-editor-tool .graphiql-editor').last().locator('.CodeMirror').evaluate((el) => el.CodeMirror.getValue()),
    setHeaders: (v) => page.locator('.graphiql-editor-tool .graphiql-editor').last().locator('.CodeMirror').evaluate((el, v) => el.CodeMirror.setValue(v), v),
    variables: () => page.locator('.graphiql-editor-tool .graphiql-editor').first().locator('.CodeMirror').evaluate((el) => el.CodeMirror.getValue()),
    setVariables: (v) => page.locator('.graphiql-editor-tool .graphiql-editor').first().locator('.CodeMirror').evaluate((el, v) => el.CodeMirror.setValue(v), v),
    setQuery: (v) => editor('.graphiql-query-editor').evaluate((el, v) => el.CodeMirror.setValue(v), v),
    // The whole answer: CodeMirror renders only the lines in view.
    pane: () => page.locator('.graphiql-response .CodeMirror').first().evaluate((el) => el.CodeMirror.getValue()),
    // run clicks the execute button after GraphiQL took the editors' text
    // into the tab (a person pauses longer), and waits for the answer.
    async run() {
      await page.waitForTimeout(800);
      const before = sent.length;
      await page.locator('.graphiql-execute-button').click();
      for (let i = 0; i < 100 && sent.length === before; i++) await page.waitForTimeout(50);
      await page.waitForTimeout(1200);
      return ui.pane();
    },
  };
  try {
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.locator('.graphiql-editor-tool .graphiql-editor').last().locator('.CodeMirror').waitFor({ state: 'attached' });
    await fn(ui);
  } catch (err) {
    mkdirSync(screenshots, { recursive: true });
    const file = join(screenshots, `firstuse-${name}-${Date.now()}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`screenshot of the failure: ${file}`);
    console.error(`the response pane shows: ${await ui.pane().catch(() => '?')}`);
    throw err;
  } finally {
    await browser.close();
  }
}

// The placeholder is "Bearer <paste a token from the dev server's output>"
// and the dev server says to paste a token as {"Authorization": "Bearer
// <token>"}: a user who pastes between the angle brackets gets the token
// sent, without them; not an anonymous answer as if no token had been typed.
test('a token pasted between the placeholder\'s angle brackets is not silently dropped', { timeout: 120_000 }, async () => {
  assert.ok(token, 'STAYGRAPH_ADMIN_TOKEN is set');
  await explorer('angle-brackets', async (ui) => {
    await ui.tab('WhoAmI');
    await ui.setHeaders(`{\n  "Authorization": "Bearer <${token}>"\n}`);
    const text = await ui.run();
    assert.equal(ui.sent.at(-1).authorization, `Bearer ${token}`, 'the token goes without its brackets');
    assert.match(text, /"role": "ADMIN"/, `Who am I answers ${text.replace(/\s+/g, ' ')}`);
  });
});

// 'staygraph dev' prints: "Paste one of these into the explorer's headers".
// After pasting the ADMIN token once, the example tabs that need a token
// ("Hold rooms (needs a token)", "Who am I", ...) run with it.
test('the token pasted into the headers is used by the other example tabs', { timeout: 120_000 }, async () => {
  assert.ok(token, 'STAYGRAPH_ADMIN_TOKEN is set');
  await explorer('tabs', async (ui) => {
    await ui.tab('Hotels');
    await ui.setHeaders(JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    await ui.run();
    assert.equal(ui.sent.at(-1).authorization, `Bearer ${token}`, 'the first tab sends the token');

    await ui.tab('WhoAmI');
    const text = await ui.run();
    assert.match(text, /"role": "ADMIN"/,
      `Who am I after pasting the token (headers editor now: ${JSON.stringify(await ui.headers())}, request Authorization: ${ui.sent.at(-1).authorization})`);
  });
});

// A header added next to the placeholder in one tab (a request id, say)
// leaves the pasted token serving the tabs that still hold the placeholder.
test('adding a header next to the placeholder in one tab keeps the pasted token for the other tabs', { timeout: 120_000 }, async () => {
  assert.ok(token, 'STAYGRAPH_ADMIN_TOKEN is set');
  await explorer('extra-header', async (ui) => {
    await ui.tab('Hotels');
    await ui.setHeaders(JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    await ui.run();
    assert.equal(ui.sent.at(-1).authorization, `Bearer ${token}`);

    await ui.tab('Quote');
    const placeholder = JSON.parse(await ui.headers());
    await ui.setHeaders(JSON.stringify({ ...placeholder, 'X-Request-Id': 'debug-1' }, null, 2));
    await ui.page.waitForTimeout(800);

    await ui.tab('WhoAmI');
    const text = await ui.run();
    assert.match(text, /"role": "ADMIN"/,
      `Who am I (headers editor: ${JSON.stringify(await ui.headers())}) was sent Authorization ${ui.sent.at(-1).authorization} and answers ${text.replace(/\s+/g, ' ')}`);
  });
});

// The history keeps the operations run; after a reload their headers are
// gone (never stored). Opening one of them must not wipe the token the user
// pasted into the headers editor since.
test('opening an operation of the history after a reload keeps the pasted token', { timeout: 120_000 }, async () => {
  assert.ok(token, 'STAYGRAPH_ADMIN_TOKEN is set');
  await explorer('history', async (ui) => {
    await ui.tab('WhoAmI');
    await ui.setHeaders(JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    assert.match(await ui.run(), /"role": "ADMIN"/);

    await ui.page.reload({ waitUntil: 'load' });
    await ui.page.locator('.graphiql-editor-tool .graphiql-editor').last().locator('.CodeMirror').waitFor({ state: 'attached' });
    await ui.setHeaders(JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    await ui.page.waitForTimeout(800);
    await ui.page.getByRole('button', { name: /history/i }).first().click();
    await ui.page.locator('.graphiql-history-item-label').first().click();
    const headers = await ui.headers();
    const text = await ui.run();
    assert.match(text, /"role": "ADMIN"/,
      `after opening the history entry the headers editor holds ${JSON.stringify(headers)} and Who am I answers ${text.replace(/\s+/g, ' ')}`);
  });
});

// The "Quote a stay" example asks for "<a rate plan id from Browse hotels>".
// Run "Browse hotels", take the first hotel it shows and try each of its
// rate plans in the example's variables: at least one must price it.
test('the Quote example prices a stay with a rate plan of the first hotel Browse hotels shows', { timeout: 120_000 }, async () => {
  await explorer('quote', async (ui) => {
    await ui.tab('Hotels');
    const browse = JSON.parse(await ui.run());
    const hotel = browse.data.hotels.edges[0].node;
    const plans = hotel.roomTypes.flatMap((rt) => rt.ratePlans.map((rp) => ({ roomType: `${rt.name} (max ${rt.maxOccupancy})`, id: rp.id })));

    await ui.tab('Quote');
    const example = JSON.parse(await ui.variables());
    const answers = [];
    for (const plan of plans) {
      example.input.hotelId = hotel.id;
      example.input.rooms[0].ratePlanId = plan.id;
      await ui.setVariables(JSON.stringify(example, null, 2));
      const { data } = JSON.parse(await ui.run());
      answers.push(`${plan.roomType}: ${data.quote.userErrors.map((e) => `${e.code} ${e.message}`).join('; ') || 'priced'}`);
    }
    assert.ok(answers.some((a) => a.endsWith(': priced')),
      `${hotel.name}: no rate plan prices the example's party:\n  ${answers.join('\n  ')}`);
  });
});

// A guest follows a booking (bookingUpdated) in one tab and confirms it with
// the "Confirm with payment" example in another: the event of the
// confirmation shows up in the subscription's tab.
