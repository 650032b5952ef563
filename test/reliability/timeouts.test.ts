// Timeouts (docs/reliability.md §S, rows S10–S12, S19–S20): a stalled server — no answer at
// all, or half a body and then silence — must be given up on after the idle timeout and the
// request retried; a slow but steady transfer must never be cut, however long it takes. The
// stall rows need hook H1 (STRATA_HTTP_TIMEOUT_MS, a short idle timeout); without it they
// wait out their 20 s run limit and fail.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hubLfsContent, hubResolve, hubTree, s3Get, s3List, useFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { hubRemote, type Remote, s3Remote } from '../support/remote.js';
import { bytes, seedPair } from '../support/reliability-kit.js';
import { assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { tempFiles } from '../support/tree.js';
import type { WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const MiB = 1024 * 1024;
/** Hook H1: a short per-request idle timeout. */
const SHORT_TIMEOUT = { STRATA_HTTP_TIMEOUT_MS: '3000' };

const SEED = { 'data/processed/keep.csv': 'keep\n', 'data/processed/big.bin': bytes(3 * MiB, 'big v1') };

describe('S3 (Ceph RGW) behind the fault proxy', () => {
  let proxy: FaultProxy;
  let remote: Remote;
  let a: WorkingCopy;
  useFaultProxy(() => inject('s3').endpoint, (p) => (proxy = p));

  async function seeded() {
    remote = await s3Remote(inject('s3'), { via: proxy.url });
    const pair = await seedPair(remote, SEED);
    a = pair.a;
    return { b: pair.b };
  }

  it('a stalled server (no answer at all): the request times out and is retried (needs STRATA_HTTP_TIMEOUT_MS)', async () => {
    const { b } = await seeded();
    a.write('data/processed/keep.csv', 'keep v2\n');
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: s3List, action: { type: 'stall' } });
    const r = await b.run(['get-results'], { env: SHORT_TIMEOUT, timeoutMs: 20_000 });
    assertOk(r, 'get-results through a stalled listing (must time out after ~3 s and be retried; a hang means no timeout fires)');
    expect(r.ms).toBeLessThan(15_000);
    expect(b.processed()).toEqual(a.processed());
  });

  it('a stall part-way through a download: it times out and the download is retried (needs STRATA_HTTP_TIMEOUT_MS)', async () => {
    const { b } = await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, 'big v3'));
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: s3Get('big.bin'), action: { type: 'stall', afterBytes: 1 * MiB } });
    const r = await b.run(['get-results'], { env: SHORT_TIMEOUT, timeoutMs: 20_000 });
    assertOk(r, 'get-results through a stalled body (must time out after ~3 s of silence, then retry the download)');
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
    expect(r.ms).toBeLessThan(15_000);
    expect(b.processed()).toEqual(a.processed());
  });

  it('a slow but flowing download is not cut by the timeout (the timeout is for silence, not for size)', async () => {
    const { b } = await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, 'big slow'));
    assertOk(await a.run(['put-results']));
    // 3 MiB at 512 KiB/s: about 6 s of steady data, twice the 3 s timeout.
    proxy.faults.push({ match: s3Get('big.bin'), action: { type: 'throttle', bytesPerSecond: 512 * 1024 } });
    assertOk(await b.run(['get-results'], { env: SHORT_TIMEOUT, timeoutMs: 60_000 }), 'slow get-results');
    expect(b.processed()).toEqual(a.processed());
  });
});

describe('Hub (emulator) behind the fault proxy', () => {
  let proxy: FaultProxy;
  let remote: Remote;
  let a: WorkingCopy;
  useFaultProxy(() => inject('hub').url, (p) => (proxy = p));

  async function seeded() {
    remote = hubRemote(inject('hub'), { via: proxy.url });
    const pair = await seedPair(remote, SEED);
    a = pair.a;
    return { b: pair.b };
  }

  it('a stalled Hub: the request times out and is retried (needs STRATA_HTTP_TIMEOUT_MS)', async () => {
    const { b } = await seeded();
    a.write('data/processed/keep.csv', 'keep v2\n');
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: hubTree, action: { type: 'stall' } });
    const r = await b.run(['get-results'], { env: SHORT_TIMEOUT, timeoutMs: 20_000 });
    assertOk(r, 'get-results through a stalled listing (must time out after ~3 s and retry)');
    expect(r.ms).toBeLessThan(15_000);
    expect(b.processed()).toEqual(a.processed());
  });

  it('a slow but flowing download is not cut by the timeout (the timeout is for silence, not for size)', async () => {
    const { b } = await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, 'big slow'));
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: hubLfsContent('big.bin'), action: { type: 'throttle', bytesPerSecond: 512 * 1024 }, times: Infinity });
    assertOk(await b.run(['get-results'], { env: SHORT_TIMEOUT, timeoutMs: 60_000 }), 'slow get-results');
    expect(b.processed()).toEqual(a.processed());
  });
});
