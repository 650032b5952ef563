// Server faults on the Hub (docs/reliability.md §B): a fault-injecting proxy between Strata
// and the Hub emulator answers 500, 503 SlowDown and 429, resets connections
// mid-body, truncates or corrupts bodies. Strata must retry what can be retried
// (with backoff), never delete after a failed transfer, never
// keep a partial file, and end with an error that names what did not transfer.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  attempts,
  casReconstruction,
  casShardPost,
  casXorbPost,
  casXorbRead,
  hubError,
  hubLfsContent,
  hubResolve,
  hubTree,
  useFaultProxy,
  type FaultProxy,
  type ProxiedRequest,
} from '../support/fault-proxy.js';
import { hubRemote, type Remote } from '../support/remote.js';
import { bytes, seedPair } from '../support/reliability-kit.js';
import { assertFailed, assertOk, describeRun } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { sha256, tempFiles } from '../support/tree.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const MiB = 1024 * 1024;
const SEED = {
  'data/processed/keep.csv': 'keep\n',
  'data/processed/big.bin': bytes(3 * MiB, 'big v1'),
  'data/processed/gone.csv': 'gone\n',
  'data/processed/other.csv': 'other\n',
};

// Hub request shapes this file alone needs (the common ones are in fault-proxy.ts).
const hubCommit = (r: ProxiedRequest) => r.method === 'POST' && r.path.includes('/commit/');

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

  it('429 with Retry-After and 503 are retried (Retry-After honoured); push and pull succeed', async () => {
    const { b } = await seeded();
    a.write('data/processed/new.csv', 'new\n');
    proxy.faults.push({ match: hubTree, action: { type: 'status', ...hubError(429, 1) }, times: 1 });
    proxy.faults.push({ match: hubCommit, action: { type: 'status', ...hubError(503) }, times: 1 });
    const r = assertOk(await a.run(['put-results']), 'put-results through 429 and 503');
    expect(r.stderr).toMatch(/retrying/);
    const first429 = proxy.log.find((t) => t.fault && t.status === 429)!;
    const next = proxy.log.find((t) => t.id > first429.id && hubTree(t))!;
    expect(next.startedAt - first429.endedAt!).toBeGreaterThanOrEqual(950);
    proxy.faults.push({ match: hubResolve('new.csv'), action: { type: 'status', ...hubError(503) }, times: 2 });
    assertOk(await b.run(['get-results']), 'get-results through 503s');
    expect(b.processed()).toEqual(a.processed());
    // The retry note goes through the run's reporter: --quiet silences it.
    a.write('data/processed/newer.csv', 'newer\n');
    proxy.faults.push({ match: hubCommit, action: { type: 'status', ...hubError(503) }, times: 1 });
    const quiet = assertOk(await a.run(['put-results', '--quiet']), 'quiet put-results through a 503');
    expect(proxy.log.filter((t) => t.fault && t.status === 503 && hubCommit(t)).length).toBe(2);
    expect(quiet.stderr).not.toMatch(/retrying/);
  });

  it('a plain 500 on the commit is not retried (it may have landed); the error names the files; a re-run converges', async () => {
    await seeded();
    a.write('data/processed/new.csv', 'new\n');
    a.remove('data/processed/gone.csv');
    proxy.faults.push({ match: hubCommit, action: { type: 'status', ...hubError(500) }, times: 1 });
    const mark = proxy.log.length;
    const r = assertFailed(await a.run(['put-results']), 'put-results with a 500 commit');
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('new.csv');
    expect(attempts(proxy, hubCommit, mark)).toHaveLength(1);
    expect(await remote.layer()).toMatchObject({ 'gone.csv': sha256('gone\n') });
    assertOk(await a.run(['put-results']), 're-run');
    expect(await remote.layer()).toEqual(a.processed());
  });

  it('a first push that created the repo (or the branch) and then failed: the re-run is not a false conflict', async () => {
    // New repo: Strata creates it, then the commit fails.
    remote = hubRemote(inject('hub'), { via: proxy.url });
    a = workingCopy(remote);
    a.write('data/processed/x.csv', 'x\n');
    proxy.faults.push({ match: hubCommit, action: { type: 'status', ...hubError(500) }, times: 1 });
    assertFailed(await a.run(['put-results']), 'first push, commit fails');
    assertOk(await a.run(['put-results']), 'the re-run (the repo is this working copy\'s own creation)');
    expect(await remote.layer()).toEqual(a.processed());
    // New branch: Strata creates it from main, then the commit fails.
    a.git('switch', '-q', '-c', 'feature');
    a.write('data/processed/y.csv', 'y\n');
    proxy.faults.push({ match: hubCommit, action: { type: 'status', ...hubError(500) }, times: 1 });
    assertFailed(await a.run(['put-results']), 'first push to the branch, commit fails');
    assertOk(await a.run(['put-results']), 'the re-run (the branch is this working copy\'s own creation)');
    expect(await remote.layer('feature')).toEqual(a.processed());
  });

  it('the commit landed but its answer was lost: the re-run is not a false conflict', async () => {
    await seeded();
    a.write('data/processed/new.csv', 'new\n');
    proxy.faults.push({ match: hubCommit, action: { type: 'drop-response' } });
    const first = assertFailed(await a.run(['put-results']), 'put-results whose commit answer was lost');
    expect(await remote.layer()).toEqual(a.processed()); // the commit did land
    const again = await a.run(['put-results']);
    assertOk(again, `re-run after a lost commit answer (the head is this working copy's own commit)\nfirst run:\n${describeRun(first)}`);
  });

  it('a connection reset part-way through a download is retried, and the pull succeeds', async () => {
    const { b } = await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, 'big v2'));
    assertOk(await a.run(['put-results']));
    // big.bin is an LFS file: its bytes come from the download host the resolve redirects to.
    proxy.faults.push({ match: hubLfsContent('big.bin'), action: { type: 'reset-response', afterBytes: 1 * MiB } });
    const since = proxy.log.length;
    const r = await b.run(['get-results']);
    expect(attempts(proxy, hubLfsContent('big.bin'), since).map((x) => x.fault ?? 'ok')).toEqual(['reset-response', 'ok']);
    expect([sha256(bytes(3 * MiB, 'big v1')), sha256(bytes(3 * MiB, 'big v2'))]).toContain(sha256(b.read('data/processed/big.bin')!));
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
    assertOk(r, 'get-results through one reset download');
    expect(b.processed()).toEqual(a.processed());
  });

  it('a truncated download is never kept under the real name; the error names the file', async () => {
    const { b } = await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, 'big v2'));
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: hubLfsContent('big.bin'), action: { type: 'truncate', afterBytes: 1 * MiB }, times: Infinity });
    const r = assertFailed(await b.run(['get-results']), 'get-results with truncated bodies');
    expect(r.stderr).toContain('big.bin');
    expect(sha256(b.read('data/processed/big.bin')!)).toBe(sha256(bytes(3 * MiB, 'big v1')));
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
  });

});

describe("Xet's chunk store behind the fault proxy", () => {
  // The proxy carries the chunk store's address the Hub hands out, so faults reach Xet's
  // uploads (xorbs, shards) and its ranged reads; big.bin travels through Xet both ways.
  let proxy: FaultProxy;
  let remote: Remote;
  let a: WorkingCopy;
  useFaultProxy(() => inject('hub').url, (p) => (proxy = p), { carryLoopback: true });

  // The chunk store is the emulator's, shared by every repo: each test's new version is its
  // own, or Xet would find its chunks already stored and send nothing.
  let V2: string;
  async function seeded() {
    V2 = `big v2 ${randomBytes(4).toString('hex')}`;
    remote = hubRemote(inject('hub'), { via: proxy.url, transfer: 'xet' });
    const pair = await seedPair(remote, SEED);
    a = pair.a;
    return { b: pair.b };
  }
  const outcomes = (match: (r: ProxiedRequest) => boolean, since: number) => attempts(proxy, match, since).map((x) => x.fault ?? x.status);

  it('a xorb answered 500 and a shard cut part-way are posted again (they are content-addressed); the push lands whole', async () => {
    await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, V2));
    proxy.faults.push({ match: casXorbPost, action: { type: 'status', ...hubError(500) } });
    proxy.faults.push({ match: casShardPost, action: { type: 'reset-request', afterBytes: 64 } });
    const since = proxy.log.length;
    assertOk(await a.run(['put-results']), 'put-results through a failed xorb and a cut shard');
    expect(outcomes(casXorbPost, since)).toEqual(['status', 200]);
    expect(outcomes(casShardPost, since)).toEqual(['reset-request', 200]);
    expect(await remote.layer()).toEqual(a.processed());
  });

  it('a xorb the chunk store keeps refusing: the push fails naming the file, nothing is committed, the re-run lands', async () => {
    await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, V2));
    a.remove('data/processed/gone.csv');
    proxy.faults.push({ match: casXorbPost, action: { type: 'status', ...hubError(500) }, times: Infinity });
    const since = proxy.log.length;
    const r = assertFailed(await a.run(['put-results']), 'put-results with every xorb refused');
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('big.bin');
    expect(attempts(proxy, casXorbPost, since)).toHaveLength(5);
    expect(attempts(proxy, (t) => t.method === 'POST' && t.path.includes('/commit/'), since)).toHaveLength(0);
    expect(await remote.layer()).toMatchObject({ 'big.bin': sha256(bytes(3 * MiB, 'big v1')), 'gone.csv': sha256('gone\n') });
    proxy.faults.length = 0;
    assertOk(await a.run(['put-results']), 're-run');
    expect(await remote.layer()).toEqual(a.processed());
  });

  it("a xorb's ranged read cut part-way is read again; no partial file is kept, and the pull ends right", async () => {
    const { b } = await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, V2));
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: casXorbRead, action: { type: 'reset-response', afterBytes: 256 * 1024 } });
    const since = proxy.log.length;
    const r = await b.run(['get-results']);
    expect(attempts(proxy, casReconstruction, since)).not.toHaveLength(0);
    expect(outcomes(casXorbRead, since)).toEqual(['reset-response', 206]);
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
    assertOk(r, 'get-results through one cut xorb read');
    expect(b.processed()).toEqual(a.processed());
  });

  it('a corrupted xorb is never kept under the real name; the error names the file', async () => {
    const { b } = await seeded();
    a.write('data/processed/big.bin', bytes(3 * MiB, V2));
    assertOk(await a.run(['put-results']));
    proxy.faults.push({ match: casXorbRead, action: { type: 'corrupt', at: 100_000 }, times: Infinity });
    const r = assertFailed(await b.run(['get-results']), 'get-results with corrupted xorbs');
    expect(attempts(proxy, casXorbRead).some((x) => x.fault === 'corrupt')).toBe(true);
    expect(r.stderr).toContain('big.bin');
    expect(sha256(b.read('data/processed/big.bin')!)).toBe(sha256(bytes(3 * MiB, 'big v1')));
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
  });
});

describe('pr-create', () => {
  let proxy: FaultProxy;
  useFaultProxy(() => inject('hub').url, (p) => (proxy = p));

  async function pullRequests(repo: string): Promise<{ num: number; title: string; isPullRequest: boolean }[]> {
    const hub = inject('hub');
    const res = await fetch(`${hub.url}/api/datasets/${repo}/discussions`, { headers: { Authorization: `Bearer ${hub.token}` } });
    return ((await res.json()) as { discussions: { num: number; title: string; isPullRequest: boolean }[] }).discussions.filter((d) => d.isPullRequest);
  }

  it('opens one pull request carrying the branch; a failed commit leaves no empty pull request behind', async () => {
    const remote = hubRemote(inject('hub'), { via: proxy.url });
    const { a } = await seedPair(remote, SEED);
    a.git('switch', '-q', '-c', 'review-me');
    a.write('data/processed/new.csv', 'for review\n');
    assertOk(await a.run(['put-results']));

    proxy.faults.push({ match: hubCommit, action: { type: 'status', ...hubError(500) }, times: 1 });
    const failed = assertFailed(await a.run(['pr-create', 'Cell', 'counts']), 'pr-create with a failing commit');
    expect(failed.exitCode).not.toBe(0);
    expect(await pullRequests(remote.repo), 'no pull request without its commit').toEqual([]);

    const ok = assertOk(await a.run(['pr-create', 'Cell', 'counts']), 'pr-create');
    expect(ok.stdout).toMatch(/Opened pull request #\d+ with 1 change\(s\) to processed\//);
    const prs = await pullRequests(remote.repo);
    expect(prs.map((p) => p.title)).toEqual(['Cell counts']);
  });
});

describe('promote on the Hub, more files than one commit takes', () => {
  // A thousand files pushed, promoted and pulled: minutes on a busy two-core machine.
  it('goes in commits of at most 1,000 operations, small files fetched per commit; main equals the branch and the log counts it all', { timeout: 600_000 }, async () => {
    const remote = hubRemote(inject('hub'));
    const a = workingCopy(remote, { branch: 'big-run', user: 'ana' });
    for (let i = 0; i < 1_003; i++) a.write(`data/processed/wells/w${String(i).padStart(4, '0')}.csv`, `well ${i}\n`);
    assertOk(await a.run(['put-results'], { timeoutMs: 300_000 }), 'push 1,003 files');
    const r = assertOk(await a.run(['promote', 'big-run'], { timeoutMs: 300_000 }), 'promote');
    expect(r.stdout).toMatch(/main now equals branch "big-run" \(1003 change\(s\)/);
    a.git('switch', '-q', 'main');
    // main equals the branch: a pull of main into this folder (same files) has nothing to do.
    const pulled = assertOk(await a.run(['get-results'], { timeoutMs: 300_000 }));
    expect(pulled.stdout).toMatch(/down 0 .*unchanged 1003/);
    // Two commits, each with its own counts (999 files: the last commit also carries the record of times).
    const log = assertOk(await a.run(['log', '--layer', 'processed', '--limit', '3']));
    expect(log.stdout.match(/promote from big-run: \d+ written/g)).toEqual(['promote from big-run: 4 written', 'promote from big-run: 999 written']);
  });
});
