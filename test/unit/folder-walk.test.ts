// The folder walk (scripts/lib/listing/walk.ts) on real temp folders, as the layer folder
// (local.ts) and a folder remote (remotes/file.ts) use it: files come out in key order one
// directory at a time, the key rule refuses twins exactly as a whole-listing screen would,
// and nothing is read before it is asked for.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareKeys } from '../../scripts/lib/listing/entry.js';
import { excludeMatcher } from '../../scripts/lib/listing/exclude.js';
import { listLocal } from '../../scripts/lib/listing/local.js';
import type { Refusal } from '../../scripts/lib/listing/keys.js';
import { FileStore } from '../../scripts/lib/remotes/file.js';
import { removeTemps, tempDir } from '../support/scratch.js';

afterAll(removeTemps);

function folder(files: string[]): string {
  const root = tempDir('local-listing-');
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), f);
  }
  return root;
}

const none = excludeMatcher([]);

describe('listLocal', () => {
  it('yields every file in key order (UTF-8 order), whatever the folders', () => {
    const files = ['a-b', 'a/b', 'a/c/d', 'a0', 'A', 'é/x', 'z/\u{1F52C}', 'z/\uFF5E', 'z.txt', 'plate-1/w-10.csv', 'plate-1/w-9.csv', 'plate-10/w.csv', 'plate-1.csv'];
    const listing = listLocal(folder(files), none);
    const keys = [...listing.entries].map((e) => e.key);
    expect(keys).toEqual([...files].sort(compareKeys));
    expect(listing.refused).toEqual([]);
  });

  it('reads the folder only as it is asked: a file made after the walk started, in a folder not yet reached, is listed', () => {
    const root = folder(['a/1.csv', 'b/1.csv']);
    const it = listLocal(root, none).entries[Symbol.iterator]();
    expect(it.next().value?.key).toBe('a/1.csv');
    fs.writeFileSync(path.join(root, 'b', '2.csv'), 'late');
    expect([...{ [Symbol.iterator]: () => it }].map((e) => e.key)).toEqual(['b/1.csv', 'b/2.csv']);
  });

  it('refuses twins as a whole-listing screen does: case twins by name, Unicode twins as one key', () => {
    const nfc = 'caf\u00e9.csv';
    const nfd = 'cafe\u0301.csv';
    const root = folder(['t/Plate.csv', 't/plate.csv', `u/${nfc}`, `u/${nfd}`, 'D/x.csv', 'd/x.csv', 'd/y.csv', 'ok/tab\there.csv', 'ok/fine.csv']);
    const listing = listLocal(root, none);
    const keys = [...listing.entries].map((e) => e.key);
    // Unicode twins are one key: listed once. Everything else is listed (a pull still sees it).
    expect(keys).toEqual(['D/x.csv', 'd/x.csv', 'd/y.csv', 'ok/fine.csv', 'ok/tab\there.csv', 't/Plate.csv', 't/plate.csv', `u/${nfc}`]);
    const refused = listing.refused.map((r) => `${r.key}: ${r.reason.split(' ')[0]} ${r.reason.split(' ')[1]}`).sort();
    expect(refused).toEqual(['D/x.csv: differs from', 'd/x.csv: differs from', 'ok/tab\there.csv: contains a', 't/Plate.csv: differs from', 't/plate.csv: differs from', `u/${nfc}: has a`, `u/${nfd}: has a`].sort());
  });

  it('skips links and leftover temp files with a reason, leaves out what is excluded, and says when the folder is missing', () => {
    const root = folder(['keep.csv', 'skip.tmp', 'notes/.DS_Store', '.a.csv.x1.strata-tmp']);
    fs.symlinkSync(path.join(root, 'keep.csv'), path.join(root, 'link.csv'));
    const listing = listLocal(root, excludeMatcher(['*.tmp', '**/.DS_Store']));
    expect([...listing.entries].map((e) => e.key)).toEqual(['keep.csv']);
    expect(listing.skipped).toEqual([{ key: 'link.csv', reason: 'symbolic link (not followed)' }]);
    expect(listing.temps.map((t) => path.basename(t))).toEqual(['.a.csv.x1.strata-tmp']);
    const missing = listLocal(path.join(root, 'nope'), none);
    expect(missing.exists).toBe(false);
    expect([...missing.entries]).toEqual([]);
  });

  it('lists only a run folder when scoped, and a missing run folder as empty', () => {
    const root = folder(['run-1/a.csv', 'run-1/b/c.csv', 'run-2/a.csv']);
    expect([...listLocal(root, none, 'run-1').entries].map((e) => e.key)).toEqual(['run-1/a.csv', 'run-1/b/c.csv']);
    const missing = listLocal(root, none, 'run-3');
    expect([...missing.entries]).toEqual([]);
    expect(missing.skipped).toEqual([]);
  });
});

describe('a folder remote listed in order', () => {
  it('gives layer-relative keys with change tags, leaves out the names a pull must refuse, and names them', () => {
    const root = folder(['proj/processed/a.csv', 'proj/processed/run/Plate.csv', 'proj/processed/run/plate.csv', 'proj/processed/run/b.csv', 'proj/processed/ok/tab\there.csv', 'proj/processed/.x.strata-tmp']);
    const refused: Refusal[] = [];
    const entries = [...new FileStore(root).listInOrder('proj/processed', '', refused)];
    expect(entries.map((e) => e.key)).toEqual(['a.csv', 'run/b.csv']);
    expect(entries.every((e) => e.tag && e.size > 0)).toBe(true);
    expect(refused.map((r) => r.key).sort()).toEqual(['ok/tab\there.csv', 'run/Plate.csv', 'run/plate.csv']);
    // Scoped: keys stay relative to the space, not to the run folder.
    expect([...new FileStore(root).listInOrder('proj/processed', 'run', [])].map((e) => e.key)).toEqual(['run/b.csv']);
  });

  it('reads a space never written as empty, and refuses to read an unreadable one as empty', () => {
    const root = folder(['proj/processed/a.csv', 'proj/broken']);
    expect([...new FileStore(root).listInOrder('proj/nothing', '', [])]).toEqual([]);
    // A space that cannot be read as a folder (here a file in its place: ENOTDIR) is an error, never "no files".
    expect(() => [...new FileStore(root).listInOrder('proj/broken', '', [])]).toThrow(/cannot read folder \(ENOTDIR\)/);
  });
});
