// Local hazards (docs/reliability.md §E): symlinks (one pointing outside the project), files
// changing while they upload, permission denied (tests run as root, so Strata runs as
// `nobody` via setpriv for these), a full disk during a download (a 3 MiB tmpfs mounted on the
// layer folder), and a layer folder that is missing, empty, or an unmounted share.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { childEnv } from '../support/env.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { fileRemote, hubRemote, s3Remote } from '../support/remote.js';
import { bytes } from '../support/reliability-kit.js';
import { assertFailed, assertOk, runSync } from '../support/run.js';
import { removeTemps, tempDir } from '../support/scratch.js';
import { sha256, tempFiles, tree } from '../support/tree.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

const MiB = 1024 * 1024;

// ─── Capabilities of this machine ────────────────────────────────────────────────────────

/** Runs a system tool (mount, chown…) to the end; `must` throws when it fails, `can` says whether it worked. */
const system = (cmd: string, args: string[]) => runSync(cmd, args, { cwd: os.tmpdir(), env: childEnv() });
const must = (cmd: string, args: string[]) => assertOk(system(cmd, args));
function can(cmd: string, args: string[]): boolean {
  try {
    return system(cmd, args).exitCode === 0;
  } catch {
    return false; // not installed
  }
}
const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-rel-probe-'));
const CAN_MOUNT = can('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]) && can('umount', [probe]);
fs.rmSync(probe, { recursive: true, force: true });
const CAN_DROP_ROOT = process.getuid?.() === 0 && can('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'true']);

const mounts: string[] = [];
function mountTmpfs(dir: string, size: string) {
  fs.mkdirSync(dir, { recursive: true });
  must('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
}
function unmount(dir: string) {
  must('umount', [dir]);
  mounts.splice(mounts.indexOf(dir), 1);
}
afterEach(() => {
  for (const m of mounts.splice(0)) must('umount', ['-l', m]);
});
afterAll(removeTemps);

/** Hands the working copy to `nobody`, so that file modes apply to the Strata it runs. */
function giveToNobody(wc: WorkingCopy) {
  fs.chmodSync(path.dirname(wc.dir), 0o755);
  must('chown', ['-R', 'nobody:nogroup', wc.dir, wc.home]);
}

// ─── Symlinks ────────────────────────────────────────────────────────────────────────────

describe('symlinks in the layer folder', () => {
  it('push: links (to a file inside, to a file and a folder outside the project) are skipped with a warning naming each, never followed', async () => {
    const remote = fileRemote();
    const wc = workingCopy(remote);
    const outside = tempDir('strata-rel-outside-');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside the project\n');
    wc.write('data/processed/real.csv', 'real\n');
    fs.symlinkSync(path.join(outside, 'secret.txt'), wc.path('data/processed/link-out.csv'));
    fs.symlinkSync('real.csv', wc.path('data/processed/link-in.csv'));
    fs.symlinkSync(outside, wc.path('data/processed/linkdir'));
    const r = assertOk(await wc.run(['put-results']));
    for (const name of ['link-out.csv', 'link-in.csv', 'linkdir']) expect(r.stderr, `a warning naming ${name}`).toMatch(new RegExp(`${name}.*(symbolic )?link`, 'i'));
    expect(Object.keys(await remote.layer())).toEqual(['real.csv']);
    expect(tree(outside)).toEqual({ 'secret.txt': sha256('outside the project\n') });
  });

  it('pull: a symlinked subfolder or file pointing outside is never written through', async () => {
    const remote = fileRemote();
    const a = workingCopy(remote);
    a.write('data/processed/run/x.csv', 'x from the remote\n');
    a.write('data/processed/y.csv', 'y from the remote\n');
    assertOk(await a.run(['put-results']));
    const b = workingCopy(remote);
    const outside = tempDir('strata-rel-outside-');
    fs.writeFileSync(path.join(outside, 'target.txt'), 'must stay\n');
    fs.mkdirSync(b.path('data/processed'), { recursive: true });
    fs.symlinkSync(outside, b.path('data/processed/run'));
    fs.symlinkSync(path.join(outside, 'target.txt'), b.path('data/processed/y.csv'));
    const r = await b.run(['get-results']);
    expect(tree(outside), `nothing may be written through a symlink\n${r.stdout}${r.stderr}`).toEqual({ 'target.txt': sha256('must stay\n') });
    expect(fs.readFileSync(path.join(outside, 'target.txt'), 'utf8')).toBe('must stay\n');
  });
});

// ─── Files changing while they upload ────────────────────────────────────────────────────

describe('a file changing while it uploads', () => {
  let proxy: FaultProxy;
  let hubProxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(inject('s3').endpoint);
    hubProxy = await startFaultProxy(inject('hub').url);
  });
  afterAll(async () => {
    await proxy.stop();
    await hubProxy.stop();
  });

  it('S3 multipart: the remote never holds a mix of the old and new contents; the next push converges', async () => {
    const remote = await s3Remote(inject('s3'), { via: proxy.url });
    const wc = workingCopy(remote);
    const before = randomBytes(64 * MiB);
    const after = randomBytes(64 * MiB);
    wc.write('data/processed/changing.bin', before);
    let rewritten = false;
    proxy.taps.push({
      match: (r) => r.method === 'PUT' && /[?&]partNumber=1(&|$)/.test(r.path),
      beforeForward: () => {
        // The first part reaches the server: the analysis rewrites the file in place (same size).
        if (!rewritten) {
          rewritten = true;
          fs.writeFileSync(wc.path('data/processed/changing.bin'), after);
        }
      },
    });
    const r = await wc.run(['put-results']);
    proxy.taps.length = 0;
    expect(rewritten).toBe(true);
    const stored = (await remote.layer())['changing.bin'];
    if (r.exitCode === 0) {
      expect([sha256(before), sha256(after)], `the push succeeded, so the remote must hold a whole version\n${r.stderr}`).toContain(stored);
    } else {
      expect(r.stderr).toContain('changing.bin');
      expect(r.stderr).toMatch(/chang/i);
      expect([undefined, sha256(before), sha256(after)]).toContain(stored);
    }
    assertOk(await wc.run(['put-results']), 'the next push');
    expect(await remote.layer()).toEqual({ 'changing.bin': sha256(after) });
  });

  it('Hub: a file rewritten between hashing and upload is never committed with a wrong hash; the next push converges', async () => {
    const remote = hubRemote(inject('hub'), { via: hubProxy.url });
    const wc = workingCopy(remote);
    wc.write('data/processed/first.csv', 'the repo exists before the test\n');
    assertOk(await wc.run(['put-results']));
    wc.write('data/processed/changing.bin', bytes(3 * MiB, 'hub before'));
    hubProxy.taps.push({
      match: (r) => r.method === 'POST' && r.path.includes('/preupload/'),
      beforeForward: () => {
        fs.writeFileSync(wc.path('data/processed/changing.bin'), bytes(3 * MiB + 10, 'hub after'));
      },
    });
    const r = await wc.run(['put-results']);
    hubProxy.taps.length = 0;
    const stored = (await remote.layer())['changing.bin'];
    expect([undefined, sha256(bytes(3 * MiB, 'hub before')), sha256(bytes(3 * MiB + 10, 'hub after'))], r.stderr).toContain(stored);
    assertOk(await wc.run(['put-results']), 'the next push');
    expect((await remote.layer())['changing.bin']).toEqual(sha256(bytes(3 * MiB + 10, 'hub after')));
  });

  it('Hub: a file rewritten while the push uploads it fails by name, as on S3 and folders; the other files are committed, no remote delete; the next push converges', async () => {
    const remote = hubRemote(inject('hub'), { via: hubProxy.url });
    const wc = workingCopy(remote);
    wc.write('data/processed/first.csv', 'the repo exists before the test\n');
    wc.write('data/processed/old.csv', 'deleted locally during the test\n');
    assertOk(await wc.run(['put-results']));
    const before = bytes(3 * MiB, 'hub before, again');
    const after = bytes(3 * MiB + 10, 'hub after, again');
    wc.write('data/processed/changing.bin', before);
    wc.write('data/processed/keep.csv', 'keep\n');
    wc.remove('data/processed/old.csv');
    let rewritten = false;
    hubProxy.taps.push({
      // The client has opened and hashed the files; the analysis rewrites one before its bytes are sent.
      match: (r) => r.method === 'POST' && r.path.includes('/preupload/'),
      beforeForward: () => {
        if (!rewritten) {
          rewritten = true;
          fs.writeFileSync(wc.path('data/processed/changing.bin'), after);
        }
      },
    });
    const r = await wc.run(['put-results']);
    hubProxy.taps.length = 0;
    expect(rewritten).toBe(true);
    expect(r.exitCode, `a file that changed while uploading fails the push as a transfer failure\n${r.stdout}${r.stderr}`).toBe(5);
    expect(r.stderr).toMatch(/changing\.bin changed while being uploaded \(\d+ → \d+ bytes\); not uploaded/);
    expect(r.stderr, 'only the changed file failed').not.toMatch(/keep\.csv:/);
    expect(await remote.layer(), 'the other file is committed; no delete after a failure; the changed file is not on the remote').toEqual({
      'first.csv': sha256('the repo exists before the test\n'),
      'old.csv': sha256('deleted locally during the test\n'),
      'keep.csv': sha256('keep\n'),
    });
    assertOk(await wc.run(['put-results']), 'the next push');
    expect(await remote.layer()).toEqual({
      'first.csv': sha256('the repo exists before the test\n'),
      'keep.csv': sha256('keep\n'),
      'changing.bin': sha256(after),
    });
  });
});

// ─── Permission denied (Strata runs as nobody) ───────────────────────────────────────────

describe.skipIf(!CAN_DROP_ROOT)('permission denied (Strata runs as `nobody`; root ignores file modes)', () => {
  it('push: an unreadable new file fails by name; the others upload; no remote delete', async () => {
    const remote = await s3Remote(inject('s3'));
    const wc = workingCopy(remote);
    for (let i = 0; i < 6; i++) wc.write(`data/processed/f${i}.csv`, `f${i}\n`);
    giveToNobody(wc);
    assertOk(await wc.run(['put-results'], { asUser: 'nobody' }), 'first push as nobody');
    wc.remove('data/processed/f0.csv');
    wc.write('data/processed/secret.csv', 'unreadable\n');
    wc.write('data/processed/ok.csv', 'ok\n');
    must('chown', ['nobody:nogroup', wc.path('data/processed/secret.csv'), wc.path('data/processed/ok.csv')]);
    fs.chmodSync(wc.path('data/processed/secret.csv'), 0o000);
    const r = assertFailed(await wc.run(['put-results'], { asUser: 'nobody' }), 'push with an unreadable file');
    expect(r.exitCode, r.stderr).toBe(5);
    expect(r.stderr).toContain('secret.csv');
    expect(r.stderr).toMatch(/permission denied|EACCES/i);
    const files = await remote.layer();
    expect(files['ok.csv']).toBe(sha256('ok\n'));
    expect(files['f0.csv'], 'no delete after a failed transfer').toBe(sha256('f0\n'));
  });

  it('push: an unreadable file that the remote also has (same size) fails clearly by name, not as an internal error', async () => {
    const remote = await s3Remote(inject('s3'));
    const wc = workingCopy(remote);
    wc.write('data/processed/same.csv', 'version 1\n');
    wc.write('data/processed/other.csv', 'other\n');
    giveToNobody(wc);
    assertOk(await wc.run(['put-results'], { asUser: 'nobody' }));
    wc.write('data/processed/same.csv', 'version 2\n'); // same size: Strata must hash it to compare
    fs.chmodSync(wc.path('data/processed/same.csv'), 0o000);
    const r = assertFailed(await wc.run(['put-results'], { asUser: 'nobody' }), 'push with an unreadable changed file');
    expect(r.stderr).toContain('same.csv');
    expect(r.stderr).toMatch(/permission denied|EACCES/i);
    expect(r.exitCode, `a file the user cannot read is not a bug in Strata:\n${r.stderr}`).not.toBe(70);
    expect(await remote.layer()).toEqual({ 'same.csv': sha256('version 1\n'), 'other.csv': sha256('other\n') });
  });

  it('push: an unreadable subfolder does not make Strata delete the remote copies of its files', async () => {
    const remote = await s3Remote(inject('s3'));
    const wc = workingCopy(remote);
    for (let i = 0; i < 6; i++) wc.write(`data/processed/top${i}.csv`, `top ${i}\n`);
    wc.write('data/processed/sub/a.csv', 'a\n');
    wc.write('data/processed/sub/b.csv', 'b\n');
    giveToNobody(wc);
    assertOk(await wc.run(['put-results'], { asUser: 'nobody' }));
    const before = await remote.layer();
    fs.chmodSync(wc.path('data/processed/sub'), 0o000);
    const r = await wc.run(['put-results'], { asUser: 'nobody' });
    fs.chmodSync(wc.path('data/processed/sub'), 0o755);
    expect(r.stderr).toMatch(/sub/);
    expect(await remote.layer(), `files Strata could not read locally must not be deleted remotely\n${r.stdout}${r.stderr}`).toEqual(before);
  });

  it('pull: a folder Strata may not write to fails by name; other files land; nothing partial', async () => {
    const remote = await s3Remote(inject('s3'));
    const a = workingCopy(remote);
    a.write('data/processed/locked/x.csv', 'x\n');
    a.write('data/processed/free.csv', 'free\n');
    assertOk(await a.run(['put-results']));
    const b = workingCopy(remote);
    giveToNobody(b);
    fs.mkdirSync(b.path('data/processed/locked'), { recursive: true }); // owned by root, 0755
    const r = assertFailed(await b.run(['get-results'], { asUser: 'nobody' }), 'pull into a read-only folder');
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('locked/x.csv');
    expect(r.stderr).toMatch(/permission denied|EACCES/i);
    expect(b.processed()).toEqual({ 'free.csv': sha256('free\n') });
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
  });
});

// ─── Disk full ───────────────────────────────────────────────────────────────────────────

describe.skipIf(!CAN_MOUNT)('disk full during a download (a 3 MiB tmpfs on the layer folder)', () => {
  it('the file that does not fit fails with "disk is full" by name; no partial file; the rest lands; state intact', async () => {
    const remote = fileRemote();
    const a = workingCopy(remote);
    a.write('data/processed/big.bin', bytes(5 * MiB, 'too big'));
    a.write('data/processed/small.csv', 'small\n');
    assertOk(await a.run(['put-results']));
    const b = workingCopy(remote);
    b.remove('data/processed');
    mountTmpfs(b.path('data/processed'), '3m');
    const r = assertFailed(await b.run(['get-results']), 'pull onto a full disk');
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(/disk is full/i);
    expect(r.stderr).toContain('big.bin');
    expect(b.processed()).toEqual({ 'small.csv': sha256('small\n') });
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
    expect(() => b.state()).not.toThrow();
    expect(fs.statfsSync(b.path('data/processed')).bfree).toBeGreaterThan(0.9 * fs.statfsSync(b.path('data/processed')).blocks);
  });
});

// ─── Missing, empty or unmounted layer folder ────────────────────────────────────────────

describe('a missing, empty or unmounted layer folder', () => {
  async function pushed() {
    const remote = fileRemote();
    const wc = workingCopy(remote);
    for (let i = 0; i < 3; i++) wc.write(`data/processed/f${i}.csv`, `f${i}\n`);
    assertOk(await wc.run(['put-results']));
    return { remote, wc, before: await remote.layer() };
  }

  it('missing: the push is refused (exit 3) and the remote is untouched', async () => {
    const { remote, wc, before } = await pushed();
    wc.remove('data/processed');
    const r = assertFailed(await wc.run(['put-results']));
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/does not exist|unmounted/i);
    expect(await remote.layer()).toEqual(before);
  });

  it('empty: the push is refused (exit 3) and the remote is untouched', async () => {
    const { remote, wc, before } = await pushed();
    wc.remove('data/processed');
    fs.mkdirSync(wc.path('data/processed'));
    const r = assertFailed(await wc.run(['put-results']));
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/empty/i);
    expect(await remote.layer()).toEqual(before);
  });

  it.skipIf(!CAN_MOUNT)('unmounted share: the empty mount point is refused (exit 3) and the remote is untouched', async () => {
    const remote = fileRemote();
    const wc = workingCopy(remote);
    wc.remove('data/processed');
    mountTmpfs(wc.path('data/processed'), '4m');
    for (let i = 0; i < 3; i++) wc.write(`data/processed/f${i}.csv`, `f${i}\n`);
    assertOk(await wc.run(['put-results']));
    const before = await remote.layer();
    unmount(wc.path('data/processed'));
    const r = assertFailed(await wc.run(['put-results']));
    expect(r.exitCode).toBe(3);
    expect(await remote.layer()).toEqual(before);
  });
});
