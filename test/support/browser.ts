// Real Chromium for the browser tests: Debian's `chromium` (installed by .ci/install-deps.sh),
// driven by playwright-core. Never a browser playwright downloads: the executable is always
// Debian's, and playwright-core has no download step of its own.
//
//   let browser: OpenBrowser;
//   useBrowser((b) => (browser = b));
//   it('…', async () => {
//     const page = await browser.page();
//     await page.goto(url);
//     …
//     expect(page.consoleErrors).toEqual([]);
//   });
//
// Every page gets a browser context of its own (no cookies or storage shared between pages),
// a 1200×800 viewport at device scale factor 1 (screenshot.ts's), and `consoleErrors`: what
// the page logged with console.error, resources it failed to load, and uncaught exceptions.
// A console error does not fail a test by itself; tests assert on the list.
//
// Chromium is stopped by handle: close() closes the browser and waits for its process to end,
// and kills its process group by PID if it has not ended in time. Playwright also kills it
// when the test process exits, and Chromium ends by itself when the test process is killed
// (its end of the DevTools pipe closes).

import { afterAll, beforeAll } from 'vitest';
import { openBrowser, type OpenBrowser } from './chromium.js';

export { CHROMIUM, CHROMIUM_ARGS, VIEWPORT, openBrowser, type OpenBrowser, type TestPage } from './chromium.js';

/**
 * useBrowser runs one Chromium for the enclosing describe block: launched before its tests,
 * closed after them. `use` receives it (tests keep it in a `let browser`).
 */
export function useBrowser(use: (browser: OpenBrowser) => void): void {
  let browser: OpenBrowser | undefined;
  beforeAll(async () => {
    browser = await openBrowser();
    use(browser);
  }, 90_000);
  afterAll(() => browser?.close(), 30_000);
}
