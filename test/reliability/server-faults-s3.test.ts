// Server faults on S3 (docs/reliability.md §B): a fault-injecting proxy between Strata and
// Ceph RGW answers 500, 503 SlowDown and 429, resets connections
// mid-body, truncates or corrupts bodies. Strata must retry what can be retried
// (with backoff), never delete after a failed transfer, never
// keep a partial file, and end with an error that names what did not transfer.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { attempts, s3Error, s3Get, s3List, s3Put, useFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import { type Remote, s3Remote } from '../support/remote.js';
import { bytes, seedPair } from '../support/reliability-kit.js';
import { assertFailed, assertOk, describeRun } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { sha256, tempFiles } from '../support/tree.js';
import type { WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const MiB = 1024 * 1024;
const SEED = {
  'data/processed/keep.csv': 'keep\n',
  'data/processed/big.bin': bytes(3 * MiB, 'big v1'),
  'data/processed/gone.csv': 'gone\n',
  'data/processed/other.csv': 'other\n',
};

// S3 request shapes this file alone needs (the common ones are in fault-proxy.ts).
const s3Delete = (r: ProxiedRequest) => r.method === 'POST' && /[?&]delete/.test(r.path);
const journalClaim = (r: ProxiedRequest) => r.method === 'PUT' && /\.strata\/journal\/.*\/\d{10}\.json$/.test(r.path.split('?')[0]);

describe('S3 (Ceph RGW) behind the fault proxy', () => {
  let proxy: FaultProxy;
  let remote: Remote;
  let a: WorkingCopy;
  useFaultProxy(() => inject('s3').endpoint, (p) => (proxy = p));

  /** A remote with keep.csv, big.bin (3 MiB), gone.csv and other.csv, pushed by `a`, and a second copy `b` that pulled them. */
  async function seeded() {
    remote = await s3Remote(inject('s3'), { via: proxy.url });
    const pair = await seedPair(remote, SEED);
    a = pair.a;
    return { b: pair.b };
  }

  it('503 SlowDown and 500 on uploads are retried with backoff; the push succeeds', async () => {
    await seeded();
    a.write('data/processed/new.csv', 'new\n');
    proxy.faults.push({ match: s3Put('new.csv'), action: { type: 'status', ...s3Error(503, 'SlowDown', 'Please reduce your request rate.') }, times: 2 });
    proxy.faults.push({ match: s3Put('new.csv'), action: { type: 'status', ...s3Error(500, 'InternalError') }, times: 1 });
    const mark = proxy.log.length;
    const r = assertOk(await a.run(['put-results']), 'put-results through 503, 503, 500');
    const tries = attempts(proxy, s3Put('new.csv'), mark);
    expect(tries.map((t) => t.status), describeRun(r)).toEqual([503, 503, 500, 200]);
    // Backoff: the attempts are spread out, not hammered back to back.
    const gaps = tries.slice(1).map((t, i) => t.startedAt - tries[i].endedAt!);
    expect(gaps.reduce((x, y) => x + y, 0)).toBeGreaterThan(50);
    expect(await remote.layer()).toMatchObject({ 'new.csv': sha256('new\n') });
  });

  it('503 on listings and 500 on downloads are retried; the pull succeeds', async () => {
    const { b } = await seeded();
    a.write('data/processed/keep.csv', 'keep v2\n');
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: s3List, action: { type: 'status', ...s3Error(503, 'SlowDown') }, times: 2 });
    proxy.faults.push({ match: s3Get('keep.csv'), action: { type: 'status', ...s3Error(500, 'InternalError') }, times: 2 });
    const r = assertOk(await b.run(['get-results']), 'get-results through 503 and 500');
    expect(b.read('data/processed/keep.csv')?.toString(), describeRun(r)).toBe('keep v2\n');
  });

  it('a connection reset part-way through a listing page is retried; the pull sees every file', async () => {
    const { b } = await seeded();
    a.write('data/processed/listed.csv', 'listed\n');
    assertOk(await a.run(['put-results']));
    const from = proxy.log.length;
    proxy.faults.push({ match: s3List, action: { type: 'reset-response', afterBytes: 200 }, times: 2 });
    const r = assertOk(await b.run(['get-results']), 'get-results through a cut listing');
    expect(proxy.log.slice(from).filter((q) => s3List(q) && q.fault !== undefined), 'the listing was cut').toHaveLength(2);
    expect(b.read('data/processed/listed.csv')?.toString(), describeRun(r)).toBe('listed\n');
    expect(b.read('data/processed/keep.csv')?.toString(), describeRun(r)).toBeTruthy();
  });

  it('a connection reset part-way through an upload is retried', async () => {
    await seeded();
    a.write('data/processed/up.bin', bytes(2 * MiB, 'up'));
    proxy.faults.push({ match: s3Put('up.bin'), action: { type: 'reset-request', afterBytes: 512 * 1024 } });
    const mark = proxy.log.length;
    assertOk(await a.run(['put-results']), 'put-results through a reset upload');
    expect(attempts(proxy, s3Put('up.bin'), mark).length).toBeGreaterThanOrEqual(2);
    expect((await remote.layer())['up.bin']).toBe(sha256(bytes(2 * MiB, 'up')));
  });

  it('a connection reset part-way through a download is retried, and the pull succeeds', async () => {
    const { b } = await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, 'big v2'));
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: s3Get('big.bin'), action: { type: 'reset-response', afterBytes: 1 * MiB } });
    const r = await b.run(['get-results']);
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
    // Never a partial file under the real name: old or new, whole.
    expect([sha256(bytes(3 * MiB, 'big v1')), sha256(bytes(3 * MiB, 'big v2'))]).toContain(sha256(b.read('data/processed/big.bin')!));
    assertOk(r, 'get-results through one reset download (a transient fault must be retried, not reported)');
    expect(sha256(b.read('data/processed/big.bin')!)).toBe(sha256(bytes(3 * MiB, 'big v2')));
  });

  it('a truncated or corrupted download is never kept under the real name; the error names the file', async () => {
    const { b } = await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, 'big v2'));
    a.write('data/processed/keep.csv', 'keep v2\n');
    assertOk(await a.run(['put-results']));
    // Every attempt is truncated (clean close short of Content-Length) or corrupted (same length, one byte flipped).
    proxy.faults.push({ match: s3Get('big.bin'), action: { type: 'truncate', afterBytes: 1 * MiB }, times: Infinity });
    proxy.faults.push({ match: s3Get('keep.csv'), action: { type: 'corrupt', at: 2 }, times: Infinity });
    const r = assertFailed(await b.run(['get-results']), 'get-results with bad bodies');
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('big.bin');
    expect(r.stderr).toContain('keep.csv');
    expect(sha256(b.read('data/processed/big.bin')!)).toBe(sha256(bytes(3 * MiB, 'big v1')));
    expect(b.read('data/processed/keep.csv')?.toString()).toBe('keep\n');
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
  });

  it('after a failed download, the re-run converges: untouched local files do not turn into "unshared work"', async () => {
    const { b } = await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, 'big v2'));
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: s3Get('big.bin'), action: { type: 'status', ...s3Error(500, 'InternalError') }, times: Infinity });
    assertFailed(await b.run(['get-results']), 'get-results with a failing download');
    proxy.faults.length = 0;
    // b never touched big.bin, keep.csv, gone.csv…: they are still what it last pulled.
    const again = await b.run(['get-results']);
    assertOk(again, 'the same recipe, once the server is fine again (no --force needed)');
    expect(b.processed()).toEqual(a.processed());
    expect(b.recycled()).toEqual({ 'processed/big.bin': sha256(bytes(3 * MiB, 'big v1')) });
  });

  it('a persistent upload failure: exit 5 naming the key, no remote delete, and a re-run converges', async () => {
    await seeded();
    a.remove('data/processed/gone.csv');
    a.write('data/processed/bad.csv', 'cannot upload\n');
    a.write('data/processed/good.csv', 'uploads fine\n');
    const before = await remote.layer();
    proxy.faults.push({ match: s3Put('bad.csv'), action: { type: 'status', ...s3Error(500, 'InternalError') }, times: Infinity });
    const mark = proxy.log.length;
    const r = assertFailed(await a.run(['put-results']), 'put-results with one failing upload');
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(/bad\.csv/);
    expect(r.stderr).toMatch(/did not transfer/);
    expect(r.stderr).toMatch(/delete/);
    expect(attempts(proxy, s3Delete, mark)).toEqual([]);
    const after = await remote.layer();
    expect(after['gone.csv']).toBe(before['gone.csv']);
    expect(after['bad.csv']).toBeUndefined();
    proxy.faults.length = 0;
    assertOk(await a.run(['put-results']), 're-run after the fault');
    expect(await remote.layer()).toEqual(a.processed());
  });

  it('a persistent download failure: exit 5 naming the key, no local recycle, and a re-run converges', async () => {
    const { b } = await seeded();
    a.remove('data/processed/gone.csv');
    a.write('data/processed/keep.csv', 'keep v2\n');
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: s3Get('keep.csv'), action: { type: 'status', ...s3Error(500, 'InternalError') }, times: Infinity });
    const r = assertFailed(await b.run(['get-results']), 'get-results with one failing download');
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('keep.csv');
    expect(b.read('data/processed/gone.csv')?.toString()).toBe('gone\n'); // not recycled after a failed download
    expect(b.recycled()).toEqual({});
    proxy.faults.length = 0;
    assertOk(await b.run(['get-results']), 're-run after the fault');
    expect(b.processed()).toEqual(a.processed());
  });

  it('the journal claim landed but its answer was lost: the push is not a false conflict', async () => {
    await seeded();
    a.write('data/processed/new.csv', 'new\n');
    // The server writes the claim; the connection drops before the answer. The SDK retries the
    // create-only PUT, which now answers 412 — for Strata's own record.
    proxy.faults.push({ match: journalClaim, action: { type: 'drop-response' } });
    const r = await a.run(['put-results']);
    const second = r.exitCode === 0 ? r : await a.run(['put-results']);
    assertOk(second, 'the re-run continues its own claim');
    expect(await remote.layer()).toEqual(a.processed());
    assertOk(r, 'put-results whose claim answer was lost (its own record must not read as "someone else pushed")');
  });

});

