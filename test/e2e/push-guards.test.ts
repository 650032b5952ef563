// The push guardrails (SPEC §6.4, §6.8): who may push where, and pushes that would wipe
// the remote. Every refusal must exit non-zero, say why, and leave the remote as it was —
// journal included.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { REMOTE_KINDS, useLab } from '../support/lab.js';
import { hubRemote } from '../support/remote.js';
import { assertFailed, assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { hashed } from '../support/tree.js';
import { workingCopy } from '../support/working-copy.js';

describe.each(REMOTE_KINDS)('%s remote: who may push results where', (kind) => {
  const lab = useLab(kind);

  it('put-results is refused for an analyst on main and on a detached HEAD, allowed for a maintainer on main', async () => {
    const { mia, ana, remote } = lab();
    mia.write('data/processed/published/table.csv', 'v1\n');
    assertOk(await mia.just('put-results'), 'mia put-results (maintainer, on main)');
    expect(await remote.files('processed')).toEqual(hashed({ 'published/table.csv': 'v1\n' }));

    assertOk(await ana.just('get-results'), 'ana get-results');
    ana.write('data/processed/published/table.csv', 'analyst edit\n');
    ana.write('data/processed/mine/new.csv', 'mine\n');
    const before = await remote.files();

    const onMain = assertFailed(await ana.just('put-results'), 'ana put-results on main');
    expect(onMain.stderr).toMatch(/put-results: refused on main/);
    expect(onMain.stderr).not.toMatch(/put-results: put-results/);
    expect(onMain.stderr).toMatch(/branch/);
    // The menu speaks once: Strata's message and exit code, not just's "recipe failed" too.
    expect(onMain.exitCode).toBe(3);
    expect(onMain.stderr).not.toMatch(/error: recipe/);
    expect(await remote.files()).toEqual(before);

    ana.git('checkout', '-q', '--detach');
    const detached = assertFailed(await ana.just('put-results'), 'ana put-results on a detached HEAD');
    expect(detached.stderr).toMatch(/detached HEAD/);
    expect(await remote.files()).toEqual(before);

    // Same refusal for the scoped push.
    const scoped = assertFailed(await ana.just('put-results-for', 'mine'), 'ana put-results-for on a detached HEAD');
    expect(scoped.stderr).toMatch(/detached HEAD/);
    expect(await remote.files()).toEqual(before);

    // Inputs are maintainers' only, whatever the branch.
    ana.write('data/external/plate-map.csv', 'well\nA01\n');
    const inputs = assertFailed(await ana.just('put-inputs'), 'ana put-inputs');
    expect(inputs.stderr).toMatch(/maintainer/);
    expect(await remote.files()).toEqual(before);

    // A maintainer may publish results on main.
    mia.write('data/processed/published/table.csv', 'v2\n');
    assertOk(await mia.justWith({ role: 'maintainer' }, 'put-results'), 'mia put-results v2');
    expect(await remote.files('processed')).toEqual(hashed({ 'published/table.csv': 'v2\n' }));
    expect(await remote.keys('branches')).toEqual([]);
  });
});

describe.each(REMOTE_KINDS)('%s remote: empty local layer', (kind) => {
  const lab = useLab(kind);

  it('a push from an emptied or missing processed/ is refused; --force empties the remote', async () => {
    const { ana, remote } = lab();
    ana.git('switch', '-q', '-c', 'qc');
    ana.write('data/processed/qc/a.csv', 'a\n');
    ana.write('data/processed/qc/b.csv', 'b\n');
    assertOk(await ana.just('put-results'), 'ana put-results');
    expect(await remote.keys('branches/qc/processed')).toEqual(['qc/a.csv', 'qc/b.csv']);
    const before = await remote.files();

    ana.remove('data/processed/qc'); // the folder stays (with its .gitkeep), empty
    const empty = assertFailed(await ana.just('put-results'), 'put-results from an empty folder');
    expect(empty.stderr).toMatch(/empty/i);
    expect(await remote.files()).toEqual(before);

    ana.remove('data/processed'); // an unmounted share looks like this
    const missing = assertFailed(await ana.just('put-results'), 'put-results from a missing folder');
    expect(missing.stderr).toMatch(/does not exist/);
    expect(await remote.files()).toEqual(before);

    ana.write('data/processed/.gitkeep', '');
    assertOk(await ana.just('put-results', '--force'), 'put-results --force from an empty folder');
    expect(await remote.keys('branches/qc/processed')).toEqual([]);
  });
});

describe.each(REMOTE_KINDS)('%s remote: delete threshold', (kind) => {
  const lab = useLab(kind);

  it('deleting more than half the remote files needs --force; half or fewer does not', async () => {
    const { ana, remote } = lab();
    ana.git('switch', '-q', '-c', 'cleanup');
    for (const n of ['a', 'b', 'c', 'd']) ana.write(`data/processed/run/${n}.csv`, `${n}\n`);
    assertOk(await ana.just('put-results'), 'ana put-results (4 files)');
    const before = await remote.files();

    // 3 of 4: refused, nothing changed.
    for (const n of ['b', 'c', 'd']) ana.remove(`data/processed/run/${n}.csv`);
    const tooMany = assertFailed(await ana.just('put-results'), 'put-results deleting 3 of 4');
    expect(tooMany.stderr).toMatch(/delete 3 of 4/);
    expect(tooMany.stderr).toMatch(/--force/);
    expect(await remote.files()).toEqual(before);

    // 2 of 4 (exactly half): allowed.
    ana.write('data/processed/run/b.csv', 'b\n');
    assertOk(await ana.just('put-results'), 'put-results deleting 2 of 4');
    expect(await remote.files('branches/cleanup/processed')).toEqual(hashed({ 'run/a.csv': 'a\n', 'run/b.csv': 'b\n' }));

    // 1 of 2 plus a new file: allowed.
    ana.remove('data/processed/run/b.csv');
    ana.write('data/processed/run/e.csv', 'e\n');
    assertOk(await ana.just('put-results'), 'put-results deleting 1 of 2');
    expect(await remote.files('branches/cleanup/processed')).toEqual(hashed({ 'run/a.csv': 'a\n', 'run/e.csv': 'e\n' }));

    // 2 of 3 with --force: allowed.
    ana.write('data/processed/run/f.csv', 'f\n');
    assertOk(await ana.just('put-results'), 'put-results adding f');
    ana.remove('data/processed/run/a.csv');
    ana.remove('data/processed/run/e.csv');
    const before2 = await remote.files();
    assertFailed(await ana.just('put-results'), 'put-results deleting 2 of 3');
    expect(await remote.files()).toEqual(before2);
    assertOk(await ana.just('put-results', '--force'), 'put-results --force deleting 2 of 3');
    expect(await remote.files('branches/cleanup/processed')).toEqual(hashed({ 'run/f.csv': 'f\n' }));
  });
});

describe("the Hub's limits", () => {
  afterEach(removeTemps);

  it('a push of more files into one folder than the Hub allows is refused before anything moves, naming the folder; --force does not pass it', async () => {
    const remote = hubRemote(inject('hub'));
    const ana = workingCopy(remote);
    ana.git('switch', '-q', '-c', 'tiles');
    const dir = path.join(ana.dir, 'data', 'processed', 'tiles');
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i <= 10_000; i++) fs.writeFileSync(path.join(dir, `t${String(i).padStart(5, '0')}.png`), 'x');
    ana.write('data/processed/summary.csv', 'a\n');
    for (const args of [[], ['--force']]) {
      const r = assertFailed(await ana.just('put-results', ...args), `put-results ${args.join(' ')}`);
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toMatch(/data\/processed\/tiles\/ would hold 10,001 files; the Hub allows at most 10,000 in one folder/);
      expect(r.stderr).toMatch(/subfolders/);
    }
    // Nothing moved: the branch holds nothing.
    expect(await remote.layer('tiles')).toEqual({});
  });
});
