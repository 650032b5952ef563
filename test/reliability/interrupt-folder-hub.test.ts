// Interruption on a plain folder remote and on the Hub (docs/reliability.md §A): kill -9
// Strata mid-upload, mid-delete and mid-download on a folder (inotify sees the temp file or
// the delete), and at the Hub's preupload, LFS batch and commit (the fault proxy sees the
// request) and mid-download. Checks: see test/support/kill-points.ts.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hubLfsContent, useFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import {
  expectPullRecovers,
  expectPushRecovers,
  killAfterDownloadBytes,
  killAfterServer,
  killBefore,
  killWhenFileAppears,
  MiB,
  runUntilKilled,
  setLocal,
  versions,
  type Files,
} from '../support/kill-points.js';
import { fileRemote, hubRemote } from '../support/remote.js';
import { assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { tempFiles } from '../support/tree.js';
import { workingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

describe('kill -9 on a plain folder remote (inotify sees the temp file or the delete)', () => {
  async function setup(v1: Files) {
    const remote = fileRemote();
    const a = workingCopy(remote);
    setLocal(a, v1);
    assertOk(await a.run(['put-results']), 'v1 push');
    const b = workingCopy(remote);
    assertOk(await b.run(['get-results']), 'b pulls v1');
    return { remote, a, b };
  }

  it('push killed mid-upload (a temp file appeared on the share)', async () => {
    const { v1, v2 } = versions();
    v2['big.bin'] = randomBytes(96 * MiB);
    const { remote, a, b } = await setup(v1);
    setLocal(a, v2);
    await runUntilKilled(null, a, ['put-results'], killWhenFileAppears(remote.abs(remote.space()), (n) => n.startsWith('big.bin.') && n.endsWith('.strata-tmp')));
    await expectPushRecovers(a, b, remote, v1, v2);
  });

  it('a killed upload leaves no temp file on the share once the re-run has converged', async () => {
    const { v1, v2 } = versions(1 * MiB, 1 * MiB);
    v2['big.bin'] = randomBytes(96 * MiB);
    const { remote, a } = await setup(v1);
    setLocal(a, v2);
    await runUntilKilled(null, a, ['put-results'], killWhenFileAppears(remote.abs(remote.space()), (n) => n.startsWith('big.bin.') && n.endsWith('.strata-tmp')));
    const left = tempFiles(remote.dir);
    a.clearStaleLock();
    assertOk(await a.run(['put-results']));
    expect(tempFiles(remote.dir), `temp files on the share after the kill: ${left.join(', ')}`).toEqual([]);
  });

  it('push killed mid-delete (the first of 300 deletes happened)', async () => {
    const v1: Files = {};
    for (let i = 0; i < 700; i++) v1[`f/${String(i).padStart(4, '0')}.csv`] = Buffer.from(`file ${i}\n`);
    const v2: Files = { ...v1 };
    for (let i = 0; i < 300; i++) delete v2[`f/${String(i).padStart(4, '0')}.csv`];
    const { remote, a, b } = await setup(v1);
    setLocal(a, v2);
    await runUntilKilled(null, a, ['put-results'], killWhenFileAppears(remote.abs(`${remote.space()}/f`), (_n, event) => event === 'rename'));
    const left = Object.keys(await remote.layer()).length;
    expect(left, 'the kill should land during the deletes').toBeGreaterThan(400);
    await expectPushRecovers(a, b, remote, v1, v2);
  });

  it('pull killed mid-download (a temp file appeared in the layer folder)', async () => {
    const { v1, v2 } = versions();
    v2['big.bin'] = randomBytes(96 * MiB);
    const { a, b } = await setup(v1);
    setLocal(a, v2);
    assertOk(await a.run(['put-results']), 'v2 push');
    await runUntilKilled(null, b, ['get-results'], killWhenFileAppears(b.path('data/processed'), (n) => n.endsWith('.strata-tmp')));
    await expectPullRecovers(b, v1, v2);
  });
});

describe('kill -9 on the Hub (through the proxy)', () => {
  let proxy: FaultProxy;
  useFaultProxy(() => inject('hub').url, (p) => (proxy = p));

  async function setup() {
    const { v1, v2 } = versions(3 * MiB);
    const remote = hubRemote(inject('hub'), { via: proxy.url });
    const a = workingCopy(remote);
    setLocal(a, v1);
    assertOk(await a.run(['put-results']), 'v1 push');
    const b = workingCopy(remote);
    assertOk(await b.run(['get-results']), 'b pulls v1');
    return { v1, v2, remote, a, b };
  }
  const hubPath = (part: string, method = 'POST') => (r: ProxiedRequest) => r.method === method && r.path.includes(part);

  it.each([
    { name: 'preupload (before any content moved)', tap: killBefore(hubPath('/preupload/')) },
    { name: 'LFS batch (content about to move)', tap: killBefore(hubPath('/info/lfs/objects/batch')) },
    { name: 'commit sent, not applied', tap: killBefore(hubPath('/commit/')) },
    { name: 'commit applied, answer not received', tap: killAfterServer(hubPath('/commit/')) },
  ])('push killed at: $name', async (point) => {
    const { v1, v2, remote, a, b } = await setup();
    setLocal(a, v2);
    await runUntilKilled(proxy, a, ['put-results'], point.tap);
    await expectPushRecovers(a, b, remote, v1, v2);
  });

  it('pull killed mid-download of a file that replaces a local one', async () => {
    const { v1, v2, a, b } = await setup();
    setLocal(a, v2);
    assertOk(await a.run(['put-results']), 'v2 push');
    await runUntilKilled(proxy, b, ['get-results'], killAfterDownloadBytes(hubLfsContent('big.bin'), 1 * MiB));
    await expectPullRecovers(b, v1, v2);
  });
});
