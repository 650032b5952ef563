// A PNG of what a page shows, always at the same size: a 1200×800 viewport at device scale
// factor 1, so the pictures a docs script makes are 1200×800 pixels whatever the machine.
// Pages from browser.ts start at that viewport; a page at another size is set to it for the
// picture and given its own size back after.

import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { VIEWPORT } from './browser.js';

/** Saves a PNG of the page's viewport to `file` (its folder is made if need be); returns the file. */
export async function screenshot(page: Page, file: string): Promise<string> {
  // The scale factor belongs to the browser context and cannot change on an open page.
  const scale = await page.evaluate(() => window.devicePixelRatio);
  if (scale !== 1) {
    throw new Error(`screenshot: the page has device scale factor ${scale}; open it with deviceScaleFactor 1 (browser.page() does)`);
  }
  const before = page.viewportSize();
  const resize = before?.width !== VIEWPORT.width || before?.height !== VIEWPORT.height;
  if (resize) await page.setViewportSize(VIEWPORT);
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    await page.screenshot({ path: file, type: 'png', fullPage: false, animations: 'disabled', caret: 'hide', scale: 'css' });
  } finally {
    if (resize && before) await page.setViewportSize(before);
  }
  return file;
}
