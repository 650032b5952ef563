// The lab's day, end to end (SPEC §4, §5): a maintainer publishes inputs, analysts pull
// them, push results from a branch into that branch's space, and read each other's
// branches; main's results stay where rclone kept them.
import { describe, expect, it } from 'vitest';
import { REMOTE_KINDS, useLab } from '../support/lab.js';
import { assertOk } from '../support/run.js';
import { hashed } from '../support/tree.js';

const INPUTS = {
  'external/plate-map.csv': 'well,compound\nA01,DMSO\nA02,taxol\n',
  'external/compounds/library.tsv': 'id\tname\nC1\tDMSO\nC2\ttaxol\n',
  'raw/profiles/plate-1/profiles.csv': 'well,f1,f2\nA01,0.1,0.2\nA02,0.3,0.4\n',
  'raw/profiles/plate-2/profiles.csv': 'well,f1,f2\nA01,0.5,0.6\nA02,0.7,0.8\n',
};
const under = (prefix: string, files: Record<string, string>) =>
  Object.fromEntries(Object.entries(files).filter(([k]) => k.startsWith(prefix + '/')).map(([k, v]) => [k.slice(prefix.length + 1), v]));

describe.each(REMOTE_KINDS)('%s remote: daily cycle', (kind) => {
  const lab = useLab(kind);

  it('inputs down, results up to a branch space, read by a second analyst, then no-op', async () => {
    const { mia, ana, ben, remote } = lab();
    for (const [k, v] of Object.entries(INPUTS)) mia.write(`data/${k}`, v);
    mia.write('data/processed/baseline/summary.csv', 'plate,cells\nplate-1,1000\n');
    assertOk(await mia.just('put-inputs'), 'mia put-inputs');
    assertOk(await mia.just('put-results'), 'mia put-results (maintainer, on main)');
    expect(await remote.files('external')).toEqual(hashed(under('external', INPUTS)));
    expect(await remote.files('profiles')).toEqual(hashed(under('raw/profiles', INPUTS)));
    const mainProcessed = await remote.files('processed');
    expect(mainProcessed).toEqual(hashed({ 'baseline/summary.csv': 'plate,cells\nplate-1,1000\n' }));

    // Analyst A gets exactly the published inputs, byte for byte.
    assertOk(await ana.just('get-inputs'), 'ana get-inputs');
    expect(ana.files('data/external')).toEqual(hashed(under('external', INPUTS)));
    expect(ana.files('data/raw/profiles')).toEqual(hashed(under('raw/profiles', INPUTS)));
    assertOk(await ana.just('get-results'), 'ana get-results');
    expect(ana.files('data/processed')).toEqual(mainProcessed);

    // …works on a branch and pushes results into that branch's space.
    ana.git('switch', '-q', '-c', 'cell-counts');
    ana.write('data/processed/cell-counts/summary.csv', 'plate,cells\nplate-1,1200\nplate-2,1350\n');
    ana.write('data/processed/cell-counts/figure.svg', '<svg/>\n');
    assertOk(await ana.just('put-results'), 'ana put-results');
    const branchProcessed = ana.files('data/processed');
    expect(Object.keys(branchProcessed)).toEqual(['baseline/summary.csv', 'cell-counts/figure.svg', 'cell-counts/summary.csv']);
    expect(await remote.files('branches/cell-counts/processed')).toEqual(branchProcessed);
    // main's processed/ is untouched.
    expect(await remote.files('processed')).toEqual(mainProcessed);

    // Analyst B reads the branch without being on it.
    assertOk(await ben.just('get-inputs'), 'ben get-inputs');
    expect(ben.files('data/external')).toEqual(ana.files('data/external'));
    assertOk(await ben.just('get-results-from', 'cell-counts'), 'ben get-results-from cell-counts');
    expect(ben.files('data/processed')).toEqual(branchProcessed);

    // A second pull of the same space moves nothing and says so.
    const again = assertOk(await ben.just('get-results-from', 'cell-counts'), 'ben get-results-from again');
    expect(again.stdout).toMatch(/Summary: up 0 \(0 B\), down 0 \(0 B\)/);
    ben.git('switch', '-q', '-c', 'cell-counts');
    const noop = assertOk(await ben.just('get-results'), 'ben get-results on cell-counts');
    expect(noop.stdout).toMatch(/Summary: up 0 \(0 B\), down 0 \(0 B\)/);
    expect(ben.files('data/processed')).toEqual(branchProcessed);
    const anaNoop = assertOk(await ana.just('get-results'), 'ana get-results after her push');
    expect(anaNoop.stdout).toMatch(/down 0 \(0 B\)/);
    expect(ben.recycleStamps()).toEqual([]);
    expect(ana.recycleStamps()).toEqual([]);
  });
});

describe.each(REMOTE_KINDS)('%s remote: branch spaces', (kind) => {
  const lab = useLab(kind);

  it('main at PREFIX/processed, a branch at PREFIX/branches/<b>/processed, fallback to main said out loud', async () => {
    const { mia, ana, ben, remote } = lab();
    mia.write('data/processed/main-run/a.csv', 'main result\n');
    assertOk(await mia.just('put-results'), 'mia put-results on main');
    expect(await remote.keys('processed')).toEqual(['main-run/a.csv']);
    expect(await remote.keys('branches')).toEqual([]);

    // A branch with no space yet reads main's, and says so.
    ana.git('switch', '-q', '-c', 'ana/umap');
    const first = assertOk(await ana.just('get-results'), 'ana get-results on a new branch');
    expect(first.stdout + first.stderr).toMatch(/ana\/umap.*no processed space yet.*main/);
    expect(ana.texts('data/processed')).toEqual({ 'main-run/a.csv': 'main result\n' });

    ana.write('data/processed/umap/embedding.csv', 'x,y\n0,1\n');
    assertOk(await ana.just('put-results'), 'ana put-results on ana/umap');
    expect(await remote.files('branches/ana/umap/processed')).toEqual(
      hashed({ 'main-run/a.csv': 'main result\n', 'umap/embedding.csv': 'x,y\n0,1\n' }),
    );
    expect(await remote.files('processed')).toEqual(hashed({ 'main-run/a.csv': 'main result\n' }));

    // Now the branch has its own space: no fallback message, nothing to do.
    const second = assertOk(await ana.just('get-results'), 'ana get-results again');
    expect(second.stdout + second.stderr).not.toMatch(/no processed space yet/);
    expect(second.stdout).toMatch(/down 0 \(0 B\)/);

    // An analyst on main reads main's space only.
    const onMain = assertOk(await ben.just('get-results'), 'ben get-results on main');
    expect(onMain.stdout + onMain.stderr).not.toMatch(/no processed space yet/);
    expect(ben.texts('data/processed')).toEqual({ 'main-run/a.csv': 'main result\n' });
  });
});
