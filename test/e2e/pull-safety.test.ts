// Pull never unlinks and never silently overwrites (SPEC §6.2, §6.3): unshared local work
// stops a pull; --force and remote deletions move local files to
// data/_recycle/<stamp>/<layer>/<key>.
import { describe, expect, it } from 'vitest';
import { REMOTE_KINDS, useLab } from '../support/lab.js';
import { assertFailed, assertOk } from '../support/run.js';
import { hashed } from '../support/tree.js';
import type { WorkingCopy } from '../support/working-copy.js';

const STAMP = /^\d{4}-\d{2}-\d{2}-\d{6}$/;

/** The one recycle folder made since `before`, checked for the documented stamp format. */
function newRecycleFolder(wc: WorkingCopy, before: string[]): string {
  const added = wc.recycleStamps().filter((s) => !before.includes(s));
  expect(added).toHaveLength(1);
  expect(added[0]).toMatch(STAMP);
  return `data/_recycle/${added[0]}`;
}

describe.each(REMOTE_KINDS)('%s remote: unshared local work on pull', (kind) => {
  const lab = useLab(kind);

  it('get-results refuses to overwrite a locally changed file; --force recycles it', async () => {
    const { ana, ben, remote } = lab();
    ana.git('switch', '-q', '-c', 'seg');
    ana.write('data/processed/seg/x.csv', 'x from ana v1\n');
    ana.write('data/processed/seg/y.csv', 'y\n');
    assertOk(await ana.just('put-results'), 'ana put-results v1');
    ben.git('switch', '-q', '-c', 'seg');
    assertOk(await ben.just('get-results'), 'ben get-results');
    expect(ben.texts('data/processed')).toEqual({ 'seg/x.csv': 'x from ana v1\n', 'seg/y.csv': 'y\n' });

    // Both sides change seg/x.csv.
    ana.write('data/processed/seg/x.csv', 'x from ana v2, longer\n');
    assertOk(await ana.just('put-results'), 'ana put-results v2');
    ben.write('data/processed/seg/x.csv', "ben's unsaved analysis\n");

    const refused = assertFailed(await ben.just('get-results'), 'ben get-results over unshared work');
    expect(refused.stderr).toMatch(/unshared/i);
    expect(refused.stderr).toContain('seg/x.csv');
    expect(refused.stderr).not.toMatch(/seg\/y\.csv/);
    expect(ben.read('data/processed/seg/x.csv')?.toString()).toBe("ben's unsaved analysis\n");
    expect(ben.recycleStamps()).toEqual([]);

    assertOk(await ben.just('get-results', '--force'), 'ben get-results --force');
    expect(ben.texts('data/processed')).toEqual({ 'seg/x.csv': 'x from ana v2, longer\n', 'seg/y.csv': 'y\n' });
    const folder = newRecycleFolder(ben, []);
    expect(ben.texts(folder)).toEqual({ 'processed/seg/x.csv': "ben's unsaved analysis\n" });
    expect(await remote.files('branches/seg/processed')).toEqual(ben.files('data/processed'));
  });
});

describe.each(REMOTE_KINDS)('%s remote: recycle folder', (kind) => {
  const lab = useLab(kind);

  it('files deleted on the remote are moved to data/_recycle/<stamp>/<layer>/<key>, not deleted', async () => {
    const { mia, ana, ben } = lab();
    // Inputs: profiles is the layer whose local folder (data/raw/profiles) differs from its name.
    mia.write('data/external/plate-map.csv', 'map\n');
    mia.write('data/raw/profiles/plate-1/profiles.csv', 'p1\n');
    mia.write('data/raw/profiles/plate-2/profiles.csv', 'p2\n');
    assertOk(await mia.just('put-inputs'), 'mia put-inputs');
    assertOk(await ana.just('get-inputs'), 'ana get-inputs');

    // Results on a branch.
    ben.git('switch', '-q', '-c', 'feat');
    for (const n of ['x', 'y', 'z']) ben.write(`data/processed/run/${n}.csv`, `${n}\n`);
    assertOk(await ben.just('put-results'), 'ben put-results');
    ana.git('switch', '-q', '-c', 'feat');
    assertOk(await ana.just('get-results'), 'ana get-results');
    expect(Object.keys(ana.files('data/processed'))).toEqual(['run/x.csv', 'run/y.csv', 'run/z.csv']);

    // The remote loses a file in each.
    mia.remove('data/raw/profiles/plate-2');
    assertOk(await mia.just('put-inputs'), 'mia put-inputs without plate-2');
    ben.remove('data/processed/run/z.csv');
    assertOk(await ben.just('put-results'), 'ben put-results without z');

    assertOk(await ana.just('get-inputs'), 'ana get-inputs after the deletion');
    expect(ana.texts('data/raw/profiles')).toEqual({ 'plate-1/profiles.csv': 'p1\n' });
    expect(ana.texts('data/external')).toEqual({ 'plate-map.csv': 'map\n' });
    const inputsFolder = newRecycleFolder(ana, []);
    expect(ana.texts(inputsFolder)).toEqual({ 'profiles/plate-2/profiles.csv': 'p2\n' });

    // Stamps have one-second resolution; make sure the next pull gets its own folder.
    await new Promise((r) => setTimeout(r, 1100));
    const stamps = ana.recycleStamps();
    assertOk(await ana.just('get-results'), 'ana get-results after the deletion');
    expect(ana.files('data/processed')).toEqual(hashed({ 'run/x.csv': 'x\n', 'run/y.csv': 'y\n' }));
    const resultsFolder = newRecycleFolder(ana, stamps);
    expect(ana.texts(resultsFolder)).toEqual({ 'processed/run/z.csv': 'z\n' });
  });
});
