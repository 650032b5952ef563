// Interruption on S3 (docs/reliability.md §A): kill -9 the Strata process at exact points
// of a push (journal claim, mid-upload, mid-multipart, before CompleteMultipartUpload,
// mid-delete, done record) and of a pull (mid-download of a new and of a replaced file). The
// points are reached from outside: the fault proxy sees the request (or N bytes of it) and
// kills the client, so no test hook is needed. Checks: see test/support/kill-points.ts.
import { randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { useFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import {
  expectOldOrNew,
  expectPullRecovers,
  expectPushRecovers,
  expectStateReadable,
  hashes,
  isDataPut,
  isPart,
  isS3Get,
  killAfterDownloadBytes,
  killAfterUploadBytes,
  killWhenFileAppears,
  MiB,
  runUntilKilled,
  S3_PUSH_POINTS,
  setLocal,
  versions,
  type Files,
} from '../support/kill-points.js';
import { s3Remote } from '../support/remote.js';
import { rounds } from '../support/reliability-kit.js';
import { assertOk, type Running } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { tempFiles } from '../support/tree.js';
import { workingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

describe('kill -9 on S3 (through the proxy)', () => {
  let proxy: FaultProxy;
  useFaultProxy(() => inject('s3').endpoint, (p) => (proxy = p));

  async function setup(multipart = true) {
    const { v1, v2 } = multipart ? versions() : versions(1 * MiB, 1 * MiB);
    const remote = await s3Remote(inject('s3'), { via: proxy.url });
    const a = workingCopy(remote);
    setLocal(a, v1);
    assertOk(await a.run(['put-results']), 'v1 push');
    const b = workingCopy(remote);
    assertOk(await b.run(['get-results']), 'b pulls v1');
    return { v1, v2, remote, a, b };
  }

  it.each(S3_PUSH_POINTS)('push killed at: $name', async (point) => {
    const { v1, v2, remote, a, b } = await setup(!!point.multipart);
    setLocal(a, v2);
    await runUntilKilled(proxy, a, ['put-results'], point.tap);
    await expectPushRecovers(a, b, remote, v1, v2);
  });

  it.each([
    { name: 'mid-download of a file that replaces a local one', tap: killAfterDownloadBytes(isS3Get('big.bin'), 2 * MiB) },
    { name: 'mid-download of a new file', tap: killAfterDownloadBytes(isS3Get('new-big.bin'), 1 * MiB) },
  ])('pull killed at: $name', async (point) => {
    const { v1, v2, a, b } = await setup(true);
    setLocal(a, v2);
    assertOk(await a.run(['put-results']), 'v2 push');
    await runUntilKilled(proxy, b, ['get-results'], point.tap);
    await expectPullRecovers(b, v1, v2);
  });

  it('a killed download leaves no temp file behind once the re-run has converged', async () => {
    const { v2, a, b } = await setup();
    setLocal(a, v2);
    assertOk(await a.run(['put-results']), 'v2 push');
    // Slow the download down so that the kill lands while the temp file is being written.
    proxy.faults.push({ match: isS3Get('big.bin'), action: { type: 'throttle', bytesPerSecond: 2 * MiB }, times: Infinity });
    await runUntilKilled(null, b, ['get-results'], killWhenFileAppears(b.path('data/processed'), (n) => n.endsWith('.strata-tmp'), 300));
    proxy.faults.length = 0;
    const left = tempFiles(b.path('data/processed'));
    expect(left.length, 'the kill should leave a temp file to clean up').toBeGreaterThan(0);
    b.clearStaleLock();
    assertOk(await b.run(['get-results']));
    expect(tempFiles(b.path('data/processed')), `temp files after the kill: ${left.join(', ')}`).toEqual([]);
  });

  it('a killed multipart upload leaves no incomplete multipart upload in the bucket once the re-run has converged', async () => {
    const { v2, remote, a } = await setup();
    setLocal(a, v2);
    await runUntilKilled(proxy, a, ['put-results'], killAfterUploadBytes(isPart('big.bin'), 4 * MiB));
    a.clearStaleLock();
    assertOk(await a.run(['put-results']));
    const uploads = await remote.client.send(new ListMultipartUploadsCommand({ Bucket: remote.bucket }));
    expect((uploads.Uploads ?? []).map((u) => u.Key)).toEqual([]);
  });

  it('soak: kill after a random number of uploaded bytes, then converge (STRATA_SOAK=1 for many rounds)', async () => {
    const n = rounds(2, 30);
    const { v1, v2, remote, a, b } = await setup();
    let versionsNow = { old: v1, next: v2 };
    for (let round = 0; round < n; round++) {
      const total = Object.values(versionsNow.next).reduce((x, v) => x + v.length, 0);
      const at = 1 + Math.floor(Math.random() * total * 0.8);
      setLocal(a, versionsNow.next);
      let running: Running | undefined;
      proxy.taps.push(killAfterUploadBytes(isDataPut(), at)(async () => void (await running?.kill9())));
      running = a.start(['put-results']);
      const r = await running.result;
      proxy.taps.length = 0;
      expectStateReadable(a);
      expectOldOrNew(await remote.layer(), versionsNow.old, versionsNow.next, `round ${round} (kill after ${at} bytes; ${r.signal ?? 'finished'})`);
      a.clearStaleLock();
      assertOk(await a.run(['put-results']), `round ${round}: re-run`);
      expect(await remote.layer()).toEqual(hashes(versionsNow.next));
      assertOk(await b.run(['get-results']), `round ${round}: reader`);
      expect(b.processed()).toEqual(hashes(versionsNow.next));
      // Next round: new contents for the changed files.
      const next: Files = { ...versionsNow.next, 'change.csv': Buffer.from(`change r${round}\n`), 'big.bin': randomBytes(9 * MiB) };
      versionsNow = { old: versionsNow.next, next };
    }
  });
});

