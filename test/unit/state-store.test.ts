// The state record's store (scripts/lib/state/store.ts): a real SQLite file in a temp folder.
// An older Strata's JSON record is carried over whole; a save is all or nothing, even when the
// process is killed in the middle of it; old revisions and forgotten spaces leave the file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { decide, liveKey, type PruneRules, type SpaceInfo } from '../../scripts/lib/state/prune.js';
import { loadState, openStore, readSnapshot, stateDir } from '../../scripts/lib/state/store.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function project(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-state-'));
  dirs.push(root);
  return root;
}

const LEGACY = {
  version: 1,
  files: { 'a.csv': { size: 2, mtimeMs: 1700000000000.5, digests: { md5: 'm-a' } } },
  spaces: {
    'file:///r/processed': { head: '7', syncedAt: '2026-11-30T10:00:00.000Z', remote: { 'a.csv': { size: 2, tag: '2:1', digests: { md5: 'm-a' } } } },
    'file:///r/branches/x/processed': { head: '3', syncedAt: '2026-11-29T10:00:00.000Z', remote: { 'b.csv': { size: 4, digests: { md5: 'm-b' } } }, pending: { seq: 4, id: 'p' }, scopeHeads: { run: '2' } },
  },
  basis: 'file:///r/processed',
};

describe('carrying over a JSON record', () => {
  it('imports it whole on first use, then renames it: no re-hash, nothing mistaken for unshared', () => {
    const root = project();
    fs.mkdirSync(stateDir(root), { recursive: true });
    fs.writeFileSync(path.join(stateDir(root), 'processed.json'), JSON.stringify(LEGACY));
    const state = loadState(root, 'processed');
    expect(new Map(state.files('')).get('a.csv'), 'the hash cache').toEqual(LEGACY.files['a.csv']);
    expect(state.folder).toEqual({ basis: 'file:///r/processed' });
    expect(Object.fromEntries(state.rows('file:///r/processed', ''))).toEqual(LEGACY.spaces['file:///r/processed'].remote);
    expect(state.row('file:///r/branches/x/processed', 'b.csv')).toEqual({ size: 4, digests: { md5: 'm-b' } });
    expect(state.space('file:///r/branches/x/processed')).toMatchObject({ head: '3', pending: { seq: 4, id: 'p' }, scopeHeads: { run: '2' } });
    expect(state.shared('a.csv')).toEqual([{ md5: 'm-a' }]);
    expect(fs.existsSync(path.join(stateDir(root), 'processed.json'))).toBe(false);
    expect(fs.existsSync(path.join(stateDir(root), 'processed.json.imported'))).toBe(true);
    // The snapshot equals what the JSON said.
    const snap = readSnapshot(root, 'processed')!;
    expect(snap.files).toEqual(LEGACY.files);
    expect(snap.spaces['file:///r/branches/x/processed']!.remote).toEqual(LEGACY.spaces['file:///r/branches/x/processed'].remote);
  });

  it('an unreadable JSON record starts a new one, with a warning naming the file', () => {
    const root = project();
    fs.mkdirSync(stateDir(root), { recursive: true });
    const file = path.join(stateDir(root), 'processed.json');
    fs.writeFileSync(file, '{"version":1,"files":{');
    const warnings: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((m: string) => (warnings.push(String(m)), true)) as typeof process.stderr.write;
    try {
      expect(loadState(root, 'processed').space('file:///r/processed')).toBeUndefined();
    } finally {
      process.stderr.write = write;
    }
    expect(warnings.join('')).toContain(file);
  });

  it('a record written by a newer Strata is refused with what to do', () => {
    const root = project();
    openStore(root);
    const db = new Database(path.join(stateDir(root), 'state.db'));
    db.pragma('user_version = 99');
    db.close();
    // A replaced file is noticed by its inode; here the same file changed, so drop the cached connection.
    fs.copyFileSync(path.join(stateDir(root), 'state.db'), path.join(stateDir(root), 'copy.db'));
    fs.renameSync(path.join(stateDir(root), 'copy.db'), path.join(stateDir(root), 'state.db'));
    expect(() => openStore(root)).toThrow(/written by a newer Strata/);
  });

  it('a file that is not a database is refused by name, with what to do', () => {
    const root = project();
    fs.mkdirSync(stateDir(root), { recursive: true });
    fs.writeFileSync(path.join(stateDir(root), 'state.db'), 'this is not a database, it is long enough to have a header '.repeat(20));
    let error: (Error & { hint?: string }) | undefined;
    try {
      openStore(root);
    } catch (e) {
      error = e as Error & { hint?: string };
    }
    expect(error?.message).toContain(path.join(stateDir(root), 'state.db'));
    expect(error?.hint).toMatch(/Move it aside/);
  });
});

describe('saving', () => {
  it('a save killed in the middle leaves the record as it was: all rows or none', async () => {
    const root = project();
    loadState(root, 'processed').save({ space: { name: 's', meta: { head: '1', syncedAt: 'then' }, remote: { put: [['first', { size: 1, digests: { md5: 'x' } }]], drop: [] } } });
    // A child process saves 400,000 rows in one transaction; it is killed while writing.
    const script = `
      const { loadState } = await import(${JSON.stringify(path.join(ROOT, 'dist/scripts/lib/state/store.js'))});
      const put = Array.from({ length: 400000 }, (_, i) => ['k' + i, { size: i, digests: { md5: 'd' + i } }]);
      process.stdout.write('saving\\n');
      loadState(${JSON.stringify(root)}, 'processed').save({ space: { name: 's', meta: { head: '2', syncedAt: 'now' }, remote: { put, drop: ['first'] } } });
      process.stdout.write('saved\\n');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve) => child.stdout.on('data', (d) => ((out += d), out.includes('saving') && resolve())));
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(out, 'killed before the save finished').not.toContain('saved');
    const snap = readSnapshot(root, 'processed')!;
    expect(openStore(root).db.pragma('quick_check', { simple: true })).toBe('ok');
    expect(snap.spaces.s!.head).toBe('1');
    expect(Object.keys(snap.spaces.s!.remote)).toEqual(['first']);
  });

  it("a sample of a space's keys gives the i-th key in scope, asked in any order", () => {
    const root = project();
    const keys = Array.from({ length: 500 }, (_, i) => `${i % 2 ? 'run-1' : 'run-10'}/f${String(i).padStart(3, '0')}.csv`).concat(['run-1.csv', 'z.csv']);
    loadState(root, 'processed').save({ space: { name: 's', meta: { head: '1', syncedAt: 'then' }, remote: { put: keys.map((k) => [k, { size: 1, digests: {} }]), drop: [] } } });
    const state = loadState(root, 'processed');
    for (const scope of ['', 'run-1']) {
      const want = keys.filter((k) => !scope || k.startsWith(`${scope}/`)).sort();
      const sample = state.sample('s', scope);
      expect(sample.count).toBe(want.length);
      // Forwards (the way split keys are asked, each counted on from the one before), then back, then past the end.
      for (const i of [0, 1, 7, 100, 101, 249, 3, 0, want.length - 1]) expect(sample.keyAt(i), `${scope} #${i}`).toBe(want[i]);
      expect(sample.keyAt(want.length)).toBeUndefined();
    }
  });

  it('forgetting a space removes its rows; other spaces and the hash cache stay', () => {
    const root = project();
    const state = loadState(root, 'processed');
    for (const name of ['a', 'b']) state.save({ space: { name, meta: { head: name, syncedAt: 'then' }, remote: { put: [[`${name}.csv`, { size: 1, digests: { md5: name } }]], drop: [] } } });
    state.save({ files: new Map([['a.csv', { size: 1, mtimeMs: 5, digests: { md5: 'a' } }]]) });
    openStore(root).forget([{ layer: 'processed', name: 'a' }]);
    const count = openStore(root).db.prepare('SELECT count(*) FROM remote').pluck().get();
    expect(count).toBe(1);
    expect(Object.keys(readSnapshot(root, 'processed')!.spaces)).toEqual(['b']);
    expect(new Map(loadState(root, 'processed').files('')).has('a.csv')).toBe(true);
  });

  it('a past revision not read for 30 days is forgotten when the layer is next opened, unless the folder holds it', () => {
    const root = project();
    const state = loadState(root, 'processed');
    for (const name of ['hf://d@v1/processed', 'hf://d@v2/processed', 'hf://d@v3/processed']) {
      state.save({ space: { name, revision: true, meta: { head: 'c', syncedAt: 'then' }, remote: { put: [['k', { size: 1, digests: {} }]], drop: [] } } });
      const usedAt = new Date(Date.now() - (name.includes('v3') ? 5 : 40) * 86_400_000).toISOString();
      openStore(root).db.prepare('UPDATE space SET used_at = ? WHERE name = ?').run(usedAt, name);
    }
    state.save({ folder: { basis: 'hf://d@v2/processed' } });
    expect(Object.keys(readSnapshot(root, 'processed')!.spaces)).toHaveLength(3);
    loadState(root, 'processed');
    expect(Object.keys(readSnapshot(root, 'processed')!.spaces).sort()).toEqual(['hf://d@v2/processed', 'hf://d@v3/processed']);
  });
});

describe('prune rules', () => {
  const DAY = 86_400_000;
  const now = new Date('2026-12-01T00:00:00Z');
  const s = (name: string, extra: Partial<SpaceInfo> = {}): SpaceInfo => ({ layer: 'processed', name, usedAt: now.toISOString(), revision: false, pending: false, ...extra });
  const rules = (extra: Partial<PruneRules> = {}): PruneRules => ({ now, revisionDays: 30, folders: new Map([['processed', { basis: 'held' }]]), live: new Set([liveKey('processed', 'live')]), ...extra });
  it.each([
    { name: 'a live branch is kept', space: s('live'), rules: rules(), forget: false },
    { name: 'a deleted branch is forgotten', space: s('gone'), rules: rules(), forget: true },
    { name: 'without a list of live branches only age counts', space: s('gone'), rules: rules({ live: undefined }), forget: false },
    { name: 'the space the folder holds is kept, even when asked for', space: s('held'), rules: rules({ named: new Set(['held']) }), forget: false },
    { name: 'an unfinished push is kept', space: s('gone', { pending: true }), rules: rules(), forget: false },
    { name: 'a live branch asked for by name is forgotten', space: s('live'), rules: rules({ named: new Set(['live']) }), forget: true },
    { name: 'a revision read 31 days ago is forgotten', space: s('r', { revision: true, usedAt: new Date(now.getTime() - 31 * DAY).toISOString() }), rules: rules(), forget: true },
    { name: 'a revision read 3 days ago is kept', space: s('r', { revision: true, usedAt: new Date(now.getTime() - 3 * DAY).toISOString() }), rules: rules(), forget: false },
    { name: '--older-than 0 forgets every revision not held', space: s('r', { revision: true }), rules: rules({ revisionDays: 0 }), forget: true },
  ])('$name', ({ space, rules, forget }) => {
    expect(decide([space], rules)[0]!.forget).toBe(forget);
  });
});
