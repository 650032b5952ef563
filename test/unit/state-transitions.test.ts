// The state record's transitions (scripts/lib/state/transitions.ts) as pure functions, one row
// per case: the record before, what planning learnt and the sync did, and the rows it must
// write. The same cases run through real syncs in test/integration/state-record.test.ts; how
// planning learns its rows is test/unit/march.test.ts.
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../scripts/lib/listing/entry.js';
import type { PlanItem } from '../../scripts/lib/plan/plan.js';
import type { FileRecord, RemoteRecord, SpaceRecord, StateChange } from '../../scripts/lib/state/record.js';
import { afterClaim, afterPull, afterPush, afterUnchangedPush, pushedRow, sameRecord, sameRow, type Before, type Learnt } from '../../scripts/lib/state/transitions.js';

const NOW = '2026-12-01T12:00:00.000Z';
const SPACE = { id: 'file:///r/processed', branch: 'main' };
const md5 = (c: string) => ({ md5: `md5-of-${c}` });
const rec = (c: string, tag?: string): RemoteRecord => ({ size: c.length, ...(tag ? { tag } : {}), digests: md5(c) });
const entry = (key: string, c: string, tag?: string): Entry => ({ key, size: c.length, mtimeMs: 1000, ...(tag ? { tag } : {}), digests: md5(c) });
const space = (head: string | null, extra: Partial<SpaceRecord> = {}): SpaceRecord => ({ head, syncedAt: 'earlier', ...extra });
const nothing: Learnt = { put: [], gone: [] };
const skip = (key: string, c: string, tag?: string): PlanItem => ({ kind: 'skip', key, reason: 'same', bytes: 0, local: entry(key, c), remote: entry(key, c, tag) });
const download = (key: string, c: string, tag?: string): PlanItem => ({ kind: 'download', key, reason: 'new on remote', bytes: c.length, remote: entry(key, c, tag) });
const recycle = (key: string, c: string): PlanItem => ({ kind: 'recycle', key, reason: 'deleted on remote', bytes: c.length, local: entry(key, c) });
const upload = (key: string, c: string): PlanItem => ({ kind: 'upload', key, reason: 'new here', bytes: c.length, local: entry(key, c) });
const remove = (key: string, c: string, tag?: string): PlanItem => ({ kind: 'delete', key, reason: 'not here any more', bytes: 0, remote: entry(key, c, tag) });
const written = (c: string): FileRecord => ({ size: c.length, mtimeMs: 2000, digests: md5(c) });
const noHashes = new Map<string, FileRecord>();

/** What a change writes, as plain data: remote rows put and dropped, the head, the folder. */
function rows(c: StateChange) {
  return {
    put: Object.fromEntries(c.space?.remote.put ?? []),
    drop: [...(c.space?.remote.drop ?? [])].sort(),
    head: c.space?.meta.head,
    scopeHeads: c.space?.meta.scopeHeads,
    pending: c.space?.meta.pending,
    synced: c.space ? c.space.meta.syncedAt === NOW : undefined,
    folder: c.folder,
    files: Object.fromEntries(c.files ?? []),
    staged: c.staged,
  };
}

interface Row {
  name: string;
  before: Before;
  change: () => StateChange;
  expect: Partial<ReturnType<typeof rows>>;
}

// The record before: a.csv and b.csv at head 7 (their rows live in the store, never here).
const quiet: Before = { folder: { basis: SPACE.id }, space: space('7') };

const ROWS: Row[] = [
  {
    name: 'a pull that changed nothing writes no remote row: only the head and the time',
    before: quiet,
    change: () => afterPull(quiet, { space: SPACE, hashed: noHashes, scope: '', head: '7', items: [], learnt: nothing, written: new Map(), recycled: [], failed: false, now: NOW }),
    expect: { put: {}, drop: [], head: '7', synced: true, folder: { basis: SPACE.id }, files: {} },
  },
  {
    name: 'a pull writes what planning learnt of unchanged files (a new tag) and drops keys gone from both sides',
    before: quiet,
    change: () => afterPull(quiet, { space: SPACE, hashed: noHashes, scope: '', head: '8', items: [], learnt: { put: [['a.csv', rec('a', 't9')]], gone: ['old.csv'] }, written: new Map(), recycled: [], failed: false, now: NOW }),
    expect: { put: { 'a.csv': rec('a', 't9') }, drop: ['old.csv'], head: '8' },
  },
  {
    name: 'a pull writes the downloaded key, drops the one gone from the remote, caches the new file',
    before: quiet,
    change: () =>
      afterPull(quiet, { space: SPACE, hashed: noHashes, scope: '', head: '8', items: [download('c.csv', 'c', 't3'), recycle('b.csv', 'b')], learnt: nothing, written: new Map([['c.csv', written('c')]]), recycled: ['b.csv'], failed: false, now: NOW }),
    expect: { put: { 'c.csv': rec('c', 't3') }, drop: ['b.csv'], head: '8', files: { 'c.csv': written('c'), 'b.csv': null } },
  },
  {
    name: 'a failed pull keeps the head and what the last sync knew of keys it did not reach',
    before: quiet,
    change: () => afterPull(quiet, { space: SPACE, hashed: noHashes, scope: '', head: '8', items: [download('c.csv', 'c', 't3'), recycle('b.csv', 'b')], learnt: { put: [], gone: ['old.csv'] }, written: new Map(), recycled: [], failed: true, now: NOW }),
    expect: { put: {}, drop: [], head: '7', synced: false, folder: undefined },
  },
  {
    name: 'pull --keep records only what the remote holds for a file kept as it is',
    before: quiet,
    change: () => afterPull(quiet, { space: SPACE, hashed: noHashes, scope: '', head: '8', items: [{ ...skip('a.csv', 'a', 't9'), local: entry('a.csv', 'mine'), kept: true }], learnt: nothing, written: new Map(), recycled: [], failed: false, now: NOW }),
    expect: { put: { 'a.csv': rec('a', 't9') }, drop: [], head: '8' },
  },
  {
    name: 'a scoped pull sets its run folder head, keeps keys outside it and the folder record',
    before: { folder: {}, space: space('7') },
    change: () => afterPull({ folder: {}, space: space('7') }, { space: SPACE, hashed: noHashes, scope: 'run2', head: '9', items: [], learnt: { put: [], gone: ['run2/y'] }, written: new Map(), recycled: [], failed: false, now: NOW }),
    expect: { put: {}, drop: ['run2/y'], head: '7', scopeHeads: { run2: '9' }, folder: undefined },
  },
  {
    name: 'a pull at a past revision records the revision the folder holds',
    before: { folder: { basis: SPACE.id }, space: undefined },
    change: () =>
      afterPull({ folder: { basis: SPACE.id }, space: undefined }, { space: { ...SPACE, id: 'hf://d@v1/processed', revision: 'v1' }, hashed: noHashes, scope: '', head: 'abc', items: [], learnt: nothing, written: new Map(), recycled: [], failed: false, now: NOW }),
    expect: { head: 'abc', folder: { basis: 'hf://d@v1/processed', revision: { rev: 'v1', commit: 'abc', branch: 'main', pulledAt: NOW } } },
  },
  {
    name: 'hashes taken while planning are cached by the pull',
    before: quiet,
    change: () => afterPull(quiet, { space: SPACE, hashed: new Map([['a.csv', written('a')]]), scope: '', head: '7', items: [], learnt: nothing, written: new Map(), recycled: [], failed: false, now: NOW }),
    expect: { files: { 'a.csv': written('a') } },
  },
  {
    name: 'a push with nothing to do moves the head to the space head, writes no remote row',
    before: quiet,
    change: () => afterUnchangedPush(quiet, { space: SPACE, hashed: noHashes, scope: '', base: '7', head: '7', learnt: nothing, now: NOW }),
    expect: { put: {}, drop: [], head: '7', synced: true, folder: { basis: SPACE.id } },
  },
  {
    name: 'a push with nothing to do still writes what planning learnt',
    before: quiet,
    change: () => afterUnchangedPush(quiet, { space: SPACE, hashed: noHashes, scope: '', base: '7', head: '7', learnt: { put: [['b.csv', rec('b', 't8')]], gone: ['old.csv'] }, now: NOW }),
    expect: { put: { 'b.csv': rec('b', 't8') }, drop: ['old.csv'], head: '7' },
  },
  {
    name: 'a claim writes only the pending mark',
    before: quiet,
    change: () => afterClaim(quiet, SPACE, { seq: 8, id: 'x' }),
    expect: { put: {}, drop: [], head: '7', pending: { seq: 8, id: 'x' }, synced: false, folder: undefined },
  },
  {
    name: "a push leaves the written files' rows staged (with the space's), drops the deleted key, clears the claim",
    before: { folder: {}, space: { ...quiet.space!, pending: { seq: 8, id: 'x' } } },
    change: () =>
      afterPush(
        { folder: {}, space: { ...quiet.space!, pending: { seq: 8, id: 'x' } } },
        { space: SPACE, hashed: noHashes, scope: '', base: '7', items: [upload('c.csv', 'c'), remove('b.csv', 'b', 't2')], learnt: nothing, result: { head: '8', failed: false }, now: NOW },
      ),
    expect: { put: {}, drop: ['b.csv'], head: '8', pending: undefined, folder: { basis: SPACE.id }, files: {}, staged: { remote: true } },
  },
  {
    name: 'a push keeps the remote row of an unchanged pair it was planned with, with what the local side knows',
    before: quiet,
    change: () => afterPush(quiet, { space: SPACE, hashed: noHashes, scope: '', base: '7', items: [skip('s.csv', 's', 'ts'), upload('c.csv', 'c')], learnt: nothing, result: { head: '8', failed: false }, now: NOW }),
    expect: { put: { 's.csv': rec('s', 'ts') }, drop: [], head: '8', staged: { remote: true } },
  },
  {
    name: 'a failed push writes only the hashes it learnt and those of the files it wrote: the claim stays for a re-run',
    before: quiet,
    change: () =>
      afterPush(quiet, { space: SPACE, hashed: new Map([['h.csv', written('h')]]), scope: '', base: '7', items: [upload('c.csv', 'c')], learnt: { put: [['a.csv', rec('a', 't9')]], gone: [] }, result: { head: null, failed: true }, now: NOW }),
    expect: { put: {}, drop: [], head: undefined, files: { 'h.csv': written('h') }, staged: { remote: false } },
  },
  {
    name: "a push that created a Hub branch and failed records the branch as holding main's files",
    before: { folder: {}, space: undefined },
    change: () =>
      afterPush({ folder: {}, space: undefined }, { space: SPACE, hashed: noHashes, scope: '', base: null, items: [upload('c.csv', 'c'), remove('m.csv', 'm', 'tm')], learnt: nothing, result: { head: null, failed: true, created: 'c0ffee' }, now: NOW }),
    expect: { put: { 'm.csv': rec('m', 'tm') }, drop: ['c.csv'], head: 'c0ffee', staged: { remote: false } },
  },
  {
    name: 'a scoped push from a partly synced space advances only its run folder',
    before: { folder: {}, space: space('7') },
    change: () => afterPush({ folder: {}, space: space('7') }, { space: SPACE, hashed: noHashes, scope: 'run2', base: '6', items: [upload('run2/y', 'y')], learnt: nothing, result: { head: '8', failed: false }, now: NOW }),
    expect: { put: {}, drop: [], head: '7', scopeHeads: { run2: '8' }, folder: undefined, staged: { remote: true } },
  },
];

describe('state transitions: the rows each sync writes', () => {
  it.each(ROWS)('$name', (row) => {
    const got = rows(row.change());
    for (const [k, v] of Object.entries(row.expect)) expect(got[k as keyof typeof got], k).toEqual(v);
  });

  it('a transition never changes the record, the plan or what planning learnt', () => {
    const before = { folder: { basis: SPACE.id }, space: space('7', { scopeHeads: { run: '3' } }) };
    const items = [download('c.csv', 'c'), recycle('b.csv', 'b'), upload('d.csv', 'd')];
    const learnt: Learnt = { put: [['a.csv', rec('a', 't9')]], gone: ['old.csv'] };
    const copy = structuredClone({ before, items, learnt });
    afterPull(before, { space: SPACE, hashed: noHashes, scope: '', head: '8', items, learnt, written: new Map([['c.csv', written('c')]]), recycled: ['b.csv'], failed: false, now: NOW });
    afterPush(before, { space: SPACE, hashed: noHashes, scope: 'run', base: '7', items, learnt, result: { head: '8', failed: false }, now: NOW });
    afterUnchangedPush(before, { space: SPACE, hashed: noHashes, scope: '', base: '7', head: '7', learnt, now: NOW });
    expect({ before, items, learnt }).toEqual(copy);
  });
});

describe('sameRow and sameRecord: which rows of unchanged files are written again', () => {
  it.each([
    { name: 'equal records write nothing', before: rec('a', 't'), next: rec('a', 't'), same: true },
    { name: 'a new tag is written', before: rec('a', 't'), next: rec('a', 'u'), same: false },
    { name: 'a digest learnt is written', before: rec('a'), next: { ...rec('a'), digests: { ...md5('a'), sha256: 's' } }, same: false },
    { name: 'a lost tag is written', before: rec('a', 't'), next: rec('a'), same: false },
  ])('$name', ({ before, next, same }) => {
    expect(sameRecord(before, next)).toBe(same);
  });

  it.each([
    { name: 'a written file keeps every digest the local file and the write know, and the new tag', local: { sha256: 's' }, written: { md5: 'm' }, tag: 't3', row: { size: 1, mtimeMs: 5, tag: 't3', digests: { sha256: 's', md5: 'm' } } },
    { name: "the write's digest wins over a stale local one; no tag, none kept", local: { md5: 'old' }, written: { md5: 'm' }, tag: undefined, row: { size: 1, mtimeMs: 5, digests: { md5: 'm' } } },
  ])('pushedRow: $name', ({ local, written, tag, row }) => {
    const entry: Entry = { key: 'a', size: 1, mtimeMs: 5, digests: local };
    const copy = structuredClone(entry);
    expect(pushedRow(entry, written, tag)).toStrictEqual(row);
    expect(entry).toEqual(copy);
  });

  it('an equal pair leaves the remote size and tag and every digest either side knows', () => {
    const local: Entry = { key: 'a', size: 1, mtimeMs: 5, digests: { sha256: 's' } };
    const remote: Entry = { key: 'a', size: 1, tag: 't', digests: { md5: 'm' } };
    expect(sameRow(local, remote)).toEqual({ size: 1, tag: 't', digests: { md5: 'm', sha256: 's' } });
  });
});
