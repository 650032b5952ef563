// Pulled data the pipeline trusts: a maintainer runs a real Snakemake pipeline and pushes
// every layer; a teammate's fresh clone pulls inputs and results, and `snakemake -n` must
// have nothing to do — whatever order the downloads finish in (a proxy delays each response
// at random). On a folder remote, on S3, and with processed/ on the Hub (the other layers on a
// folder).
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { downstreamOfPlate, haveSnakemake, RCLONE, runPipeline, writePipeline, wouldRun } from '../support/pipeline.js';
import { rounds } from '../support/reliability-kit.js';
import { fileRemote, hubRemote, s3Remote, type Remote } from '../support/remote.js';
import { childEnv } from '../support/env.js';
import { assertOk, runSync } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const proxies: FaultProxy[] = [];
afterAll(async () => {
  for (const p of proxies.splice(0)) await p.stop();
});

/** A proxy in front of `target` that holds every response for 0–40 ms, so parallel downloads finish out of order. */
async function shuffling(target: string): Promise<string> {
  const proxy = await startFaultProxy(target);
  proxy.taps.push({ match: () => true, beforeForward: () => sleep(Math.random() * 40) });
  proxies.push(proxy);
  return proxy.url;
}

const ROUNDS = rounds(20, 20);
// Twenty fresh clones and as many Snakemake runs: minutes on a busy machine.
const ROUNDS_TIMEOUT = 600_000;

/** The maintainer runs the whole pipeline and pushes every layer. */
async function maintainerPushes(remote: Remote): Promise<WorkingCopy> {
  const mia = workingCopy(remote, { user: 'mia' });
  writePipeline(mia.dir, { inputs: true });
  runPipeline(mia.dir);
  expect(wouldRun(mia.dir), 'the maintainer is up to date').toEqual([]);
  for (const recipe of ['put-inputs', 'put-interim', 'put-results']) assertOk(await mia.run([recipe]), recipe);
  return mia;
}

/** ROUNDS fresh clones pull inputs and results; each round's outputs `snakemake -n` would remake (none expected). */
async function spuriousRounds(remote: Remote): Promise<string[][]> {
  const spurious: string[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ana = workingCopy(remote, { user: 'ana' });
    writePipeline(ana.dir);
    assertOk(await ana.run(['get-inputs']), 'get-inputs');
    assertOk(await ana.run(['get-results']), 'get-results');
    const jobs = wouldRun(ana.dir);
    if (jobs.length) spurious.push(jobs);
  }
  return spurious;
}

describe.runIf(haveSnakemake).each([
  // A folder has no proxy: its parallel copies finish in whatever order they do.
  { kind: 'file', remote: async (): Promise<Remote> => fileRemote() },
  // Every request through a proxy that shuffles the order in which answers arrive.
  { kind: 's3', remote: async (): Promise<Remote> => s3Remote(inject('s3'), { via: await shuffling(inject('s3').endpoint) }) },
  { kind: 'hf', remote: async (): Promise<Remote> => hubRemote(inject('hub'), { via: await shuffling(inject('hub').url) }) },
])('$kind: a fresh clone trusts pulled data', ({ remote: makeRemote }) => {
  it(`snakemake -n has nothing to do after get-inputs and get-results (${ROUNDS} rounds)`, async () => {
    const remote = await makeRemote();
    await maintainerPushes(remote);

    expect(await spuriousRounds(remote), 'rounds where snakemake wanted to re-run something').toEqual([]);
  }, ROUNDS_TIMEOUT);

  it('a changed input pushed alone re-runs exactly its downstream jobs', async () => {
    const remote = await makeRemote();
    const mia = await maintainerPushes(remote);
    const ana = workingCopy(remote, { user: 'ana' });
    writePipeline(ana.dir);
    assertOk(await ana.run(['get-inputs']));
    assertOk(await ana.run(['get-results']));
    expect(wouldRun(ana.dir)).toEqual([]);

    await sleep(20);
    mia.write('data/raw/profiles/p03.csv', 'p03,changed\n');
    assertOk(await mia.run(['put-inputs']));
    assertOk(await ana.run(['get-inputs']));
    expect(wouldRun(ana.dir)).toEqual(downstreamOfPlate('p03'));
  });
});

describe.runIf(haveSnakemake)("s3: a bucket the lab's rclone recipes wrote", () => {
  it(`a fresh clone pulls inputs and results, and snakemake -n has nothing to do (${ROUNDS} rounds)`, async () => {
    const remote = await s3Remote(inject('s3'), { via: await shuffling(inject('s3').endpoint) });
    const mia = workingCopy(remote, { user: 'mia' });
    writePipeline(mia.dir, { inputs: true });
    runPipeline(mia.dir);
    // The lab's old recipes: `rclone sync` of each layer folder to its prefix (the current
    // rclone from the pinned venv), straight to the server.
    for (const [folder, sub] of [['data/external', 'external'], ['data/raw/profiles', 'profiles'], ['data/interim', 'interim'], ['data/processed', 'processed']] as const) {
      assertOk(runSync(RCLONE, ['sync', mia.path(folder), remote.rclonePath(sub)], { cwd: mia.dir, env: childEnv({ RCLONE_CONFIG: '/dev/null' }) }), `rclone sync ${folder}`);
    }
    expect(await spuriousRounds(remote), 'rounds where snakemake wanted to re-run something').toEqual([]);
  }, ROUNDS_TIMEOUT);
});

describe('hf: a file no Strata push recorded a time for', () => {
  it('gets the time of the commit that last changed it, never the moment its download ended', async () => {
    const remote = hubRemote(inject('hub'));
    const mia = workingCopy(remote, { user: 'mia' });
    mia.write('data/processed/pushed.csv', 'pushed by Strata\n');
    fs.utimesSync(mia.path('data/processed/pushed.csv'), 1_700_000_000, 1_700_000_000.25);
    assertOk(await mia.run(['put-results']));
    const before = Date.now();
    await remote.put('uploaded.csv', 'uploaded by another tool\n');
    const after = Date.now();
    await sleep(2_500);
    const ana = workingCopy(remote, { user: 'ana' });
    const pullStart = Date.now();
    assertOk(await ana.run(['get-results']));
    expect(fs.statSync(ana.path('data/processed/pushed.csv')).mtimeMs).toBeCloseTo(1_700_000_000_250, 0);
    const t = fs.statSync(ana.path('data/processed/uploaded.csv')).mtimeMs;
    // Commit dates have whole seconds.
    expect(t, new Date(t).toISOString()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(t, new Date(t).toISOString()).toBeLessThanOrEqual(after);
    expect(t).toBeLessThan(pullStart);
  });
});

describe('the times cost nothing on a pull with nothing to do', () => {
  it('hf: a no-op pull reads no record of times (only a pull that downloads does, once per layer)', async () => {
    const proxy = await startFaultProxy(inject('hub').url);
    proxies.push(proxy);
    const remote = hubRemote(inject('hub'), { via: proxy.url });
    const mia = workingCopy(remote, { user: 'mia' });
    for (let i = 0; i < 5; i++) mia.write(`data/processed/f${i}.csv`, `f${i}\n`);
    assertOk(await mia.run(['put-results']));
    const ana = workingCopy(remote, { user: 'ana' });
    const recordReads = (from: number) => proxy.log.slice(from).filter((r) => decodeURIComponent(r.path).includes('/.strata/mtimes/')).length;
    let mark = proxy.log.length;
    assertOk(await ana.run(['get-results']));
    expect(recordReads(mark), 'a pull that downloads 5 files reads the record once').toBe(1);
    mark = proxy.log.length;
    const again = assertOk(await ana.run(['get-results']));
    expect(again.stdout).toMatch(/down 0 /);
    expect(recordReads(mark), 'a pull with nothing to do reads no record').toBe(0);
  });
});
