// --dry-run on every get and put recipe (SPEC §5, §6.1): print the plan, change nothing —
// not the remote (data or journal), not the working copy's data, recycle folder or state.
import { describe, expect, it } from 'vitest';
import { type Lab, REMOTE_KINDS, useLab } from '../support/lab.js';
import { assertOk, type RunResult } from '../support/run.js';
import type { WorkingCopy } from '../support/working-copy.js';

/**
 * Runs a dry run and checks that neither the remote nor any working copy changed. A dry
 * run prints the plan, then runs the guards: one the real run would refuse (unshared work)
 * ends with that refusal (exit 3), as the real run would.
 */
async function dryRun(lab: Lab, wc: WorkingCopy, ...args: string[]): Promise<RunResult> {
  const remoteBefore = await lab.remote.files();
  const localBefore = [lab.mia, lab.ana, lab.ben].map((w) => w.snapshot());
  const r = await wc.just(...args, '--dry-run');
  if (r.exitCode === 3) expect(r.stderr, `${args.join(' ')} --dry-run`).toMatch(/unshared work/);
  else expect(assertOk(r, `${wc.user}: just ${args.join(' ')} --dry-run`).stdout, `${args.join(' ')} --dry-run`).toMatch(/Dry run: nothing was changed/);
  expect(await lab.remote.files(), `${args.join(' ')} --dry-run changed the remote`).toEqual(remoteBefore);
  expect(
    [lab.mia, lab.ana, lab.ben].map((w) => w.snapshot()),
    `${args.join(' ')} --dry-run changed a working copy`,
  ).toEqual(localBefore);
  return r;
}

describe.each(REMOTE_KINDS)('%s remote: --dry-run', (kind) => {
  const lab = useLab(kind);

  it('every get and put recipe prints its plan and changes nothing', async () => {
    const l = lab();
    const { mia, ana, ben } = l;
    // Published state: inputs, interim and results on main; a branch space for "seg".
    mia.write('data/external/plate-map.csv', 'map v1\n');
    mia.write('data/raw/profiles/plate-1/profiles.csv', 'p1\n');
    mia.write('data/interim/features/i1.csv', 'i1\n');
    mia.write('data/processed/main/m1.csv', 'm1\n');
    assertOk(await mia.just('put-inputs'), 'mia put-inputs');
    assertOk(await mia.just('put-interim'), 'mia put-interim');
    assertOk(await mia.just('put-results'), 'mia put-results');
    assertOk(await ana.just('get-inputs'), 'ana get-inputs');
    ana.git('switch', '-q', '-c', 'seg');
    ana.write('data/processed/run1/x.csv', 'x\n');
    assertOk(await ana.just('put-results'), 'ana put-results');
    ben.git('switch', '-q', '-c', 'seg');
    assertOk(await ben.just('get-inputs'), 'ben get-inputs');
    assertOk(await ben.just('get-results'), 'ben get-results');

    // Unpushed local work everywhere.
    mia.write('data/external/plate-map.csv', 'map v2, edited\n');
    mia.write('data/external/new-map.csv', 'new\n');
    mia.write('data/interim/features/i2.csv', 'i2\n');
    mia.write('data/processed/main/m2.csv', 'm2\n');
    ana.write('data/processed/run1/x2.csv', 'x2\n');
    ana.write('data/processed/run2/w.csv', 'w\n');

    // Puts.
    let r = await dryRun(l, mia, 'put-inputs');
    expect(r.stdout).toMatch(/upload\s+external\/new-map\.csv/);
    expect(r.stdout).toMatch(/upload\s+external\/plate-map\.csv/);
    r = await dryRun(l, mia, 'put-interim');
    expect(r.stdout).toMatch(/upload\s+interim\/features\/i2\.csv/);
    r = await dryRun(l, mia, 'put-results');
    expect(r.stdout).toMatch(/upload\s+processed\/main\/m2\.csv/);
    r = await dryRun(l, ana, 'put-results');
    expect(r.stdout).toMatch(/upload\s+processed\/run1\/x2\.csv/);
    expect(r.stdout).toMatch(/upload\s+processed\/run2\/w\.csv/);
    r = await dryRun(l, ana, 'put-results-for', 'run2');
    expect(r.stdout).toMatch(/upload\s+processed\/run2\/w\.csv/);
    expect(r.stdout).not.toMatch(/run1\/x2\.csv/);

    // The remote moves on: new inputs on main, ben's results on the branch.
    assertOk(await mia.just('put-inputs'), 'mia put-inputs (v2)');
    ben.write('data/processed/run1/y.csv', 'y\n');
    ben.write('data/processed/run2/z.csv', 'z\n');
    assertOk(await ben.just('put-results'), 'ben put-results');

    // Gets.
    r = await dryRun(l, ana, 'get-inputs');
    expect(r.stdout).toMatch(/download\s+external\/new-map\.csv/);
    expect(r.stdout).toMatch(/download\s+external\/plate-map\.csv/);
    r = await dryRun(l, ana, 'get-results');
    expect(r.stdout).toMatch(/download\s+processed\/run1\/y\.csv/);
    expect(r.stdout).toMatch(/download\s+processed\/run2\/z\.csv/);
    r = await dryRun(l, ana, 'get-results-for', 'run2');
    expect(r.stdout).toMatch(/download\s+processed\/run2\/z\.csv/);
    expect(r.stdout).not.toMatch(/run1\/y\.csv/);
    r = await dryRun(l, ana, 'get-results-from', 'main');
    expect(r.stdout).toMatch(/recycle\s+processed\/run1\/x\.csv/);
    expect(r.stdout).toMatch(/download\s+interim\/features\/i1\.csv/);
    r = await dryRun(l, ben, 'get-results-from', 'seg');
    expect(r.stdout).toMatch(/down 0 \(0 B\)/);

    // The dry runs left the real runs' work intact: they still do what the plans said.
    assertOk(await ana.just('get-inputs'), 'ana get-inputs for real');
    expect(ana.texts('data/external')).toEqual({ 'plate-map.csv': 'map v2, edited\n', 'new-map.csv': 'new\n' });
  });
});
