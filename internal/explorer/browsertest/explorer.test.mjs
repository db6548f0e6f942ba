// Opens the GraphiQL explorer of a running staygraph API in Debian's
// Chromium, runs the "Browse hotels" example and checks that hotels from the
// demo catalog show up in the response pane. run.sh starts the API and sets
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
