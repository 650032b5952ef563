// retryingFetch (scripts/lib/remotes/retry-fetch.ts), the Hub client's fetch, against a real
// HTTP server on 127.0.0.1 that answers each attempt as a row says: a status (with
// Retry-After or not), a dropped connection, no answer at all, or half a body and then
// silence. Each row checks how many requests reached the server, what the caller got, and
// what was reported as retried.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryingFetch, type RetryOptions } from '../../scripts/lib/remotes/retry-fetch.js';
import { BACKOFF, TRIES } from '../../scripts/lib/remotes/retry-policy.js';

/** What the server does with one request. */
type Answer =
  | { status: number; retryAfter?: string; body?: string }
  /** Closes the connection without an answer. */
  | 'drop'
  /** Never answers. */
  | 'stall'
  /** Sends the head and part of a 200 body, then goes silent. */
  | 'stall-body'
  /** A 200 body of ten chunks, one every 100 ms: slow, never silent for long. */
  | 'trickle';

type Outcome =
  /** The response the caller gets, and its body. */
  | { status: number; body?: string }
  /** The call rejects. */
  | { error: RegExp }
  /** The response comes, reading its body fails. */
  | { status: number; bodyError: RegExp };

interface Row {
  what: string;
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'POST';
  /** One answer per attempt, in order. */
  answers: Answer[];
  /** A request body that can be sent again (a string) or not (a stream). */
  body?: 'string' | 'stream';
  options?: RetryOptions;
  /** Requests that reached the server. */
  tries: number;
  outcome: Outcome;
  /** What onRetry reported, in order: a status, 'connection error' or 'timeout'. */
  retried: (number | string)[];
  /** The waits onRetry announced, when the server named them (Retry-After, capped). */
  waits?: number[];
  /** The wait before the second attempt is at least this long (Retry-After honoured). */
  waitedAtLeastMs?: number;
}

const OK = { status: 200, body: 'done' } as const;
// A short timeout: the rows are about which attempts happen. The waits between them are the
// one retry rule's (retry-policy.ts); a Retry-After over its cap is tested in unit/backoff.
const FAST: RetryOptions = { timeoutMs: 400 };

const ROWS: Row[] = [
  { what: 'success on the first try', method: 'GET', answers: [OK], tries: 1, outcome: OK, retried: [] },
  { what: '429 with Retry-After: 1 waits a second, then succeeds', method: 'GET', answers: [{ status: 429, retryAfter: '1' }, OK], tries: 2, outcome: OK, retried: [429], waits: [1000], waitedAtLeastMs: 950 },
  { what: '429 on a POST is retried (the server refused it)', method: 'POST', body: 'string', answers: [{ status: 429 }, OK], tries: 2, outcome: OK, retried: [429] },
  { what: '503 twice on a GET, then success', method: 'GET', answers: [{ status: 503 }, { status: 503 }, OK], tries: 3, outcome: OK, retried: [503, 503] },
  { what: '503 on a POST is retried (SlowDown: nothing was done)', method: 'POST', body: 'string', answers: [{ status: 503 }, OK], tries: 2, outcome: OK, retried: [503] },
  { what: '500 on a GET is retried', method: 'GET', answers: [{ status: 500 }, OK], tries: 2, outcome: OK, retried: [500] },
  { what: '502 on a PUT is retried (idempotent)', method: 'PUT', body: 'string', answers: [{ status: 502 }, OK], tries: 2, outcome: OK, retried: [502] },
  { what: '500 on a DELETE is retried (idempotent)', method: 'DELETE', answers: [{ status: 500 }, OK], tries: 2, outcome: OK, retried: [500] },
  { what: '500 on a POST is not retried: a commit may have landed', method: 'POST', body: 'string', answers: [{ status: 500, body: 'boom' }, OK], tries: 1, outcome: { status: 500, body: 'boom' }, retried: [] },
  { what: '404 is an answer, not retried', method: 'GET', answers: [{ status: 404, body: 'no such file' }, OK], tries: 1, outcome: { status: 404, body: 'no such file' }, retried: [] },
  { what: 'a dropped connection on a GET is retried', method: 'GET', answers: ['drop', OK], tries: 2, outcome: OK, retried: ['connection error'] },
  { what: '500 and a dropped connection on a POST the caller calls idempotent are retried (a content-addressed upload)', method: 'POST', body: 'string', answers: [{ status: 500 }, 'drop', OK], options: { ...FAST, idempotent: (m, u) => m === 'POST' && u.endsWith('/x') }, tries: 3, outcome: OK, retried: [500, 'connection error'] },
  { what: 'a dropped connection on a POST is not retried', method: 'POST', body: 'string', answers: ['drop', OK], tries: 1, outcome: { error: /fetch failed|socket|closed/i }, retried: [] },
  { what: 'no answer on a GET: the timeout gives up on it and retries', method: 'GET', answers: ['stall', OK], tries: 2, outcome: OK, retried: ['timeout'] },
  { what: 'no answer on a POST: the timeout fails it, not retried', method: 'POST', body: 'string', answers: ['stall', OK], tries: 1, outcome: { error: /no answer from http:\/\/127\.0\.0\.1:\d+\/x for 0\.4 s/ }, retried: [] },
  { what: 'half a body, then silence: reading it fails after the timeout', method: 'GET', answers: ['stall-body', OK], tries: 1, outcome: { status: 200, bodyError: /no data for 400 ms/ }, retried: [] },
  { what: 'a slow body that never goes silent for the timeout is not cut, however long it takes', method: 'GET', answers: ['trickle'], tries: 1, outcome: { status: 200, body: 'abcdefghij' }, retried: [] },
  { what: `success after ${TRIES - 1} failures (503, 500, drop, timeout), on the last try`, method: 'GET', answers: [{ status: 503 }, { status: 500 }, 'drop', 'stall', OK], tries: TRIES, outcome: OK, retried: [503, 500, 'connection error', 'timeout'] },
  { what: `${TRIES} failures: the last answer is returned`, method: 'GET', answers: [...Array.from({ length: TRIES - 1 }, () => ({ status: 503 })), { status: 503, body: 'still busy' }, OK], tries: TRIES, outcome: { status: 503, body: 'still busy' }, retried: Array.from({ length: TRIES - 1 }, () => 503) },
  { what: 'dropped connections up to a caller\'s fewer tries: the error is thrown', method: 'GET', answers: ['drop', 'drop', 'drop', OK], options: { ...FAST, tries: 3 }, tries: 3, outcome: { error: /fetch failed|socket|closed/i }, retried: ['connection error', 'connection error'] },
  { what: 'a streamed body cannot be sent twice: a 503 is returned, not retried', method: 'PUT', body: 'stream', answers: [{ status: 503 }, OK], tries: 1, outcome: { status: 503 }, retried: [] },
];

// ─── The server ────────────────────────────────────────────────────────────────────────

let server: http.Server;
let base: string;
let script: Answer[] = [];
/** When each request arrived, in ms since the row started. */
let arrivals: number[] = [];
let started = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    arrivals.push(Date.now() - started);
    const answer = script.shift() ?? { status: 599, body: 'the row gave no answer for this attempt' };
    req.resume(); // read (and drop) any request body
    // A new connection per request: a row's attempts never meet a connection an earlier row left.
    res.setHeader('connection', 'close');
    if (answer === 'drop') return req.socket.destroy();
    if (answer === 'stall') return; // closed when the server stops
    if (answer === 'stall-body') {
      res.writeHead(200, { 'content-length': '1000' });
      return res.write('x'.repeat(100));
    }
    if (answer === 'trickle') {
      res.writeHead(200);
      let i = 0;
      const next = setInterval(() => {
        res.write('abcdefghij'[i++]!);
        if (i === 10) {
          clearInterval(next);
          res.end();
        }
      }, 100);
      return;
    }
    res.writeHead(answer.status, answer.retryAfter ? { 'retry-after': answer.retryAfter } : {});
    res.end(answer.body ?? '');
  });
  // The client opens spare connections ahead of need; the server never closes an idle one
  // (a close racing the next request would fail it for reasons no row describes).
  server.keepAliveTimeout = 0;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

function requestBody(kind: Row['body']): BodyInit | undefined {
  if (kind === 'string') return 'payload';
  if (kind === 'stream') return new Blob(['payload']).stream();
  return undefined;
}

describe('retryingFetch: one row per server behaviour', () => {
  it.each(ROWS)('$what', async (row) => {
    script = [...row.answers];
    arrivals = [];
    started = Date.now();
    const retried: (number | string)[] = [];
    const waits: number[] = [];
    const f = retryingFetch({
      ...FAST,
      ...row.options,
      onRetry: (r) => {
        retried.push(r.status);
        waits.push(r.waitMs);
      },
    });
    const body = requestBody(row.body);
    const call = f(`${base}/x`, { method: row.method, body, ...(row.body === 'stream' ? { duplex: 'half' } : {}) } as RequestInit);

    const o = row.outcome;
    if ('error' in o) {
      await expect(call).rejects.toThrow(o.error);
    } else {
      const res = await call;
      expect(res.status).toBe(o.status);
      if ('bodyError' in o) await expect(res.text()).rejects.toThrow(o.bodyError);
      else if (o.body !== undefined) expect(await res.text()).toBe(o.body);
      else await res.body?.cancel();
    }
    expect(arrivals.length, `requests that reached the server (arrived at ${arrivals.join(', ')} ms)`).toBe(row.tries);
    expect(retried, 'what onRetry reported').toEqual(row.retried);
    // Every wait stays within the cap, Retry-After included.
    const cap = BACKOFF.maxMs;
    for (const w of waits) expect(w).toBeLessThanOrEqual(cap);
    if (row.waits) expect(waits, 'the announced waits').toEqual(row.waits);
    if (row.waitedAtLeastMs) expect(arrivals[1]! - arrivals[0]!, 'the wait before the second attempt').toBeGreaterThanOrEqual(row.waitedAtLeastMs);
  });
});
