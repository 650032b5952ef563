// A newcomer's mistakes never cost data (docs/reliability.md §N): a wrong remote is not an
// empty one — a pull from a location that holds nothing and has no Strata record is refused
// before anything moves, on a folder remote, S3 and the Hub; a pull that would recycle more
// than the delete threshold is refused like the push; a deletion made here since the last
// sync is unshared work, kept by --keep and restored only by --force; reasons say which side
// changed.
import fs from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { fileRemote, hubRemote, type Remote, s3Remote } from '../support/remote.js';
import { assertFailed, assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

/** strata.yaml pointing at a mistyped version of the remote (one letter off, or another case). */
function mistype(wc: WorkingCopy, remote: Remote) {
  const yaml = fs.readFileSync(wc.path('strata.yaml'), 'utf8');
  let wrong: string;
  if (remote.kind === 'file') wrong = yaml.replace(/remote: file:\/\/(\S+)/, (_m, dir: string) => `remote: file://${dir.slice(0, -1)}`);
  else if (remote.kind === 's3') wrong = yaml.replace(remote.prefix, remote.prefix.replace(/^projects\/([^/]+)/, (_m, project: string) => `projects/${project.toUpperCase()}`));
  else wrong = yaml.replace(/hub: hf:\/\/datasets\/(\S+)/, (_m, repo: string) => `hub: hf://datasets/${repo.slice(0, -1)}`);
  expect(wrong).not.toBe(yaml);
  fs.writeFileSync(wc.path('strata.yaml'), wrong);
  return () => fs.writeFileSync(wc.path('strata.yaml'), yaml);
}

describe.each([
  { kind: 'file', remote: async () => fileRemote() },
  { kind: 's3', remote: () => s3Remote(inject('s3')) },
  { kind: 'hf', remote: async () => hubRemote(inject('hub')) },
])('$kind: a mistyped remote is not an empty one', ({ remote: makeRemote }) => {
  it('the pull is refused naming the location, nothing is recycled; fixing the URL re-downloads nothing', async () => {
    const remote = await makeRemote();
    const ana = workingCopy(remote, { user: 'ana' });
    for (let i = 0; i < 4; i++) ana.write(`data/processed/plate-${i}.csv`, `plate ${i}\n`);
    assertOk(await ana.run(['put-results']), 'seed');
    const before = ana.processed();

    const restore = mistype(ana, remote);
    const r = assertFailed(await ana.run(['get-results']), 'pull from the mistyped remote');
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/holds no files and no Strata record \(a mistyped remote\? an unmounted share\?\), and pulling it would recycle all 4 local files/);
    expect(r.stderr).toMatch(/just config/);
    expect(ana.processed()).toEqual(before);
    expect(ana.recycled()).toEqual({});

    restore();
    const again = assertOk(await ana.run(['get-results']), 'pull after fixing the URL');
    expect(again.stdout).toMatch(/down 0 /);
    expect(ana.processed()).toEqual(before);
  });
});

describe('pulls that would recycle much of a folder', () => {
  it('more than the delete threshold is refused like the push; --force recycles (never deletes)', async () => {
    const remote = fileRemote();
    const mia = workingCopy(remote, { user: 'mia' });
    for (let i = 0; i < 6; i++) mia.write(`data/processed/f${i}.csv`, `f${i}\n`);
    assertOk(await mia.run(['put-results']));
    const ben = workingCopy(remote, { user: 'ben' });
    assertOk(await ben.run(['get-results']));
    for (let i = 0; i < 4; i++) mia.remove(`data/processed/f${i}.csv`);
    assertOk(await mia.run(['put-results', '--force']), 'mia deletes 4 of 6');

    const r = assertFailed(await ben.run(['get-results']), 'ben would lose 4 of 6');
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/would recycle 4 of your 6 local files \(more than 50 %, the delete_threshold\)/);
    expect(Object.keys(ben.processed())).toHaveLength(6);
    assertOk(await ben.run(['get-results', '--force']));
    expect(Object.keys(ben.processed()).sort()).toEqual(['f4.csv', 'f5.csv']);
    expect(Object.keys(ben.recycled()).sort()).toEqual(['processed/f0.csv', 'processed/f1.csv', 'processed/f2.csv', 'processed/f3.csv']);
  });
});

describe('a deletion made here since the last sync is unshared work', () => {
  it('a pull refuses to restore it, --keep keeps it deleted, --force restores it; reasons are true', async () => {
    const remote = fileRemote();
    const a = workingCopy(remote, { branch: 'qc', user: 'ana' });
    for (const f of ['part-1.csv', 'part-2.csv', 'part-3.csv', 'notes.csv']) a.write(`data/processed/${f}`, `${f} v1\n`);
    assertOk(await a.run(['put-results']));
    const b = workingCopy(remote, { branch: 'qc', user: 'ben' });
    assertOk(await b.run(['get-results']));

    // B deletes part-1 and edits notes; A pushes something else.
    b.remove('data/processed/part-1.csv');
    b.write('data/processed/notes.csv', 'notes, edited by ben\n');
    a.write('data/processed/part-2.csv', 'part-2.csv v2 (ana)\n');
    assertOk(await a.run(['put-results']));

    const status = assertOk(await b.run(['status', '--layer', 'processed']));
    expect(status.stdout).toMatch(/part-1\.csv .*\(deleted here since the last sync, UNSHARED\)/);
    expect(status.stdout).toMatch(/notes\.csv .*\(changed here, UNSHARED\)/);
    expect(status.stdout).not.toMatch(/changed on both sides/);

    const refused = assertFailed(await b.run(['get-results']));
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(/1 file was deleted here since the last sync \(unshared work\) and would be restored:\n\s+part-1\.csv/);

    assertOk(await b.run(['get-results', '--keep']), 'keep');
    expect(b.read('data/processed/part-1.csv'), '--keep must keep the deletion').toBeNull();
    expect(b.read('data/processed/part-2.csv')?.toString()).toBe('part-2.csv v2 (ana)\n');
    expect(b.read('data/processed/notes.csv')?.toString()).toBe('notes, edited by ben\n');
    // Still unshared on the next pull, until pushed.
    expect((await b.run(['get-results'])).exitCode).toBe(3);
    assertOk(await b.run(['get-results', '--force']), 'force');
    expect(b.read('data/processed/part-1.csv')?.toString()).toBe('part-1.csv v1\n');
  });

  it('pushed, the deletion reaches the remote and nobody restores it', async () => {
    const remote = fileRemote();
    const a = workingCopy(remote, { branch: 'qc', user: 'ana' });
    for (const f of ['p1.csv', 'p2.csv', 'p3.csv']) a.write(`data/processed/${f}`, `${f}\n`);
    assertOk(await a.run(['put-results']));
    a.remove('data/processed/p1.csv');
    assertOk(await a.run(['get-results', '--keep']));
    assertOk(await a.run(['put-results']));
    expect(Object.keys(await remote.layer('qc')).sort()).toEqual(['p2.csv', 'p3.csv']);
    assertOk(await a.run(['get-results']));
    expect(a.read('data/processed/p1.csv')).toBeNull();
  });
});

describe('stray words', () => {
  it('`put-results dry-run` (the dashes forgotten) pushes nothing and says what was meant', async () => {
    const remote = fileRemote();
    const ana = workingCopy(remote, { branch: 'qc', user: 'ana' });
    ana.write('data/processed/a.csv', 'a\n');
    const r = assertFailed(await ana.run(['put-results', 'dry-run']));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Unexpected word "dry-run": nothing was done[\s\S]*just put-results --dry-run/);
    expect(await remote.layer('qc')).toEqual({});
    const g = assertFailed(await ana.run(['get-results', 'plate-42']));
    expect(g.stderr).toMatch(/just get-results-for plate-42/);
  });
});

describe('a folder pulled at a past revision', () => {
  it('is marked so: status says which revision, a push is refused unless --force, get-results returns it to the head', async () => {
    const remote = hubRemote(inject('hub'));
    const ana = workingCopy(remote, { branch: 'paper', user: 'ana' });
    ana.write('data/processed/fig1.csv', 'fig1 v1\n');
    assertOk(await ana.run(['put-results']));
    assertOk(await ana.run(['tag', 'paper-v1']));
    ana.write('data/processed/fig1.csv', 'fig1 v2\n');
    ana.write('data/processed/fig2.csv', 'fig2 (new in v2)\n');
    assertOk(await ana.run(['put-results']));
    const head = await remote.layer('paper');

    assertOk(await ana.run(['get-results-at', 'paper-v1']));
    expect(Object.keys(ana.processed())).toEqual(['fig1.csv']);
    const status = assertOk(await ana.run(['status', '--layer', 'processed']));
    expect(status.stdout).toMatch(/the folder holds revision paper-v1 \(commit [0-9a-f]{8}\), pulled with get-results-at/);

    const r = assertFailed(await ana.run(['put-results']), 'push from the old revision');
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/holds revision paper-v1 .*pushing it would roll .* back to that revision/);
    expect(await remote.layer('paper'), 'nothing was rolled back').toEqual(head);

    assertOk(await ana.run(['get-results']), 'back to the head');
    expect(ana.processed()).toEqual(head);
    const again = assertOk(await ana.run(['status', '--layer', 'processed']));
    expect(again.stdout).not.toMatch(/holds revision/);
    assertOk(await ana.run(['put-results']), 'a push from the head goes through');
  });
});

describe('the layer table follows main', () => {
  it('a branch whose strata.yaml places a layer elsewhere than main\'s is warned, naming both; merging main ends it', async () => {
    const remote = fileRemote();
    const other = fileRemote();
    const ana = workingCopy(remote, { branch: 'qc', user: 'ana' });
    // main moves processed/ to another remote; the branch has not merged it yet.
    ana.git('switch', '-q', 'main');
    fs.appendFileSync(ana.path('strata.yaml'), `layers:\n  processed:\n    remote: ${other.url}\n`);
    ana.git('commit', '-qam', 'processed moves');
    ana.git('switch', '-q', 'qc');
    ana.write('data/processed/a.csv', 'a\n');
    const r = assertOk(await ana.run(['put-results']));
    expect(r.stderr).toMatch(/this branch's strata\.yaml places a layer somewhere other than main's does:\n\s+processed: here file:\/\/\S+\/processed; on main file:\/\/\S+\/processed/);
    expect(r.stderr).toContain(`${other.url}/processed`);
    expect(r.stderr).toMatch(/Merge it \(git merge main\)/);
    const s = assertOk(await ana.run(['status']));
    expect(s.stderr).toMatch(/places a layer somewhere other than main's/);
    ana.git('merge', '-q', 'main');
    const after = assertOk(await ana.run(['status']));
    expect(after.stderr).not.toMatch(/places a layer/);
  });
});

describe('a run folder that does not exist anywhere', () => {
  it('get-results-for and put-results-for name it and list the run folders there, instead of "unchanged 0"', async () => {
    const remote = fileRemote();
    const ana = workingCopy(remote, { branch: 'qc', user: 'ana' });
    ana.write('data/processed/plate-41/a.csv', 'a\n');
    assertOk(await ana.run(['put-results']));
    for (const recipe of ['get-results-for', 'put-results-for']) {
      const r = assertFailed(await ana.run([recipe, 'plate-42']), recipe);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/No run folder "plate-42" in data\/processed\/ or in file:\/\/\S+\. Nothing was done/);
      expect(r.stderr).toMatch(/Run folders here: plate-41/);
    }
  });
});

describe('messages that point the right way', () => {
  it('role hints, tag, promote in the log, a typo\'d branch, conflict heads, a bad hub value', async () => {
    const remote = hubRemote(inject('hub'));
    const ana = workingCopy(remote, { branch: 'qc', user: 'ana' });
    // A role refusal says how a maintainer gets through.
    const role = assertFailed(await ana.run(['put-inputs'], { env: { STRATA_ROLE: 'analyst' } }));
    expect(role.stderr).toMatch(/--role maintainer/);
    // A tag refused for unpushed changes names the recipe once.
    ana.write('data/processed/a.csv', 'a\n');
    const tag = assertFailed(await ana.run(['tag', 'v1']));
    expect(tag.stderr).toMatch(/tag: data\/processed\/ has 1 change/);
    expect(tag.stderr).not.toMatch(/tag: tag:/);
    for (let i = 0; i < 3; i++) ana.write(`data/processed/f${i}.csv`, `f${i}\n`);
    assertOk(await ana.run(['put-results']));
    // A typo'd branch: the error alone, no "reading main's" notices before it.
    const typo = assertFailed(await ana.run(['get-results-from', 'qcc']));
    expect(typo.stderr).toMatch(/No layer has a space for branch "qcc"/);
    expect(typo.stdout + typo.stderr).not.toMatch(/reading main's/);
    // Input layers always show main's history: pushed inputs must not hide the typo.
    ana.write('data/external/plates.csv', 'plate\n');
    assertOk(await ana.run(['put-inputs']));
    const logTypo = assertFailed(await ana.run(['log', 'qcc']));
    expect(logTypo.stderr).toMatch(/No layer has a space for branch "qcc"/);
    // A promote is logged with what it wrote and where it came from.
    assertOk(await ana.run(['promote', 'qc']));
    ana.git('switch', '-q', 'main');
    const log = assertOk(await ana.run(['log', '--layer', 'processed']));
    expect(log.stdout).toMatch(/promote from qc: 4 written, 0 deleted/);
    // A conflict shows Hub commit ids as the log does (8 characters).
    ana.git('switch', '-q', 'qc');
    const ben = workingCopy(remote, { branch: 'qc', user: 'ben' });
    assertOk(await ben.run(['get-results']));
    ben.write('data/processed/b.csv', 'b\n');
    assertOk(await ben.run(['put-results']));
    ana.write('data/processed/c.csv', 'c\n');
    const conflict = assertFailed(await ana.run(['put-results']));
    expect(conflict.exitCode).toBe(4);
    expect(conflict.stderr).toMatch(/remote head [0-9a-f]{8}, you last saw [0-9a-f]{8}\)/);
    // A bad hub value is told what a hub value is.
    const yaml = fs.readFileSync(ana.path('strata.yaml'), 'utf8');
    fs.writeFileSync(ana.path('strata.yaml'), yaml.replace(/hub: \S+/, 'hub: https://huggingface.co/datasets/lab/x'));
    const bad = assertFailed(await ana.run(['config']));
    expect(bad.stderr).toMatch(/hub: must be a Hub dataset URL, hf:\/\/datasets\/ORG\/NAME/);
    expect(bad.stderr).not.toMatch(/hub: .*s3:\/\/, file:\/\//);
  });
});

describe("back from a teammate's branch", () => {
  it('a folder holding another branch\'s files is named as such, not as a mistyped remote; --force empties it', async () => {
    const remote = fileRemote();
    const ana = workingCopy(remote, { branch: 'plate-qc', user: 'ana' });
    ana.write('data/processed/plate-qc/ok.csv', 'ok\n');
    ana.write('data/processed/plate-qc/fig.txt', 'fig\n');
    assertOk(await ana.run(['put-results']));
    const ben = workingCopy(remote, { user: 'ben' });
    assertOk(await ben.run(['get-results-from', 'plate-qc']));
    const status = assertOk(await ben.run(['status', '--layer', 'processed']));
    expect(status.stdout).toMatch(/the folder holds the files of file:\/\/\S+ branch plate-qc/);
    const r = assertFailed(await ben.run(['get-results']));
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/data\/processed\/ holds the files of file:\/\/\S+ branch plate-qc \(pulled with get-results-from\), and file:\/\/\S+\/processed\/ holds none yet/);
    expect(r.stderr).not.toMatch(/mistyped remote/);
    const dry = assertFailed(await ben.run(['get-results', '--dry-run']), 'the dry run shows the refusal too');
    expect(dry.exitCode).toBe(3);
    assertOk(await ben.run(['get-results', '--force']));
    expect(ben.processed()).toEqual({});
  });
});

describe('said at the moment it matters', () => {
  it('--keep over a teammate\'s change warns that the next push replaces theirs; a blank remote is noted', async () => {
    const remote = fileRemote();
    const fresh = workingCopy(remote, { user: 'new' });
    const blank = assertOk(await fresh.run(['get-results']));
    expect(blank.stderr).toMatch(/no files and no Strata record yet \(a new project, or a mistyped remote\?/);

    const a = workingCopy(remote, { branch: 'qc', user: 'ana' });
    a.write('data/processed/ok2.csv', 'v1\n');
    a.write('data/processed/other.csv', 'o\n');
    assertOk(await a.run(['put-results']));
    const b = workingCopy(remote, { branch: 'qc', user: 'ben' });
    assertOk(await b.run(['get-results']));
    a.write('data/processed/ok2.csv', 'ana v2\n');
    assertOk(await a.run(['put-results']));
    b.write('data/processed/ok2.csv', 'ben v2, longer\n');
    const refused = assertFailed(await b.run(['get-results']));
    expect(refused.stderr).toMatch(/ok2\.csv/);
    const kept = assertOk(await b.run(['get-results', '--keep']));
    expect(kept.stdout).toMatch(/kept your unshared processed\/ok2\.csv/);
    expect(kept.stderr).toMatch(/processed\/ok2\.csv was also changed on the remote since your last sync \(someone else's edit\): your next push replaces their version/);
  });
});

describe('status says what the real get and put would say', () => {
  it('the same refusal lines: delete threshold, empty folder, unshared work', async () => {
    const remote = fileRemote();
    const a = workingCopy(remote, { branch: 'qc', user: 'ana' });
    for (let i = 0; i < 4; i++) a.write(`data/processed/f${i}.csv`, `f${i}\n`);
    assertOk(await a.run(['put-results']));
    const firstLine = (r: { stderr: string }) => r.stderr.trim().split('\n')[0]!.replace(/^put-results: processed: |^get-results: processed: /, '');
    for (const [what, change] of [
      ['too many deletes', () => ['f0', 'f1', 'f2'].forEach((f) => a.remove(`data/processed/${f}.csv`))],
      ['an empty folder', () => a.remove('data/processed/f3.csv')],
    ] as const) {
      change();
      const status = assertOk(await a.run(['status', '--layer', 'processed']), what);
      const push = assertFailed(await a.run(['put-results']), what);
      expect(push.exitCode).toBe(3);
      expect(status.stdout, what).toContain(`put would be refused: ${firstLine(push)}`);
    }
    a.write('data/processed/mine.csv', 'mine\n');
    const status = assertOk(await a.run(['status', '--layer', 'processed']));
    const pull = assertFailed(await a.run(['get-results']));
    expect(status.stdout).toContain(`get would be refused: ${firstLine(pull)}`);
  });
});
