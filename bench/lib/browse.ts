// The browse group (`--only browse`): how long `just browse`'s pages take on a layer of
// 10,000 small files (100 to a folder), against the issue's goal: "Listing a 10,000-file
// space and drawing its page takes ≤ 1 s after the listing arrives".
//
// For each remote (a plain folder, S3 on the bench's Ceph, the Hub emulator in a process of
// its own): a real lab project pushes the layer to main with `just put-results`, then on a
// branch changes 1 % of the files, deletes 0.5 % and adds 0.5 % (dataset.ts's planMutation)
// and pushes again (set-up, not measured). Then, in this process, Strata's own build (dist/)
// opens the project and starts the browse server (startBrowse, as `just browse` does), and:
//   listing  the backend's list(space) through the browse reader (its listing()), median of --reps (3) after one
//            unmeasured (the diff lists main and the branch side by side, as its page does);
//   page     Debian's Chromium (playwright-core, test/support/chromium.ts) loads each page in
//            one tab, navigation start to the load event (Navigation Timing), median of --reps
//            (3) after one unmeasured load: a folder of 100 files, the space's top, the branch
//            against main, the overview.
// "After the listing" is each load's page time less the listing that load waited for (the
// browse reader's listing() is timed inside the server's request, so a slow or fast listing in
// one load does not leak into another's difference): what the server does with the listing
// (comparing, reading the history, drawing the markup) plus what the browser does with it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CDPSession } from 'playwright-core';
import { openBrowser, type OpenBrowser, type TestPage } from '../../test/support/chromium.js';
import { applyMutation, linkTree, planMutation, seeded, totalBytes, writeSmallDataset, type Manifest } from './dataset.js';
import { makeHubProject } from './dedup.js';
import type { BrowseRemote } from './options.js';
import type { Sample } from './report.js';
import { describeRequests, type Requests, type RgwLog } from './requests.js';
import { git, makeSide, syncCommand, type Command, type GroupContext, type Side } from './tools.js';

export type BrowsePage = 'folder' | 'top' | 'diff' | 'overview';
export const BROWSE_PAGES: readonly BrowsePage[] = ['folder', 'top', 'diff', 'overview'];
export const BROWSE_REMOTES: readonly BrowseRemote[] = ['folder', 's3', 'hub'];
/** The goal: a page drawn within this long after its listing arrived. */
export const BROWSE_TARGET_MS = 1000;
const BRANCH = 'cell-counts';
const FILES_PER_FOLDER = 100;
const FOLDERS_PER_SCREEN = 10;

export const browseId = (remote: BrowseRemote, page: BrowsePage) => `browse/${remote}/${page}`;
export function parseBrowseId(workload: string): { remote: BrowseRemote; page: BrowsePage } | undefined {
  const m = /^browse\/(folder|s3|hub)\/(folder|top|diff|overview)$/.exec(workload);
  return m ? { remote: m[1] as BrowseRemote, page: m[2] as BrowsePage } : undefined;
}

/** One page on one remote: the medians, each run, and what Chromium said of the last load. */
export interface BrowseMeasure {
  remote: BrowseRemote;
  page: BrowsePage;
  /** Files in the layer (main's space). */
  files: number;
  /** The page's address after the token. */
  path: string;
  /** What the page lists before it can draw (none: the overview lists no space). */
  listing: 'none' | 'one space' | 'two spaces, side by side';
  /** Milliseconds of the listing(s) alone, each run (empty: no listing). */
  listingMs: number[];
  /** The listing(s) inside each measured load's request: first list() started to last one done (0: none). */
  listingInPageMs: number[];
  /** Navigation start → load event, each run. */
  pageMs: number[];
  /** Request sent → first byte of the answer (the server's whole work), each run. */
  serverMs: number[];
  /** First byte → load event (receiving, parsing, style and layout), each run. */
  browserMs: number[];
  /** The page's markup, bytes. */
  bytes: number;
  /** Chromium's Performance.getMetrics after the load (and a garbage collection): DOM nodes, JS heap in use; this load's layout and style time. */
  nodes?: number;
  jsHeapBytes?: number;
  layoutMs?: number;
  styleMs?: number;
  /** S3: the requests one load of the page sent to the server (the median run's). */
  requests?: Requests;
}

export interface BrowseContext extends GroupContext {
  /** A fresh bucket (S3 only: undefined without Ceph). */
  bucket?: (name: string) => Promise<string>;
  rgw?: RgwLog;
}

/** What the benchmark uses of Strata's build, imported from the checkout under test. */
interface StrataSpace {
  readonly id: string;
}
interface StrataReader {
  space(ref: { layer: string; branch: string }): StrataSpace;
  list(space: StrataSpace): Promise<unknown[]>;
  /** The one call every page's listing goes through (list() too). */
  listing(space: StrataSpace): Promise<unknown>;
}
type ReaderClass = (new (ctx: unknown) => StrataReader) & { prototype: StrataReader };
interface StrataBuild {
  openProject(cwd: string, flags: object, environment: NodeJS.ProcessEnv): Promise<unknown>;
  startBrowse(ctx: unknown, opts: { port?: number; log?: (line: string) => void }): Promise<{ url: string; close(): Promise<void> }>;
  RemoteReader: ReaderClass;
}

async function strataBuild(strataRoot: string): Promise<StrataBuild> {
  const mod = (rel: string) => import(pathToFileURL(path.join(strataRoot, 'dist', 'scripts', 'lib', ...rel.split('/'))).href);
  const [context, server, reader] = await Promise.all([mod('context.js'), mod('browse/server.js'), mod('browse/reader.js')]);
  return { openProject: context.openProject, startBrowse: server.startBrowse, RemoteReader: reader.RemoteReader };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const n = (x: number) => x.toLocaleString('en-US');
const pad = (i: number, w: number) => String(i).padStart(w, '0');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * browseLayout: `files` small files (1–4 kB), 100 to a plate folder, 10 plates to a screen:
 * screen-NN/plate-NNNN/site-NNN.png (10,000 files: 10 screens of 10 plates).
 */
export function browseLayout(files: number): Manifest {
  const out: Manifest = new Map();
  for (let i = 0; i < files; i++) {
    const plate = Math.floor(i / FILES_PER_FOLDER);
    const key = `screen-${pad(Math.floor(plate / FOLDERS_PER_SCREEN) + 1, 2)}/plate-${pad(plate + 1, 4)}/site-${pad(i % FILES_PER_FOLDER, 3)}.png`;
    out.set(key, { key, size: 1024 + Math.floor(seeded(key)() * 3072), kind: 'png', gen: 0 });
  }
  return out;
}

/** The Hub emulator in a child process of its own (as Ceph is its own processes), stopped by its handle. */
async function startHubProcess(root: string): Promise<{ url: string; token: string; child: ChildProcess; stop: () => Promise<void> }> {
  const cli = path.join(here, '..', '..', 'test', 'hub-emulator', 'cli.js');
  const child = spawn(process.execPath, [cli, '--root', root, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const found = await new Promise<{ url: string; token: string }>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the Hub emulator did not start in 30 s:\n${err}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const url = /^HF_ENDPOINT=(\S+)$/m.exec(out)?.[1];
      const token = /^HF_TOKEN=(\S+)$/m.exec(out)?.[1];
      if (url && token) {
        clearTimeout(timer);
        ok({ url, token });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the Hub emulator ended (exit ${code}):\n${err}`));
    });
  });
  return {
    ...found,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A project of one remote, seeded: main holds the layer, BRANCH its changed copy. */
interface Seeded {
  root: string;
  /** How long the two pushes took (s). */
  mainPush: number;
  branchPush: number;
  stop?: () => Promise<void>;
}

async function seed(x: BrowseContext, remote: BrowseRemote, dataDir: string, m: ReturnType<typeof planMutation>): Promise<Seeded> {
  const { box, say } = x;
  const root = path.join(x.work, 'browse', remote);
  fs.mkdirSync(root, { recursive: true });
  let side: Side;
  let stop: (() => Promise<void>) | undefined;
  if (remote === 'hub') {
    const hub = await startHubProcess(path.join(root, 'hub'));
    stop = hub.stop;
    const project = path.join(root, 'project');
    const data = makeHubProject(box.strataRoot, project, hub, 'lab/browse', path.join(root, 'remote'), 'main');
    side = { tool: 'strata', root: project, dataDir: data, bucket: '', prefix: '', runs: 0 };
  } else {
    const bucket = remote === 's3' ? await x.bucket!('browse') : '';
    const url = remote === 's3' ? `s3://${bucket}/browse` : `file://${path.join(root, 'remote')}`;
    if (remote === 'folder') fs.mkdirSync(path.join(root, 'remote'));
    side = makeSide(box, 'strata', path.join(root, 'project'), bucket, 'browse', url);
  }
  try {
    linkTree(dataDir, side.dataDir);
    say(`bench: browse ${remote}: pushing main`);
    const long = (c: Command): Command => ({ ...c, timeoutMs: 3_600_000 });
    const mainPush = x.setup(`browse ${remote}: pushing main`, long(syncCommand(box, side, 'up')));
    git(side.root, ['checkout', '-q', '-b', BRANCH]);
    applyMutation(side.dataDir, m);
    say(`bench: browse ${remote}: main pushed in ${mainPush.toFixed(1)} s; pushing ${BRANCH}`);
    const branchPush = x.setup(`browse ${remote}: pushing ${BRANCH}`, long(syncCommand(box, side, 'up')));
    say(`bench: browse ${remote}: ${BRANCH} pushed in ${branchPush.toFixed(1)} s`);
    return { root: side.root, mainPush, branchPush, stop };
  } catch (e) {
    await stop?.();
    throw e;
  }
}

interface Load {
  ms: number;
  serverMs: number;
  browserMs: number;
  bytes: number;
  status: number;
  text: string;
  nodes?: number;
  jsHeapBytes?: number;
  layoutMs?: number;
  styleMs?: number;
}

/**
 * timeLists makes every RemoteReader (the server's included: one module) note when each of
 * its listing() calls (which list() makes too) starts and ends; `span()` is first start to
 * last end since `clear()`.
 */
function timeLists(Reader: ReaderClass): { clear(): void; span(): number } {
  const calls: { start: number; end: number }[] = [];
  const listing = Reader.prototype.listing;
  Reader.prototype.listing = async function (this: StrataReader, space: StrataSpace) {
    const start = performance.now();
    try {
      return await listing.call(this, space);
    } finally {
      calls.push({ start, end: performance.now() });
    }
  };
  return {
    clear: () => void calls.splice(0),
    span: () => (calls.length ? Math.max(...calls.map((c) => c.end)) - Math.min(...calls.map((c) => c.start)) : 0),
  };
}

/**
 * A browser tab, as a person keeps one open while clicking through the pages: each load is a
 * navigation in it (same site, so the same renderer process, already running: a fresh
 * context per load would start a renderer during the very request being timed).
 */
interface Tab {
  page: TestPage;
  cdp: CDPSession;
  close(): Promise<void>;
}

async function openTab(browser: OpenBrowser): Promise<Tab> {
  const page = await browser.page();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return { page, cdp, close: () => page.context().close() };
}

/** One load of a page in the tab: Navigation Timing, and Chromium's metrics (layout and style time: this load's share). */
async function load(tab: Tab, url: string): Promise<Load> {
  const metrics = async () => new Map((await tab.cdp.send('Performance.getMetrics')).metrics.map((mm) => [mm.name, mm.value] as const));
  await new Promise((ok) => setTimeout(ok, 100)); // the previous page's work is over
  const before = await metrics();
  const res = await tab.page.goto(url, { waitUntil: 'load', timeout: 300_000 });
  const nav = JSON.parse((await tab.page.evaluate('JSON.stringify(performance.getEntriesByType("navigation")[0])')) as string) as Record<string, number>;
  // The earlier pages' documents are garbage now: collected, so that nodes and heap are this page's.
  await tab.cdp.send('HeapProfiler.collectGarbage');
  const after = await metrics();
  const text = (await tab.page.locator('main').textContent()) ?? '';
  const grew = (name: string) => (after.has(name) ? (after.get(name)! - (before.get(name) ?? 0)) * 1000 : undefined);
  return {
    ms: nav.loadEventStart!,
    serverMs: nav.responseStart! - nav.requestStart!,
    browserMs: nav.loadEventStart! - nav.responseStart!,
    bytes: nav.decodedBodySize!,
    status: res?.status() ?? 0,
    text,
    nodes: after.get('Nodes'),
    jsHeapBytes: after.get('JSHeapUsedSize'),
    layoutMs: grew('LayoutDuration'),
    styleMs: grew('RecalcStyleDuration'),
  };
}

/**
 * runBrowse seeds each remote, measures its pages and returns one sample per page and remote
 * (tool "strata", workload browse/<remote>/<page>, wall = the median page time in seconds,
 * the measurements in `browse`).
 */
export async function runBrowse(x: BrowseContext): Promise<{ samples: Sample[]; chromium: string }> {
  const { opts, say, note } = x;
  const files = opts.browseFiles;
  const layout = browseLayout(files);
  const m = planMutation(layout, 1);
  const dataDir = path.join(x.work, 'data', 'browse');
  say(`bench: browse: writing ${n(files)} files, ${(totalBytes(layout) / 1e6).toFixed(0)} MB, ${n(files / FILES_PER_FOLDER)} folders of ${FILES_PER_FOLDER}`);
  writeSmallDataset(dataDir, layout);
  const strata = await strataBuild(opts.strata);
  const lists = timeLists(strata.RemoteReader);
  const browser = await openBrowser();
  const chromium = browser.version;
  note(`Browse: Chromium ${browser.version}; the layer: ${n(files)} files of 1–4 kB, ${FILES_PER_FOLDER} to a folder; ${BRANCH}: ${m.changed.length} changed (half keep their size), ${m.added.length} added, ${m.deleted.length} deleted.`);
  const samples: Sample[] = [];
  try {
    for (const remote of opts.browseRemotes) {
      if (remote === 's3' && !x.bucket) {
        say('bench: browse s3: skipped (no Ceph)');
        continue;
      }
      const s = await seed(x, remote, dataDir, m);
      note(`Browse, ${remoteWords(remote)}: main pushed in ${s.mainPush.toFixed(1)} s (${n(Math.round(files / s.mainPush))} files/s), ${BRANCH} in ${s.branchPush.toFixed(1)} s.`);
      try {
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: process.env.LANG ?? 'C.UTF-8', HOME: x.box.home, HF_HOME: path.join(x.work, 'no-hf-home') };
        const ctx = await strata.openProject(s.root, {}, env);
        const server = await strata.startBrowse(ctx, { log: (line) => say(`  ${line}`) });
        try {
          const reader = new strata.RemoteReader(ctx);
          const main = reader.space({ layer: 'processed', branch: 'main' });
          const branch = reader.space({ layer: 'processed', branch: BRANCH });
          const time = async (f: () => Promise<unknown>) => {
            await f(); // unmeasured: opens the backend, warms connections
            const runs: number[] = [];
            for (let i = 0; i < opts.reps; i++) {
              const t0 = performance.now();
              await f();
              runs.push(performance.now() - t0);
            }
            return runs;
          };
          let listed = 0;
          const one = await time(async () => (listed = (await reader.list(main)).length));
          if (listed !== files) say(`  ✗ main lists ${listed} files, not ${files}`);
          const two = await time(() => Promise.all([reader.list(main), reader.list(branch)]));
          const folder = [...layout.keys()][0]!.split('/').slice(0, 2).join('/');
          const pages: { page: BrowsePage; path: string; listing: BrowseMeasure['listing']; listingMs: number[]; expect: string }[] = [
            { page: 'folder', path: `space?layer=processed&branch=main&dir=${encodeURIComponent(folder)}`, listing: 'one space', listingMs: one, expect: `${files} files in all` },
            { page: 'top', path: 'space?layer=processed&branch=main', listing: 'one space', listingMs: one, expect: `${files} files in all` },
            {
              page: 'diff',
              path: `diff?layer=processed&a=main&b=${BRANCH}`,
              listing: 'two spaces, side by side',
              listingMs: two,
              expect: `${m.added.length} added · ${m.changed.length} changed · ${m.deleted.length} deleted · ${files - m.changed.length - m.deleted.length} the same`,
            },
            { page: 'overview', path: '', listing: 'none', listingMs: [], expect: BRANCH },
          ];
          const tab = await openTab(browser);
          for (const p of pages) {
            const url = server.url + p.path;
            await load(tab, url); // unmeasured: the first load of the page
            const loads: Load[] = [];
            const inPage: number[] = [];
            const reqs: Requests[] = [];
            const loadAvg = os.loadavg()[0]!;
            for (let i = 0; i < opts.reps; i++) {
              const mark = remote === 's3' ? x.rgw?.mark() : undefined;
              lists.clear();
              loads.push(await load(tab, url));
              inPage.push(lists.span());
              if (mark !== undefined) reqs.push(await x.rgw!.since(mark));
            }
            const mid = [...loads].sort((a, b) => a.ms - b.ms)[loads.length >> 1]!;
            const midAt = loads.indexOf(mid);
            const measure: BrowseMeasure = {
              remote,
              page: p.page,
              files,
              path: p.path,
              listing: p.listing,
              listingMs: p.listingMs,
              listingInPageMs: inPage,
              pageMs: loads.map((l) => l.ms),
              serverMs: loads.map((l) => l.serverMs),
              browserMs: loads.map((l) => l.browserMs),
              bytes: mid.bytes,
              nodes: mid.nodes,
              jsHeapBytes: mid.jsHeapBytes,
              layoutMs: mid.layoutMs,
              styleMs: mid.styleMs,
              requests: reqs.length ? reqs[midAt] : undefined,
            };
            const problem =
              loads.find((l) => l.status !== 200) !== undefined
                ? `HTTP ${loads.find((l) => l.status !== 200)!.status}: ${mid.text.slice(0, 200)}`
                : !mid.text.replace(/\s+/g, ' ').includes(p.expect)
                  ? `the page does not say "${p.expect}"`
                  : undefined;
            const sample: Sample = {
              workload: browseId(remote, p.page),
              tool: 'strata',
              rep: 1,
              wall: median(measure.pageMs) / 1000,
              user: 0,
              sys: 0,
              rssMB: process.memoryUsage().rss / 1e6,
              exitCode: problem ? 1 : 0,
              load: loadAvg,
              requests: measure.requests ?? { total: 0, byKind: {}, errors: 0 },
              serverCpu: 0,
              logFile: '',
              browse: measure,
              ...(problem ? { problem } : {}),
            };
            samples.push(sample);
            const l = median(measure.listingMs);
            say(
              `  ${remote.padEnd(6)} ${p.page.padEnd(8)} listing ${Number.isFinite(l) ? `${l.toFixed(0)} ms` : '—'} (in the page ${median(inPage).toFixed(0)} ms)  ` +
                `page ${median(measure.pageMs).toFixed(0)} ms, after the listing ${afterListing(measure).toFixed(0)} ` +
                `(server ${serverAfterListing(measure).toFixed(0)} · browser ${median(measure.browserMs).toFixed(0)})  ${n(measure.bytes)} B` +
                `${measure.requests ? `  req ${describeRequests(measure.requests)}` : ''}${problem ? `  ✗ ${problem}` : ''}`,
            );
          }
          await tab.close();
        } finally {
          await server.close();
        }
      } finally {
        await s.stop?.();
        if (!opts.keep) fs.rmSync(path.join(x.work, 'browse', remote), { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  say('');
  for (const line of browseTable(samples)) say(line);
  return { samples, chromium };
}

export const remoteWords = (r: BrowseRemote) => (r === 's3' ? 'S3' : r === 'hub' ? 'the Hub (emulator)' : 'folder remote');
const PAGE_WORDS: Record<BrowsePage, string> = {
  folder: 'a folder of 100 files',
  top: 'the space, top folder',
  diff: 'the branch against main',
  overview: 'the overview',
};

/** afterListing: the median over the loads of each load's page time less the listing inside it (the overview lists nothing). */
export function afterListing(b: BrowseMeasure): number {
  return median(b.pageMs.map((ms, i) => ms - (b.listingInPageMs[i] ?? 0)));
}

/** serverAfterListing: the server's share of afterListing (request to first byte, less the listing). */
export function serverAfterListing(b: BrowseMeasure): number {
  return median(b.serverMs.map((ms, i) => ms - (b.listingInPageMs[i] ?? 0)));
}

/** browseTable: the table printed at the end of the group (and, in markdown, in the report). */
export function browseTable(samples: Sample[], markdown = false): string[] {
  const rows = samples
    .filter((s) => s.browse)
    .sort((a, b) => BROWSE_PAGES.indexOf(a.browse!.page) - BROWSE_PAGES.indexOf(b.browse!.page) || BROWSE_REMOTES.indexOf(a.browse!.remote) - BROWSE_REMOTES.indexOf(b.browse!.remote))
    .map((s) => {
      const b = s.browse!;
      const l = median(b.listingMs);
      const inPage = median(b.listingInPageMs);
      const after = afterListing(b);
      const ok = !s.problem && after <= BROWSE_TARGET_MS;
      const page = b.page === 'folder' ? `a folder of ${FILES_PER_FOLDER} files` : PAGE_WORDS[b.page];
      return [
        page,
        b.remote === 'hub' ? 'Hub' : b.remote === 's3' ? 'S3' : 'folder',
        Number.isFinite(l) ? `${l.toFixed(0)}${b.listing.startsWith('two') ? ' (2 side by side)' : ''}` : '— (none)',
        inPage ? inPage.toFixed(0) : '—',
        median(b.pageMs).toFixed(0),
        after.toFixed(0),
        `${ok ? '✅' : '❌'}${s.problem ? ` ${s.problem}` : ''}`,
        n(b.bytes),
        `${serverAfterListing(b).toFixed(0)} · ${median(b.browserMs).toFixed(0)}`,
        b.nodes === undefined ? '' : n(b.nodes),
        b.jsHeapBytes === undefined ? '' : (b.jsHeapBytes / 1e6).toFixed(1),
      ];
    });
  const head = ['Page', 'Remote', 'Listing ms', 'Its listing in the page ms', 'Page ms', 'Page − listing ms', `≤ ${BROWSE_TARGET_MS} ms`, 'Bytes', 'After the listing: server · browser ms', 'DOM nodes', 'JS heap MB'];
  if (markdown) return [`| ${head.join(' | ')} |`, `|---|---|${head.slice(2).map(() => '--:').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)];
}
