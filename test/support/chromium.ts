// Real Chromium, driven by playwright-core: Debian's `chromium` (installed by
// .ci/install-deps.sh), never a browser playwright downloads (playwright-core has no download
// step of its own). Free of vitest, so that the benchmark (`just bench --only browse`) opens
// the same browser as the tests; the tests use it through browser.ts (useBrowser).
//
// Every page gets a browser context of its own (no cookies or storage shared between pages),
// a 1200×800 viewport at device scale factor 1 (screenshot.ts's), and `consoleErrors`: what
// the page logged with console.error, resources it failed to load, and uncaught exceptions.
//
// Chromium is stopped by handle: close() closes the browser and waits for its process to end,
// and kills its process group by PID if it has not ended in time. Playwright also kills it
// when the calling process exits, and Chromium ends by itself when that process is killed
// (its end of the DevTools pipe closes).

import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { childEnv } from './env.js';

/** Debian's launcher (a shell script that execs /usr/lib/chromium/chromium, so its PID is the browser's). */
export const CHROMIUM = '/usr/bin/chromium';

/** The flags known to work on the test machines, as root (hence no sandbox) and with no GPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** The viewport every page starts with (the one screenshots are taken at). */
export const VIEWPORT = { width: 1200, height: 800 } as const;

/** A page that records its console errors. */
export type TestPage = Page & {
  /** console.error messages, failed resource loads and uncaught exceptions, in order, each with where it came from. */
  readonly consoleErrors: string[];
};

export interface OpenBrowser {
  /** A new page in a new browser context (options: playwright's, over the defaults above). */
  page(options?: BrowserContextOptions): Promise<TestPage>;
  /** Closes every page and ends Chromium; safe to call more than once. */
  close(): Promise<void>;
  /** Chromium's version, e.g. "156.0.8078.114". */
  readonly version: string;
  /** The browser process's PID. */
  readonly pid: number;
}

const CLOSE_TIMEOUT_MS = 10_000;

/** Launches Chromium (headless, a fresh profile playwright makes and removes). */
export async function openBrowser(): Promise<OpenBrowser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser tests need Debian's chromium package; run \`bash .ci/install-deps.sh\` (as root or with sudo).`);
  }
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
    env: childEnv(),
    timeout: 60_000,
  });
  let pid: number;
  try {
    pid = await browserPid(browser);
  } catch (e) {
    await browser.close();
    throw e;
  }
  const contexts = new Set<BrowserContext>();
  let closed: Promise<void> | undefined;

  return {
    version: browser.version(),
    pid,
    async page(options = {}) {
      if (closed) throw new Error('openBrowser: page() after close()');
      const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, ...options });
      contexts.add(context);
      context.on('close', () => contexts.delete(context));
      // Every page of the context records its errors: this one, and those it opens
      // (target=_blank, window.open).
      context.on('page', (p) => recordErrors(p));
      return recordErrors(await context.newPage());
    },
    close: () =>
      (closed ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const inTime = await Promise.race([
          (async () => {
            for (const c of [...contexts]) await c.close().catch(() => {});
            await browser.close();
            return true;
          })(),
          new Promise<false>((ok) => (timer = setTimeout(() => ok(false), CLOSE_TIMEOUT_MS))),
        ]).finally(() => clearTimeout(timer));
        // Not closed in time: kill it. Playwright starts Chromium as the leader of a process
        // group of its own, so the group is this browser's processes (renderers, GPU and
        // utility processes) and nothing else.
        if (!inTime) killGroup(pid);
      })()),
  };
}

function recordErrors(page: Page): TestPage {
  if ('consoleErrors' in page) return page as TestPage; // already recording
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const { url, lineNumber } = msg.location();
    errors.push(url ? `${msg.text()} (${url}:${lineNumber + 1})` : msg.text());
  });
  page.on('pageerror', (err) => errors.push(`uncaught ${err.name}: ${err.message}`));
  return Object.assign(page, { consoleErrors: errors });
}

/** The browser process's PID, asked of Chromium itself (playwright's launch does not give it). */
async function browserPid(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const info = await cdp.send('SystemInfo.getProcessInfo');
    const me = info.processInfo.find((p) => p.type === 'browser');
    if (!me) throw new Error('openBrowser: Chromium reported no browser process');
    return me.id;
  } finally {
    await cdp.detach();
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
