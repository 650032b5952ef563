// The state record through the real recipes: an older Strata's JSON record is carried over on
// first use (nothing re-hashed, nothing mistaken for unshared work), and spaces that are no
// longer needed are forgotten — by state-clean (deleted branches, or named ones) and by
// branch-clean.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileRemote } from '../support/remote.js';
import { assertFailed, assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

/** Turn a working copy's record back into the JSON files an older Strata kept. */
function asLegacyJson(wc: WorkingCopy, layers: string[]) {
  const records = layers.map((l) => [l, wc.state(l)] as const);
  fs.rmSync(wc.path('.strata/state'), { recursive: true, force: true });
  fs.mkdirSync(wc.path('.strata/state'), { recursive: true });
  for (const [layer, record] of records) if (record) fs.writeFileSync(wc.path(`.strata/state/${layer}.json`), JSON.stringify({ version: 1, ...record }));
}

/** The branches whose spaces the record keeps (a space id ends in /branches/<branch>/processed, or /processed for main). */
const spaceNames = (wc: WorkingCopy) => Object.keys(wc.state()?.spaces ?? {}).map((id) => /\/branches\/(.+)\/processed$/.exec(id)?.[1] ?? 'main').sort();

describe('carrying over a JSON state record', () => {
  it('keeps the hash cache (no re-hash) and what was shared (a teammate\'s push is no unshared work)', async () => {
    const remote = fileRemote();
    const ana = workingCopy(remote, { user: 'ana' });
    const ben = workingCopy(remote, { user: 'ben' });
    ana.write('data/processed/a.csv', 'aaaa\n');
    ana.write('data/processed/b.csv', 'bbbb\n');
    // A whole-second mtime, so that the test can give it back exactly after changing the bytes.
    const a = ana.path('data/processed/a.csv');
    fs.utimesSync(a, 1_700_000_000, 1_700_000_000);
    assertOk(await ana.just('put-results'));
    assertOk(await ben.just('get-results'));
    asLegacyJson(ana, ['processed']);

    // Same size and mtime, other bytes: only a cached hash can still call it unchanged.
    fs.writeFileSync(a, 'zzzz\n');
    fs.utimesSync(a, 1_700_000_000, 1_700_000_000);
    ben.write('data/processed/b.csv', 'BBBB\n');
    assertOk(await ben.just('put-results'));

    const pulled = assertOk(await ana.just('get-results'), 'the teammate\'s change is taken, not refused as unshared work');
    expect(pulled.stderr + pulled.stdout).not.toMatch(/unshared/);
    expect(ana.texts('data/processed')['b.csv']).toBe('BBBB\n');
    const status = assertOk(await ana.just('status'));
    const processed = status.stdout.slice(status.stdout.indexOf('processed  ('));
    expect(processed, 'a.csv was not re-hashed: its cached hash says it is the shared content').toMatch(/put would: up 0 \(0 B\), deleted 0, unchanged 2/);
    expect(fs.existsSync(ana.path('.strata/state/processed.json.imported')), 'the JSON is kept, renamed').toBe(true);
    expect(fs.existsSync(ana.path('.strata/state/processed.json'))).toBe(false);
  });
});

describe('forgetting spaces', () => {
  it('state-clean forgets the spaces of deleted branches (--dry-run first), and named ones', async () => {
    const remote = fileRemote();
    const ana = workingCopy(remote, { user: 'ana' });
    ana.write('data/processed/a.csv', 'a\n');
    assertOk(await ana.just('put-results', '--role', 'maintainer'));
    for (const b of ['gone', 'kept']) {
      ana.git('switch', '-q', '-c', b);
      ana.write(`data/processed/${b}.csv`, `${b}\n`);
      assertOk(await ana.just('put-results'));
      ana.git('switch', '-q', 'main');
      ana.remove(`data/processed/${b}.csv`);
    }
    assertOk(await ana.just('get-results'));
    ana.git('branch', '-q', '-D', 'gone');
    expect(spaceNames(ana)).toEqual(['gone', 'kept', 'main']);

    const dry = assertOk(await ana.just('state-clean', '--dry-run'));
    expect(dry.stdout).toMatch(/would forget processed: \S+\/branches\/gone\/processed \(2 files\)/);
    expect(dry.stdout).not.toContain('branches/kept');
    expect(spaceNames(ana), 'a dry run forgets nothing').toEqual(['gone', 'kept', 'main']);

    const done = assertOk(await ana.just('state-clean'));
    expect(done.stdout).toMatch(/Forgot 1 space/);
    expect(spaceNames(ana)).toEqual(['kept', 'main']);

    assertOk(await ana.just('state-clean', 'kept'));
    expect(spaceNames(ana)).toEqual(['main']);
    const refused = assertFailed(await ana.just('state-clean', 'main'));
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/never forgets main's spaces/);
  });

  it('branch-clean forgets the removed branch\'s spaces in this working copy too', async () => {
    const remote = fileRemote();
    const ana = workingCopy(remote, { user: 'ana', role: 'maintainer' });
    ana.git('switch', '-q', '-c', 'x');
    ana.write('data/processed/x.csv', 'x\n');
    assertOk(await ana.just('put-results'));
    ana.git('switch', '-q', 'main');
    ana.remove('data/processed/x.csv');
    assertOk(await ana.just('get-results'));
    expect(spaceNames(ana)).toEqual(['main', 'x']);
    assertOk(await ana.just('branch-clean', 'x', '--yes'));
    expect(spaceNames(ana)).toEqual(['main']);
  });
});

describe('a record only grows with what is synced', () => {
  it('the file holds the spaces visited, and forgetting them gives the space back', async () => {
    const remote = fileRemote();
    const ana = workingCopy(remote, { user: 'ana' });
    for (let i = 0; i < 200; i++) ana.write(`data/processed/f${i}.csv`, `${i}\n`);
    assertOk(await ana.just('put-results', '--role', 'maintainer'));
    const rows = () => Object.values(ana.state()!.spaces).reduce((n, s) => n + Object.keys(s.remote).length, 0);
    expect(rows()).toBe(200);
    ana.git('switch', '-q', '-c', 'b1');
    assertOk(await ana.just('put-results'));
    expect(rows(), 'a second space keeps its own rows').toBe(400);
    ana.git('switch', '-q', 'main');
    ana.git('branch', '-q', '-D', 'b1');
    assertOk(await ana.just('state-clean'));
    expect(rows(), 'the folder still holds b1\'s files: its space is kept').toBe(400);
    assertOk(await ana.just('get-results'));
    assertOk(await ana.just('state-clean'));
    expect(rows()).toBe(200);
    expect(fs.statSync(path.join(ana.path('.strata/state'), 'state.db')).size).toBeGreaterThan(0);
  });
});
