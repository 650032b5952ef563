// The soak (docs/reliability.md §K): round after round, alternating S3 and the Hub, two
// working copies change files and sync while things go wrong at random — a push or a pull
// killed with -9 at a random moment, server faults injected by the proxy, both pushing at
// the same moment. Every round ends with every byte accounted for:
//   - no Strata run loses a local byte: every content in a working copy's layer folder or
//     recycle folder before a run is still in one of them after it (pulls recycle, never unlink);
//   - once the round has converged, the remote is exactly the last winner's folder, both
//     working copies equal it, no temp file is left, and every state record reads whole.
// A few rounds run in every `npm test`; STRATA_SOAK=1 STRATA_SOAK_ROUNDS=1000 is the long run
// (its figures are in docs/reliability.md). STRATA_SOAK_SEED replays a run's random choices.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hubError, s3Error, startFaultProxy, type FaultProxy, type FaultRule, type ProxiedRequest } from '../support/fault-proxy.js';
import { hubRemote, type Remote, s3Remote } from '../support/remote.js';
import { bytes, rounds, SOAK } from '../support/reliability-kit.js';
import { describeRun, type RunResult } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { tempFiles, tree } from '../support/tree.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const ROUNDS = rounds(8, 1000);
const SEED = Number(process.env.STRATA_SOAK_SEED ?? Date.now() % 1_000_000);
const BRANCH = 'soak';

/** mulberry32: a small seeded PRNG, so a failing round can be replayed with STRATA_SOAK_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}
type Rng = ReturnType<typeof prng>;

// ─── Request shapes for the faults ──────────────────────────────────────────────────────
const s3Data = (r: ProxiedRequest) => /\/datastore\/branches\/soak\/processed\//.test(r.path);
const s3Journal = (r: ProxiedRequest) => r.path.includes('/.strata/journal/');
const hubCommit = (r: ProxiedRequest) => r.method === 'POST' && r.path.includes('/commit/');
const hubContent = (r: ProxiedRequest) => r.method === 'GET' && r.path.includes('/resolve/') && r.headers.range !== 'bytes=0-0';

const FAULTS: Record<'s3' | 'hf', FaultRule[]> = {
  s3: [
    { name: '503 SlowDown on uploads ×2', match: (r) => r.method === 'PUT' && s3Data(r), action: { type: 'status', ...s3Error(503, 'SlowDown') }, times: 2 },
    { name: '500 on a download', match: (r) => r.method === 'GET' && s3Data(r), action: { type: 'status', ...s3Error(500, 'InternalError') }, times: 1 },
    { name: 'reset mid-download', match: (r) => r.method === 'GET' && s3Data(r), action: { type: 'reset-response', afterBytes: 3 }, times: 1 },
    { name: 'reset mid-upload', match: (r) => r.method === 'PUT' && s3Data(r), action: { type: 'reset-request', afterBytes: 3 }, times: 1 },
    { name: '503 on listings ×2', match: (r) => r.method === 'GET' && r.path.includes('list-type=2'), action: { type: 'status', ...s3Error(503, 'SlowDown') }, times: 2 },
    { name: 'journal claim landed, answer lost', match: (r) => r.method === 'PUT' && s3Journal(r), action: { type: 'drop-response' }, times: 1 },
    { name: 'upload landed, answer lost', match: (r) => r.method === 'PUT' && s3Data(r), action: { type: 'drop-response' }, times: 1 },
  ],
  hf: [
    { name: '503 on the commit', match: hubCommit, action: { type: 'status', ...hubError(503) }, times: 1 },
    { name: '500 on the commit (not retried)', match: hubCommit, action: { type: 'status', ...hubError(500) }, times: 1 },
    { name: 'commit landed, answer lost', match: hubCommit, action: { type: 'drop-response' }, times: 1 },
    { name: 'reset mid-download', match: hubContent, action: { type: 'reset-response', afterBytes: 3 }, times: 1 },
    { name: '503 on tree listings ×2', match: (r) => r.method === 'GET' && r.path.includes('/tree/'), action: { type: 'status', ...hubError(503) }, times: 2 },
  ],
};

// ─── Byte accounting ─────────────────────────────────────────────────────────────────────

/** Every content (sha256) held in the working copy's layer folder or its recycle folder. */
function held(wc: WorkingCopy): Set<string> {
  // (The recycle folder read whole: the same key recycled by two runs sits under two stamps.)
  return new Set([...Object.values(wc.processed()), ...Object.values(tree(wc.path('data/_recycle')))]);
}

/** expectNothingLost: what a working copy held before a run it still holds after it. */
function expectNothingLost(wc: WorkingCopy, before: Set<string>, what: string) {
  const after = held(wc);
  const lost = [...before].filter((h) => !after.has(h));
  expect(lost, `${what}: ${lost.length} content(s) the working copy held before the run are gone from its folder and its recycle folder`).toEqual([]);
}

// ─── One soak world per backend: a remote behind a fault proxy, two working copies ───────

interface World {
  kind: 's3' | 'hf';
  proxy: FaultProxy;
  remote: Remote;
  wcs: [WorkingCopy, WorkingCopy];
  counter: number;
}

async function world(kind: 's3' | 'hf'): Promise<World> {
  const upstream = kind === 's3' ? inject('s3').endpoint : inject('hub').url;
  const proxy = await startFaultProxy(upstream);
  const remote = kind === 's3' ? await s3Remote(inject('s3'), { via: proxy.url }) : hubRemote(inject('hub'), { via: proxy.url });
  const wcs: [WorkingCopy, WorkingCopy] = [workingCopy(remote, { branch: BRANCH, user: 'ana' }), workingCopy(remote, { branch: BRANCH, user: 'ben' })];
  return { kind, proxy, remote, wcs, counter: 0 };
}

/** mutate makes a few random local changes: new files, rewrites, a delete; now and then a multipart-sized file (S3). */
function mutate(w: World, wc: WorkingCopy, rng: Rng) {
  const existing = Object.keys(wc.processed());
  for (let i = rng.int(1, 3); i > 0; i--) {
    const n = ++w.counter;
    const size = w.kind === 's3' && rng.next() < 0.04 ? 9 * 1024 * 1024 + rng.int(0, 1000) : rng.int(0, 40_000);
    wc.write(`data/processed/run-${n % 7}/f${n}.bin`, bytes(size, `${wc.user}-${n}`));
  }
  for (let i = Math.min(existing.length, rng.int(0, 2)); i > 0; i--) {
    wc.write(`data/processed/${rng.pick(existing)}`, bytes(rng.int(1, 20_000), `${wc.user}-rewrite-${++w.counter}`));
  }
  if (existing.length > 4 && rng.next() < 0.5) wc.remove(`data/processed/${rng.pick(existing)}`);
}

/** run: one Strata run, with the byte accounting around it. */
async function run(wc: WorkingCopy, args: string[], log: string[]): Promise<RunResult> {
  const before = held(wc);
  const r = await wc.run(args, { timeoutMs: 180_000 });
  log.push(`${wc.user} ${args.join(' ')} → ${r.exitCode} (${r.ms} ms)`);
  expectNothingLost(wc, before, `${wc.user} ${args.join(' ')}`);
  return r;
}

/** killed: a run killed with -9 after a random delay (it may have finished by then). */
async function killed(wc: WorkingCopy, args: string[], rng: Rng, log: string[]): Promise<void> {
  const before = held(wc);
  const running = wc.start(args, { timeoutMs: 180_000 });
  const after = rng.int(0, 2500);
  await Promise.race([new Promise((ok) => setTimeout(ok, after)), running.result]);
  await running.kill9();
  const r = await running.result;
  log.push(`${wc.user} ${args.join(' ')} killed after ${after} ms → ${r.signal ?? r.exitCode}`);
  wc.clearStaleLock();
  expectNothingLost(wc, before, `${wc.user} ${args.join(' ')} (killed)`);
}

/** until: runs `args` until it exits 0 (a failed or interrupted run must converge on the next try). */
async function until(wc: WorkingCopy, args: string[], log: string[], allowed: number[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const r = await run(wc, args, log);
    if (r.exitCode === 0) return;
    expect(allowed, `${wc.user} ${args.join(' ')} attempt ${attempt}\n${describeRun(r, wc.user)}\n${log.join('\n')}`).toContain(r.exitCode);
    expect(attempt, `${wc.user} ${args.join(' ')} did not converge\n${describeRun(r, wc.user)}\n${log.join('\n')}`).toBeLessThan(3);
  }
}

type Scenario = 'kill-push' | 'kill-pull' | 'fault' | 'race';

async function round(w: World, rng: Rng, i: number): Promise<Scenario> {
  const log: string[] = [`round ${i} (${w.kind}, seed ${SEED})`];
  const [x, y] = rng.next() < 0.5 ? w.wcs : ([w.wcs[1], w.wcs[0]] as const);
  const scenario = rng.pick<Scenario>(['kill-push', 'kill-push', 'kill-pull', 'fault', 'fault', 'race']);
  log.push(`scenario ${scenario}: pusher ${x.user}`);
  let pusher = x;
  try {
    if (scenario === 'race') {
      mutate(w, x, rng);
      mutate(w, y, rng);
      y.write('data/processed/common.bin', bytes(rng.int(1, 5000), `${y.user}-common-${++w.counter}`));
      x.write('data/processed/common.bin', bytes(rng.int(1, 5000), `${x.user}-common-${++w.counter}`));
      const beforeX = held(x);
      const beforeY = held(y);
      const [rx, ry] = await Promise.all([x.run(['put-results'], { timeoutMs: 180_000 }), y.run(['put-results'], { timeoutMs: 180_000 })]);
      expectNothingLost(x, beforeX, 'race push');
      expectNothingLost(y, beforeY, 'race push');
      log.push(`race: ${x.user} → ${rx.exitCode}, ${y.user} → ${ry.exitCode}`);
      const detail = `${describeRun(rx, x.user)}\n${describeRun(ry, y.user)}\n${log.join('\n')}`;
      const winners = [rx, ry].filter((r) => r.exitCode === 0).length;
      expect(winners, `exactly one push wins\n${detail}`).toBe(1);
      for (const r of [rx, ry]) if (r.exitCode !== 0) expect([3, 4], detail).toContain(r.exitCode);
      pusher = rx.exitCode === 0 ? x : y;
      const loser = pusher === x ? y : x;
      // The loser takes the winner's state; its own edits go to the recycle folder.
      await until(loser, ['get-results', '--force'], log, [5]);
    } else {
      mutate(w, x, rng);
      if (scenario === 'fault') {
        const fault = rng.pick(FAULTS[w.kind]);
        w.proxy.faults.push({ ...fault });
        log.push(`fault: ${fault.name}`);
      }
      if (scenario === 'kill-push') await killed(x, ['put-results'], rng, log);
      await until(x, ['put-results'], log, scenario === 'fault' ? [5] : []);
      if (scenario === 'kill-pull') await killed(y, ['get-results'], rng, log);
      await until(y, ['get-results'], log, scenario === 'fault' ? [5] : []);
      w.proxy.faults.length = 0;
    }
    // Converged: the remote is exactly the winner's folder, and both working copies equal it.
    const other = pusher === x ? y : x;
    await until(other, ['get-results'], log, []);
    const remote = await w.remote.layer(BRANCH);
    expect(remote, `the remote is exactly ${pusher.user}'s folder\n${log.join('\n')}`).toEqual(pusher.processed());
    expect(other.processed(), `${other.user} equals the remote\n${log.join('\n')}`).toEqual(remote);
    for (const wc of w.wcs) {
      expect(tempFiles(wc.path('data')), `${wc.user}: no temp file left`).toEqual([]);
      expect(() => wc.state(), `${wc.user}: the state record reads whole`).not.toThrow();
    }
    return scenario;
  } finally {
    w.proxy.faults.length = 0;
  }
}

describe('soak: kill -9, server faults and concurrent pushers, alternating S3 and the Hub', () => {
  it(`${ROUNDS} rounds; every byte accounted for after each (STRATA_SOAK=1 STRATA_SOAK_ROUNDS=N for the long run)`, { timeout: SOAK ? 6 * 3_600_000 : 400_000 }, async () => {
    const rng = prng(SEED);
    const worlds = [await world('s3'), await world('hf')];
    const started = Date.now();
    const tally: Record<string, number> = {};
    try {
      // Both working copies start from one pushed state.
      for (const w of worlds) {
        w.wcs[0].write('data/processed/start.csv', 'start\n');
        await until(w.wcs[0], ['put-results'], [], []);
        await until(w.wcs[1], ['get-results'], [], []);
      }
      for (let i = 0; i < ROUNDS; i++) {
        const w = worlds[i % 2]!;
        const scenario = await round(w, rng, i);
        tally[`${w.kind} ${scenario}`] = (tally[`${w.kind} ${scenario}`] ?? 0) + 1;
        if ((i + 1) % 50 === 0) console.log(`soak: ${i + 1}/${ROUNDS} rounds, ${Math.round((Date.now() - started) / 1000)} s`);
      }
    } finally {
      for (const w of worlds) await w.proxy.stop();
    }
    const wall = Math.round((Date.now() - started) / 1000);
    console.log(`soak: ${ROUNDS} rounds in ${wall} s (seed ${SEED}): ${JSON.stringify(tally)}`);
    expect(Object.values(tally).reduce((a, b) => a + b, 0)).toBe(ROUNDS);
  });
});
