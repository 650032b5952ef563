// Concurrency (docs/reliability.md §C): two working copies push to the same branch space at
// the same moment, round after round, on a plain folder, S3 and the Hub: exactly one wins
// each round, the loser is refused clearly and changes nothing, and the remote is exactly
// the winner's folder — never a mix. Two Strata runs in one working copy are serialized by
// the lock, and a lock left by a kill -9 is taken over. The lock holds while a run's main
// thread is blocked for far longer than it takes a lock to go stale (a slow share's scan), and
// a run that loses its lock stops.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import { fileRemote, type FolderRemote, hubRemote, type Remote, s3Remote } from '../support/remote.js';
import { rounds } from '../support/reliability-kit.js';
import { assertOk, describeRun, type RunResult } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const KINDS: { kind: 'file' | 's3' | 'hf'; remote: () => Promise<Remote> }[] = [
  { kind: 'file', remote: async () => fileRemote() },
  { kind: 's3', remote: () => s3Remote(inject('s3')) },
  { kind: 'hf', remote: async () => hubRemote(inject('hub')) },
];

const BRANCH = 'shared-work';
const REFUSED = /someone else pushed|someone pushed to the hub branch|someone created the hub branch|changed since this working copy last synced|has history that this working copy has never synced|at the same moment/i;

describe.each(KINDS)('$kind: two working copies push one branch space at once', ({ kind, remote: makeRemote }) => {
  it(`exactly one wins each round; the loser is refused and the remote is the winner's folder (${rounds(4, 40)} rounds; STRATA_SOAK=1 for more)`, async () => {
    const remote = await makeRemote();
    const a = workingCopy(remote, { branch: BRANCH, user: 'ana' });
    const b = workingCopy(remote, { branch: BRANCH, user: 'ben' });
    const n = rounds(4, 40);
    const winners: string[] = [];
    for (let round = 0; round < n; round++) {
      // Round 0: the branch space does not exist yet (both create it). Later rounds: both start from the same head.
      for (const [wc, who] of [
        [a, 'ana'],
        [b, 'ben'],
      ] as const) {
        wc.write('data/processed/run/common.csv', `${who} round ${round}${who === 'ben' ? ' (longer)' : ''}\n`);
        wc.write(`data/processed/run/${who}-${round}.csv`, `${who} ${round}\n`);
      }
      if (round === 1) b.remove('data/processed/run/ana-0.csv'); // b's push also deletes, so a mix would show
      const [ra, rb] = await Promise.all([a.run(['put-results']), b.run(['put-results'])]);
      const results = [
        { wc: a, r: ra },
        { wc: b, r: rb },
      ];
      const detail = results.map((x) => describeRun(x.r, x.wc.user)).join('\n');
      const ok = results.filter((x) => x.r.exitCode === 0);
      const lost = results.filter((x) => x.r.exitCode !== 0);
      expect(ok.length, `${kind} round ${round}: exactly one push must win\n${detail}`).toBe(1);
      const winner = ok[0]!.wc;
      const loser = lost[0]!;
      winners.push(winner.user);
      // Exit 4 (conflict) is the usual answer. A loser that listed the space while the winner's
      // push was in flight can instead be stopped by a guard (exit 3) that read a half-pushed
      // listing: still refused before changing anything, but for a misleading reason (reported).
      expect([3, 4], detail).toContain(loser.r.exitCode);
      if (loser.r.exitCode === 4) expect(loser.r.stderr, detail).toMatch(REFUSED);
      else console.warn(`${kind} round ${round}: the loser was refused by a guard reading a half-pushed listing:\n${loser.r.stderr.trim().split('\n').filter((l) => !/NodeVersion|node >=22|upgrade|a\.co|trace-warnings|versions published|security updates|^$/.test(l)).join('\n')}`);
      expect(await remote.layer(BRANCH), `${kind} round ${round}: the remote must be exactly ${winner.user}'s folder\n${detail}`).toEqual(winner.processed());

      // The loser takes the winner's state (its edits go to the recycle folder) and both start the next round from one head.
      assertOk(await loser.wc.run(['get-results', '--force']), `${loser.wc.user} get-results --force`);
      expect(loser.wc.processed()).toEqual(winner.processed());
    }
    expect(winners).toHaveLength(n);
  });
});

describe('one working copy: two runs are serialized by the lock', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(inject('s3').endpoint);
  });
  afterAll(() => proxy.stop());

  // Runs are told apart by the region in their request signatures (RGW ignores it).
  const regionOf = (r: ProxiedRequest) => /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(r.headers.authorization ?? ''))?.[1];

  it('a second run waits for the first; none of its requests overlap the first run', async () => {
    const remote = await s3Remote(inject('s3'), { via: proxy.url });
    const wc = workingCopy(remote);
    for (let i = 0; i < 5; i++) wc.write(`data/processed/f${i}.csv`, `v1 ${i}\n`);
    assertOk(await wc.run(['put-results']));
    for (let i = 0; i < 5; i++) wc.write(`data/processed/f${i}.csv`, `v2 ${i}, longer\n`);
    // The first run's uploads are slow (1.5 s each at the proxy).
    proxy.faults.push({ match: (r) => r.method === 'PUT' && regionOf(r) === 'us-east-1' && r.path.includes('/processed/f'), action: { type: 'delay', ms: 1500 }, times: Infinity });
    const mark = proxy.log.length;
    const first = wc.start(['put-results'], { env: { AWS_REGION: 'us-east-1', STRATA_TRANSFERS: '1' } });
    // The second starts once the first is talking to the store (it holds the lock by then),
    // not after a fixed time: on a loaded machine the first may not have the lock yet.
    for (const end = Date.now() + 30_000; !proxy.log.slice(mark).some((r) => regionOf(r) === 'us-east-1'); ) {
      if (Date.now() > end) throw new Error('the first run sent no request in 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const second = wc.start(['get-results'], { env: { AWS_REGION: 'eu-west-1' } });
    const [r1, r2] = await Promise.all([first.result, second.result]);
    proxy.faults.length = 0;
    assertOk(r1, 'first run');
    assertOk(r2, 'second run');
    expect(r2.stderr).toMatch(/another strata run is active/i);
    const log = proxy.log.slice(mark);
    const firstReqs = log.filter((r) => regionOf(r) === 'us-east-1');
    const secondReqs = log.filter((r) => regionOf(r) === 'eu-west-1');
    expect(firstReqs.length).toBeGreaterThan(5);
    expect(secondReqs.length).toBeGreaterThan(0);
    const firstEnded = Math.max(...firstReqs.map((r) => r.endedAt ?? r.startedAt));
    const secondStarted = Math.min(...secondReqs.map((r) => r.startedAt));
    expect(secondStarted, 'the second run sent a request while the first was still running').toBeGreaterThanOrEqual(firstEnded);
  });

  it('a lock left by a run killed with -9 is taken over; the next run converges', async () => {
    const remote = await s3Remote(inject('s3'), { via: proxy.url });
    const wc = workingCopy(remote);
    wc.write('data/processed/a.csv', 'a\n');
    assertOk(await wc.run(['put-results']));
    wc.write('data/processed/b.csv', 'b\n');
    // Hold the upload at the proxy, kill the run there: it dies holding the lock.
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    let arrived!: () => void;
    const atUpload = new Promise<void>((ok) => (arrived = ok));
    proxy.taps.push({
      match: (r) => r.method === 'PUT' && r.path.includes('/processed/b.csv'),
      beforeForward: async (): Promise<'drop'> => {
        arrived();
        await held;
        return 'drop';
      },
    });
    const victim = wc.start(['put-results']);
    await atUpload;
    await victim.kill9();
    release();
    proxy.taps.length = 0;
    const r: RunResult = await wc.run(['put-results'], { timeoutMs: 60_000 });
    assertOk(r, 'the run after the kill');
    expect(r.ms, 'the stale lock must be taken over within ~10 s').toBeLessThan(25_000);
    expect(await remote.layer()).toEqual(wc.processed());
  });
});

describe('one working copy: the lock holds while a scan blocks the run', () => {
  // 30 run folders, each listed 600 ms late: the scan blocks the first run's main thread for
  // about 18 s at a stretch, well past the 10 s after which a lock nobody refreshed is stale.
  const FOLDERS = 30;
  const SLOW_LISTING = fileURLToPath(new URL('../support/slow-listing.cjs', import.meta.url));
  const slowScan = (wc: WorkingCopy) => ({ NODE_OPTIONS: `--require=${SLOW_LISTING}`, SLOW_LISTING_UNDER: wc.path('data/processed'), SLOW_LISTING_MS: '600' });
  const scanning = /^slow listing: /m;

  /** Polls until `done()` holds (every 100 ms, at most `ms`), or fails saying what never came. */
  async function until(done: () => boolean, what: string, ms = 20_000): Promise<void> {
    for (const end = Date.now() + ms; !done(); ) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The users of the push records in the main processed space's journal, in order. */
  async function pushers(remote: FolderRemote): Promise<string[]> {
    const root = '.strata/journal/main/processed';
    const records = (await remote.keys(root)).filter((k) => /^\d+\.json$/.test(k));
    return Promise.all(records.map(async (k) => JSON.parse(String(await remote.storeRead(`${root}/${k}`))).user as string));
  }

  it('a second run waits for a first whose scan blocks it for ~18 s, and syncs only after it has ended', async () => {
    const remote = fileRemote();
    const wc = workingCopy(remote);
    for (let i = 0; i < FOLDERS; i++) wc.write(`data/processed/run-${i}/table.csv`, `run ${i}\n`);
    const first = wc.start(['put-results'], { user: 'ana', env: slowScan(wc) });
    await until(() => scanning.test(first.output()), 'the first run to start its scan');
    const second = wc.start(['put-results'], { user: 'ben' });
    await until(() => /another strata run is active/i.test(second.output()) || second.child.exitCode !== null, 'the second run to say it waits');
    const [endA, endB] = await Promise.all([first.exited, second.exited]);
    const [ra, rb] = await Promise.all([first.result, second.result]);
    const detail = `${describeRun(ra, 'first (slow scan)')}\n${describeRun(rb, 'second')}`;
    expect(ra.exitCode, `the slow run must finish its push\n${detail}`).toBe(0);
    expect(rb.exitCode, detail).toBe(0);
    expect(rb.stderr, detail).toMatch(/Another Strata run is active in this working copy; waiting for it to finish…/);
    expect(endB.at, `the second run ended before the first\n${detail}`).toBeGreaterThan(endA.at);
    // Had the second run synced during the first's scan, it would have pushed the 30 new
    // folders itself. After the first, there is nothing left for it to push.
    expect(await pushers(remote), detail).toEqual(['ana']);
    expect(await remote.layer()).toEqual(wc.processed());
    expect(fs.existsSync(wc.path('.strata/run.lock')), 'both runs released the lock').toBe(false);
  });

  it('a run whose lock is removed during its scan stops with an error naming the lock, and pushes nothing', async () => {
    const remote = fileRemote();
    const wc = workingCopy(remote);
    for (let i = 0; i < FOLDERS; i++) wc.write(`data/processed/run-${i}/table.csv`, `run ${i}\n`);
    const running = wc.start(['put-results'], { env: slowScan(wc) });
    await until(() => scanning.test(running.output()), 'the run to start its scan');
    fs.rmSync(wc.path('.strata/run.lock'), { recursive: true });
    const r = await running.result;
    expect(r.exitCode, describeRun(r)).toBe(1);
    expect(r.stderr, describeRun(r)).toContain(wc.path('.strata/run.lock'));
    expect(r.stderr, describeRun(r)).toMatch(/taken over or removed/);
    expect(await remote.layer(), 'nothing may be pushed without the lock').toEqual({});
    expect(await pushers(remote)).toEqual([]);
  });
});

describe('recycle-clean and a run in progress', () => {
  it('recycle-clean waits for the working copy\'s lock, so it never removes a folder a pull is recycling into', async () => {
    const remote = fileRemote();
    const wc = workingCopy(remote);
    wc.write('data/_recycle/2026-01-01-000000/processed/old.csv', 'old\n');
    fs.utimesSync(wc.path('data/_recycle/2026-01-01-000000'), new Date('2026-01-01'), new Date('2026-01-01'));
    // A run in progress holds the lock (a fresh lock folder, as proper-lockfile makes it).
    fs.mkdirSync(wc.path('.strata/run.lock'), { recursive: true });
    const cleaning = wc.start(['recycle-clean', '--all']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(cleaning.output()).toMatch(/another strata run is active/i);
    expect(fs.existsSync(wc.path('data/_recycle/2026-01-01-000000')), 'nothing removed while the lock is held').toBe(true);
    fs.rmSync(wc.path('.strata/run.lock'), { recursive: true });
    assertOk(await cleaning.result);
    expect(fs.existsSync(wc.path('data/_recycle/2026-01-01-000000'))).toBe(false);
  });
});
