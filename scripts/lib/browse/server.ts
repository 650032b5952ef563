// The browse server: node:http on 127.0.0.1 only, every page under a random token
// (http://127.0.0.1:PORT/TOKEN/…), GET and HEAD only. Safe by default, because a lab's
// machines are shared:
// - another user of the machine can reach the port, but not guess the token;
// - a page from elsewhere cannot read it through DNS rebinding: the Host must be loopback;
// - nothing reaches the page that is not drawn from a listing or a log (no credentials, no
//   settings), every value is escaped (html.ts), and the Content-Security-Policy allows no
//   script at all (images from the server itself; the empty data: icon spares a favicon request);
// - the token never leaves in a Referer (no-referrer), and pages are not cached.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { RunContext } from '../context.js';
import { StrataError } from '../errors.js';
import { remoteUrl } from '../git.js';
import { keyProblem } from '../listing/keys.js';
import { scrub } from '../ui/format.js';
import { commitLinker } from './commit-links.js';
import { html, page, type Html } from './html.js';
import { compareForm, diffPage, errorPage, filePage, historyPage, overviewPage, spacePage, type PageContext } from './pages.js';
import { preview } from './preview.js';
import { RemoteReader } from './reader.js';

/** Images larger than this are not sent to the page (the file view still shows their size and digests). */
const MAX_IMAGE_BYTES = 50 * 1024 * 1024;

const HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

export interface BrowseServer {
  /** The address with its token: http://127.0.0.1:PORT/TOKEN/ */
  url: string;
  close(): Promise<void>;
}

/** A page's answer: markup, or bytes (an image), with a status. */
type Answer = { status: number; body: Html | Uint8Array; type?: string; location?: string };

class NotFound extends StrataError {
  constructor(what: string) {
    super(what, undefined, 2);
  }
}

export async function startBrowse(ctx: RunContext, opts: { port?: number; log?: (line: string) => void } = {}): Promise<BrowseServer> {
  const token = randomBytes(18).toString('base64url');
  const reader = new RemoteReader(ctx);
  const pageCtx: PageContext = {
    project: path.basename(ctx.config.projectRoot),
    mainBranch: ctx.config.mainBranch,
    currentBranch: ctx.git.branch,
    commitLink: commitLinker(await remoteUrl(ctx.config.projectRoot)),
  };
  let port = 0;

  const server = http.createServer((req, res) => {
    void answer(req).then(
      (a) => send(res, req, a),
      (e: unknown) => {
        const err = e as Error;
        const known = e instanceof StrataError;
        if (!known) opts.log?.(`browse: ${req.url?.split('?')[0].replace(token, 'TOKEN')}: ${scrub(err.message)}`);
        const body = page('Not shown', errorPage(scrub(err.message), known ? (e as StrataError).hint : undefined), pageCtx.project);
        send(res, req, { status: e instanceof NotFound ? 404 : known ? 400 : 502, body });
      },
    );
  });

  async function answer(req: http.IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, given, route, ...extra] = url.pathname.split('/');
    if (!sameToken(given ?? '', token)) return { status: 403, body: html`Forbidden: this address needs the token Strata printed when browse started.`, type: 'text/plain' };
    if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, body: html`browse is read-only: only GET and HEAD.`, type: 'text/plain' };
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return { status: 421, body: html`Open this page at 127.0.0.1.`, type: 'text/plain' };
    // The pages link relative to TOKEN/: the bare token is sent there.
    if (route === undefined) return { status: 308, body: html``, type: 'text/plain', location: `/${token}/` };
    const q = (name: string) => url.searchParams.get(name) ?? undefined;
    const ref = () => ({ layer: need(q('layer'), 'layer'), branch: q('branch') ?? pageCtx.currentBranch ?? pageCtx.mainBranch, rev: q('rev') });
    const whole = (title: string, body: Html): Answer => ({ status: 200, body: page(title, body, pageCtx.project) });
    // Pages are one level under the token (keys travel in the query): a deeper path names none.
    switch (extra.length ? '/' : route) {
      case '':
        return whole('overview', overviewPage(await reader.overview(), pageCtx));
      case 'space': {
        const space = reader.space(ref());
        return whole(`${space.layer.name} · ${space.branch}`, spacePage(space, await reader.listing(space), dirOf(q('dir')), pageCtx));
      }
      case 'history': {
        const space = reader.space(ref());
        return whole(`history · ${space.branch}`, historyPage(space, await reader.history(space, q('before')), pageCtx, q('before')));
      }
      case 'diff': {
        const results = ctx.config.layers.filter((l) => l.kind === 'result');
        const layer = q('layer') ?? results[0]?.name ?? ctx.config.layers[0].name;
        const picked = { layer, a: q('a') ?? pageCtx.mainBranch, arev: q('arev'), b: q('b') ?? pageCtx.currentBranch ?? pageCtx.mainBranch, brev: q('brev') };
        const a = reader.space({ layer, branch: picked.a, rev: picked.arev });
        const b = reader.space({ layer, branch: picked.b, rev: picked.brev });
        const branches = [...new Set([pageCtx.mainBranch, picked.a, picked.b, ...(await reader.branches())])];
        const form = compareForm(ctx.config.layers.map((l) => l.name), picked, branches);
        return whole(`compare · ${layer}`, diffPage(a, b, await reader.compare(a, b), pageCtx, form));
      }
      case 'file': {
        const space = reader.space(ref());
        const key = safeKey(need(q('key'), 'key'), 'key');
        const view = await reader.file(space, key);
        if (!view) throw new NotFound(`${space.layer.name} on ${space.branch} holds no file ${key}.`);
        return whole(key, filePage(view, pageCtx));
      }
      case 'raw': {
        // Only images, checked by their first bytes: anything else sent raw could be markup.
        const space = reader.space(ref());
        const key = safeKey(need(q('key'), 'key'), 'key');
        const entry = await reader.entry(space, key);
        if (!entry) throw new NotFound(`${space.layer.name} on ${space.branch} holds no file ${key}.`);
        if (entry.size > MAX_IMAGE_BYTES) throw new StrataError(`${key} is too large to show (${entry.size} bytes).`);
        const bytes = await reader.bytes(space, entry);
        const seen = await preview(key, { size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });
        if (seen.kind !== 'image') throw new StrataError(`${key} is not shown raw: only PNG and JPEG images are.`);
        return { status: 200, body: bytes, type: seen.mime };
      }
      default:
        throw new NotFound(`No page is named "${[route, ...extra].join('/')}".`);
    }
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE') throw new StrataError(`Port ${opts.port} on 127.0.0.1 is taken.`, 'Leave out --port (a free port is chosen), or give another.', 2);
    throw e;
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/${token}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

function need(value: string | undefined, name: string): string {
  if (!value) throw new StrataError(`This page needs ?${name}=…`);
  return value;
}

/** dirOf: the folder a space page shows ('' for the top), held to the key rule. */
function dirOf(value: string | undefined): string {
  const dir = (value ?? '').replace(/\/+$/, '');
  return dir ? safeKey(dir, 'dir') : '';
}

/**
 * safeKey: a key or folder from the address, held to the key rule before it reaches a
 * store (a `..` would name a file outside the space on a plain folder).
 */
function safeKey(value: string, name: string): string {
  const problem = keyProblem(value);
  if (problem) throw new StrataError(`?${name}=${value} is not a name a layer holds: it ${problem.replace(/^(empty key)$/, 'is empty')}.`);
  return value;
}

/** sameToken compares in constant time, so the token cannot be guessed a character at a time. */
function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: http.ServerResponse, req: http.IncomingMessage, a: Answer): void {
  const body = a.body instanceof Uint8Array ? a.body : Buffer.from(a.body.text);
  res.writeHead(a.status, { ...HEADERS, 'Content-Type': a.type ?? 'text/html; charset=utf-8', 'Content-Length': String(body.length), ...(a.location ? { Location: a.location } : {}) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
