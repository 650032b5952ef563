// The one retry rule: how many tries a request (and a download) gets, what stops it early,
// and that a server's Retry-After is what is waited — through withRetries itself and through
// the Hub's fetch against a real local HTTP server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TRIES, withRetries } from '../../scripts/lib/remotes/retry-policy.js';
import { RetryableAnswer, retryingFetch } from '../../scripts/lib/remotes/retry-fetch.js';

const busy = (retryAfter = '0.001') => Object.assign(new Error('busy'), { retryAfter });

describe('withRetries', () => {
  it(`tries a request that keeps failing ${TRIES} times in all, then throws its last error`, async () => {
    let calls = 0;
    let last: Error | undefined;
    const err = await withRetries(
      async () => {
        calls++;
        throw (last = busy());
      },
      { retryable: () => true },
    ).catch((e: unknown) => e);
    expect(err).toBe(last);
    expect(calls).toBe(TRIES);
  });

  it('stops at once on what the rule does not retry, and at `tries` when a caller asks for fewer', async () => {
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw new Error('403'); }, { retryable: () => false })).rejects.toThrow('403');
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetries(async () => { calls++; throw busy(); }, { tries: 2, retryable: () => true })).rejects.toThrow('busy');
    expect(calls).toBe(2);
  });

  it('returns the first success, numbering the tries from 1', async () => {
    const seen: number[] = [];
    const out = await withRetries(async (n) => { seen.push(n); if (n < 3) throw busy(); return 'ok'; }, { retryable: () => true });
    expect(out).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  it("waits the server's Retry-After", async () => {
    const waits: number[] = [];
    const started = Date.now();
    await withRetries(async (n) => { if (n === 1) throw busy('0.3'); return 'ok'; }, { retryable: () => true, onRetry: ({ waitMs }) => waits.push(waitMs) });
    expect(waits).toEqual([300]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('retryingFetch', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  /** A server that answers 503 (Retry-After: 0.01) to the first `failures` requests, then 200. */
  async function flaky(failures: number) {
    const seen = { requests: 0 };
    server = http.createServer((req, res) => {
      seen.requests++;
      if (seen.requests <= failures) res.writeHead(503, { 'retry-after': '0.01' }).end('busy');
      else res.writeHead(200).end('body');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, seen };
  }

  it(`retries a busy answer up to ${TRIES} tries and hands back the last answer`, async () => {
    const { url, seen } = await flaky(Infinity);
    const res = await retryingFetch({ timeoutMs: 5_000 })(url);
    expect(res.status).toBe(503);
    expect(seen.requests).toBe(TRIES);
  });

  it('gets through when the server recovers', async () => {
    const { url, seen } = await flaky(2);
    const res = await retryingFetch({ timeoutMs: 5_000 })(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('body');
    expect(seen.requests).toBe(3);
  });

  it('for a download: one try, and a busy answer thrown with its status and Retry-After (the download retries the file)', async () => {
    const { url, seen } = await flaky(Infinity);
    const err = await retryingFetch({ timeoutMs: 5_000, tries: 1, raise: true })(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableAnswer);
    expect(err).toMatchObject({ status: 503, retryAfter: '0.01' });
    expect(seen.requests).toBe(1);
  });

  it('never retries a POST answered with a plain 500 (a commit may have landed)', async () => {
    let requests = 0;
    server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(500).end('oops');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const res = await retryingFetch({ timeoutMs: 5_000 })(`http://127.0.0.1:${(server.address() as AddressInfo).port}/commit`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    expect(requests).toBe(1);
  });
});
