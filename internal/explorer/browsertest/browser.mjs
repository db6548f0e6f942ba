// What the browser tests share: the API they drive (run.sh starts one and
// sets STAYGRAPH_URL), where a failure's screenshot goes, and Debian's
// Chromium.
import { chromium } from 'playwright-core';

export const base = process.env.STAYGRAPH_URL ?? 'http://127.0.0.1:8080';
export const screenshots = process.env.SCREENSHOT_DIR ?? 'screenshots';
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

// launch starts Debian's Chromium, headless, with a fresh profile.
export const launch = () => chromium.launch({
  executablePath,
  timeout: 30_000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
});
