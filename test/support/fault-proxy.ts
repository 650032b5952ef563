// A fault-injecting HTTP proxy for the reliability tests. It sits between Strata and a real
// server (Ceph RGW, the Hub emulator) on a loopback port and forwards every request
// unchanged (Host header included, so S3 signatures still verify), unless a fault rule
// matches. Faults: an error status answered by the proxy (500, 503 SlowDown, 429 with
// Retry-After), a connection reset part-way through the request body (a cut upload) or the
// response body (a cut download), a body truncated with a clean close, a stall (no answer at
// all, or headers and then nothing), a delay, a throttle, a rewritten or corrupted response,
// and "let the server act, then drop the answer". Taps observe requests (and can await,
// e.g. to kill -9 the client at an exact point) without changing them.
//
//   const proxy = await startFaultProxy(inject('s3').endpoint);
//   proxy.faults.push({ match: (r) => r.method === 'PUT', action: { type: 'status', ...s3Error(503, 'SlowDown') }, times: 2 });
//   … run Strata with AWS_ENDPOINT_URL_S3=proxy.url …
//   expect(proxy.log.filter((r) => r.fault)).toHaveLength(2);
//   await proxy.stop();
//
// Everything is stopped by handle: stop() closes the server and destroys every socket it holds.

import http, { type IncomingHttpHeaders } from 'node:http';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxiedRequest {
  /** 1, 2, 3… in arrival order. */
  id: number;
  method: string;
  /** Path and query as sent (percent-encoded). */
  path: string;
  headers: IncomingHttpHeaders;
  startedAt: number;
  endedAt?: number;
  /** Status sent to the client (undefined when none was sent). */
  status?: number;
  /** Name of the fault applied, if any. */
  fault?: string;
  /** Request body bytes received from the client. */
  requestBytes: number;
  /** Response body bytes sent to the client. */
  responseBytes: number;
  /**
   * The path of the request whose redirect led here: the Hub sends LFS content from another
   * host (its CDN), and the proxy brings that host's traffic through itself too (as a lab's
   * HTTP proxy sees it), so that faults reach the bytes of a download.
   */
  redirectedFrom?: string;
}

export type FaultAction =
  /** Answer with this status (the request is read and dropped; the server never sees it). */
  | { type: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Forward, and reset the client's connection once this many request-body bytes have arrived (a cut upload). */
  | { type: 'reset-request'; afterBytes: number }
  /** Forward, and reset the connection after this many response-body bytes (a cut download). */
  | { type: 'reset-response'; afterBytes: number }
  /** Forward; send the real headers (Content-Length too) but only this many body bytes, then close cleanly. */
  | { type: 'truncate'; afterBytes: number }
  /** Forward; send the headers and this many body bytes, then nothing (a stalled server). Omit afterBytes: not even headers. */
  | { type: 'stall'; afterBytes?: number }
  /** Forward after a delay. */
  | { type: 'delay'; ms: number }
  /** Forward, pacing the response body. */
  | { type: 'throttle'; bytesPerSecond: number }
  /** Forward, buffer the response body and replace it (Content-Length adjusted). */
  | { type: 'rewrite'; fn: (body: Buffer, req: ProxiedRequest, status: number) => Buffer }
  /** Forward, flip the byte at this offset of the response body (length unchanged). */
  | { type: 'corrupt'; at: number }
  /** Forward; the server acts, and the client's connection is reset before any of the answer reaches it. */
  | { type: 'drop-response' };

export interface FaultRule {
  name?: string;
  match: (req: ProxiedRequest) => boolean;
  /** How many matching requests the rule acts on (default 1; Infinity for all). */
  times?: number;
  action: FaultAction;
}

/** A tap observes matching requests; its callbacks are awaited, so a tap can hold a request. */
export interface Tap {
  match: (req: ProxiedRequest) => boolean;
  /** Before the request is forwarded (its body may not have arrived yet). Return 'drop' to reset the connection instead: the server never sees the request. */
  beforeForward?: (req: ProxiedRequest) => void | 'drop' | Promise<void | 'drop'>;
  /** After the server answered, before the answer is relayed. */
  afterServer?: (req: ProxiedRequest, status: number) => void | Promise<void>;
  /** Request-body bytes received so far (cumulative for this request). */
  onRequestBytes?: (total: number, req: ProxiedRequest) => void;
  /** Response-body bytes relayed so far (cumulative for this request). */
  onResponseBytes?: (total: number, req: ProxiedRequest) => void;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: give it to Strata instead of the server's address. */
  url: string;
  /** Rules, first match wins; a rule is removed when its `times` are used up. */
  faults: FaultRule[];
  taps: Tap[];
  /** Every request seen, in order. */
  log: ProxiedRequest[];
  stop(): Promise<void>;
}

/** The body and headers S3 sends with an error status (SlowDown, InternalError, …). */
export function s3Error(status: number, code: string, message = code): { status: number; body: string; headers: Record<string, string> } {
  return {
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`,
    headers: { 'content-type': 'application/xml' },
  };
}

/** A Hub-style JSON error; a 429 gets Retry-After. */
export function hubError(status: number, retryAfterSeconds?: number): { status: number; body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  return { status, body: JSON.stringify({ error: `fault-proxy: injected ${status}` }), headers };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'expect']);

export interface ProxyOptions {
  /**
   * Bring the other loopback servers the server names through the proxy too: the Hub hands
   * out its Xet chunk store's address in X-Xet-* and Link headers and in JSON answers (the
   * token endpoints, a file's Xet info, a reconstruction's presigned ranges). Those addresses
   * are rewritten to come back as /__via/<port>/…, so that faults reach Xet's uploads and
   * ranged reads. (A redirect's Location is always rewritten.)
   */
  carryLoopback?: boolean;
}

export async function startFaultProxy(upstreamUrl: string, opts: ProxyOptions = {}): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();
  const faults: FaultRule[] = [];
  const taps: Tap[] = [];
  const log: ProxiedRequest[] = [];
  let counter = 0;
  let url = '';

  const takeFault = (r: ProxiedRequest): FaultRule | undefined => {
    const rule = faults.find((f) => (f.times ?? 1) > 0 && f.match(r));
    if (!rule) return undefined;
    rule.times = (rule.times ?? 1) - 1;
    if (rule.times <= 0) faults.splice(faults.indexOf(rule), 1);
    return rule;
  };

  // A redirect to another loopback host comes back through the proxy as /__via/<port>/<path>.
  const redirects = new Map<string, string>();
  const loopback = /http:\/\/127\.0\.0\.1:(\d+)/g;
  const carry = (text: string) => text.replace(loopback, (whole, port: string) => (whole === url ? whole : `${url}/__via/${port}`));
  const server = http.createServer(async (req, res) => {
    const r: ProxiedRequest = { id: ++counter, method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, startedAt: Date.now(), requestBytes: 0, responseBytes: 0 };
    const via = /^\/__via\/(\d+)(\/.*)$/.exec(r.path);
    if (via) {
      r.redirectedFrom = redirects.get(r.path);
      r.path = via[2]!;
    }
    const target = via ? { host: '127.0.0.1', port: via[1]! } : { host: upstream.hostname, port: upstream.port };
    log.push(r);
    const myTaps = taps.filter((t) => t.match(r));
    const rule = takeFault(r);
    const action = rule?.action;
    if (rule) r.fault = rule.name ?? action!.type;
    const socket = req.socket;
    const kill = () => {
      if (!socket.destroyed) socket.resetAndDestroy();
    };
    res.on('finish', () => (r.endedAt = Date.now()));
    res.on('close', () => (r.endedAt ??= Date.now()));

    try {
      for (const t of myTaps) {
        if ((await t.beforeForward?.(r)) === 'drop') {
          r.fault = 'dropped by tap';
          kill();
          return;
        }
      }

      if (action?.type === 'status') {
        req.on('data', (c: Buffer) => (r.requestBytes += c.length));
        await new Promise<void>((ok) => {
          req.once('end', ok);
          req.once('close', ok);
          req.resume();
        });
        r.status = action.status;
        const body = Buffer.from(action.body ?? '');
        res.writeHead(action.status, { 'content-length': String(body.length), ...action.headers });
        res.end(body);
        return;
      }
      if (action?.type === 'stall' && action.afterBytes === undefined) {
        // Read the request and never answer: the client must give up by itself.
        req.on('data', (c: Buffer) => (r.requestBytes += c.length));
        req.resume();
        return;
      }
      if (action?.type === 'delay') await new Promise((ok) => setTimeout(ok, action.ms));

      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      if (via) headers.host = `${target.host}:${target.port}`;
      const up = http.request({ ...target, method: r.method, path: r.path, headers, agent });
      let clientGone = false;
      const onClientGone = () => {
        clientGone = true;
        if (!res.writableFinished) up.destroy();
      };
      socket.once('close', onClientGone);
      // A kept-alive socket carries many requests: each one's watch ends with its answer.
      res.once('finish', () => socket.off('close', onClientGone));

      req.on('data', (chunk: Buffer) => {
        r.requestBytes += chunk.length;
        for (const t of myTaps) t.onRequestBytes?.(r.requestBytes, r);
        if (action?.type === 'reset-request' && r.requestBytes >= action.afterBytes) {
          // Let exactly afterBytes reach the server, then cut both sides.
          const keep = chunk.length - (r.requestBytes - action.afterBytes);
          if (keep > 0) up.write(chunk.subarray(0, keep));
          up.destroy();
          kill();
          return;
        }
        up.write(chunk);
      });
      req.on('end', () => {
        if (!clientGone) up.end();
      });

      const upRes = await new Promise<http.IncomingMessage>((ok, fail) => {
        up.once('response', ok);
        up.once('error', fail);
      });
      const status = upRes.statusCode ?? 502;
      for (const t of myTaps) await t.afterServer?.(r, status);
      if (clientGone) {
        upRes.resume();
        return;
      }
      if (action?.type === 'drop-response') {
        upRes.resume();
        kill();
        return;
      }

      const outHeaders: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) outHeaders[k] = v;
      const location = typeof upRes.headers.location === 'string' && status >= 300 && status < 400 ? new URL(upRes.headers.location, `http://${target.host}:${target.port}`) : undefined;
      if (location && location.hostname === '127.0.0.1' && location.origin !== url) {
        const back = `/__via/${location.port}${location.pathname}${location.search}`;
        redirects.set(back, r.path);
        outHeaders.location = `${url}${back}`;
      }

      // The body as it will be relayed: the server's stream, or, where loopback addresses are
      // carried through the proxy, a JSON answer rewritten whole.
      let upBody: AsyncIterable<Buffer> = upRes;
      if (opts.carryLoopback) {
        for (const k of ['x-xet-cas-url', 'link']) if (typeof outHeaders[k] === 'string') outHeaders[k] = carry(outHeaders[k] as string);
        if (String(upRes.headers['content-type']).includes('json')) {
          const chunks: Buffer[] = [];
          for await (const c of upRes) chunks.push(c as Buffer);
          const body = Buffer.from(carry(Buffer.concat(chunks).toString('utf8')));
          delete outHeaders['transfer-encoding'];
          outHeaders['content-length'] = String(body.length);
          upBody = (async function* () {
            yield body;
          })();
        }
      }

      if (action?.type === 'rewrite') {
        const chunks: Buffer[] = [];
        for await (const c of upBody) chunks.push(c);
        const body = action.fn(Buffer.concat(chunks), r, status);
        delete outHeaders['transfer-encoding'];
        outHeaders['content-length'] = String(body.length);
        r.status = status;
        res.writeHead(status, outHeaders);
        r.responseBytes = body.length;
        res.end(body);
        return;
      }

      r.status = status;
      res.writeHead(status, outHeaders);
      const limit =
        action?.type === 'reset-response' || action?.type === 'truncate' || action?.type === 'stall' ? (action.afterBytes ?? 0) : Infinity;
      if (limit !== Infinity) res.flushHeaders();
      let sent = 0;
      for await (const c of upBody) {
        let chunk = c;
        if (action?.type === 'corrupt' && action.at >= sent && action.at < sent + chunk.length) {
          chunk = Buffer.from(chunk);
          chunk[action.at - sent] ^= 0xff;
        }
        if (sent + chunk.length > limit) chunk = chunk.subarray(0, Math.max(0, limit - sent));
        if (chunk.length) {
          if (action?.type === 'throttle') {
            for (let off = 0; off < chunk.length; off += 16 * 1024) {
              const piece = chunk.subarray(off, off + 16 * 1024);
              await write(res, piece);
              await new Promise((ok) => setTimeout(ok, (piece.length / action.bytesPerSecond) * 1000));
            }
          } else await write(res, chunk);
          sent += chunk.length;
          r.responseBytes = sent;
          for (const t of myTaps) t.onResponseBytes?.(sent, r);
        }
        if (socket.destroyed) {
          upRes.destroy();
          return;
        }
        if (sent >= limit) {
          upRes.destroy();
          if (action?.type === 'reset-response') kill();
          else if (action?.type === 'truncate') socket.end(); // a clean FIN, short of Content-Length
          // stall: keep the connection open, send nothing more
          return;
        }
      }
      res.end();
    } catch {
      kill();
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Slow clients and stalls are the point here: no server-side timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    faults,
    taps,
    log,
    stop: () =>
      (stopped ??= (async () => {
        const closed = new Promise<void>((ok) => server.close(() => ok()));
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        agent.destroy();
        await closed;
      })()),
  };
}

function write(res: http.ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((ok) => {
    if (res.write(chunk)) ok();
    else {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        ok();
      };
      res.once('drain', done);
      res.once('close', done);
    }
  });
}

/**
 * useFaultProxy runs one proxy in front of `upstream()` for the enclosing describe block:
 * started before its tests, stopped after them, and with no fault or tap carried from one
 * test into the next. `use` receives it (tests keep it in a `let proxy`).
 */
export function useFaultProxy(upstream: () => string, use: (proxy: FaultProxy) => void, opts: ProxyOptions = {}): void {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(upstream(), opts);
    use(proxy);
  });
  afterAll(() => proxy.stop());
  afterEach(() => {
    proxy.faults.length = 0;
    proxy.taps.length = 0;
  });
}

/** Requests matching `match` since log position `since` (take `proxy.log.length` before the run). */
export function attempts(proxy: FaultProxy, match: (r: ProxiedRequest) => boolean, since = 0): ProxiedRequest[] {
  return proxy.log.slice(since).filter(match);
}

// Request shapes. S3 is path style (/bucket/key?query); data keys live under the test
// remote's datastore prefix, the journal under .strata/.
const s3Data = (r: ProxiedRequest) => /\/datastore\/(branches\/[^?]*\/)?processed\//.test(r.path) && !r.path.includes('/.strata/');
export const s3Get = (name: string) => (r: ProxiedRequest) => r.method === 'GET' && s3Data(r) && r.path.split('?')[0].endsWith('/' + name);
export const s3Put = (name: string) => (r: ProxiedRequest) => r.method === 'PUT' && s3Data(r) && r.path.split('?')[0].endsWith('/' + name);
export const s3List = (r: ProxiedRequest) => r.method === 'GET' && r.path.includes('list-type=2');
/** The bytes of an LFS file on the Hub: the request that followed its resolve's redirect to the download host. */
export const hubLfsContent = (name: string) => (r: ProxiedRequest) => r.method === 'GET' && !!r.redirectedFrom?.includes('/resolve/') && r.redirectedFrom.split('?')[0].endsWith('/' + name);
/** The Hub's content request, not the 1-byte `Range: bytes=0-0` probe @huggingface/hub sends first. */
export const hubResolve = (name: string) => (r: ProxiedRequest) =>
  r.method === 'GET' && r.path.includes('/resolve/') && r.path.split('?')[0].endsWith('/' + name) && r.headers.range !== 'bytes=0-0';
export const hubTree = (r: ProxiedRequest) => r.method === 'GET' && r.path.includes('/tree/');
// Xet's chunk store (through a proxy started with carryLoopback): a xorb or a shard posted, a
// file's reconstruction asked, a presigned range of a xorb read.
export const casXorbPost = (r: ProxiedRequest) => r.method === 'POST' && r.path.startsWith('/v1/xorbs/');
export const casShardPost = (r: ProxiedRequest) => r.method === 'POST' && r.path === '/v1/shards';
export const casReconstruction = (r: ProxiedRequest) => r.method === 'GET' && /^\/v[12]\/reconstructions\//.test(r.path);
export const casXorbRead = (r: ProxiedRequest) => r.method === 'GET' && r.path.startsWith('/xorb-data/');
