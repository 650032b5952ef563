// The planner as tables of tiny listings (rclone's TestMatchListings style): every decision
// behind the safety rules of SPEC §6, with no I/O.
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../scripts/lib/listing/entry.js';
import type { Digests, RemoteRecord } from '../../scripts/lib/state/record.js';
import { refusalText, type Refusal } from '../../scripts/lib/guards/refusal.js';
import { emptyLocalLayer, remoteLimits, remoteMissing, tooManyDeletes, tooManyRecycles, unsharedWork } from '../../scripts/lib/guards/rules.js';
import { HUB_LIMITS } from '../../scripts/lib/remotes/hub-limits.js';

/** The text a refusal shows (reason and details), or null. */
const t = (r: Refusal | null) => (r ? refusalText(r) : null);
import { match } from '../../scripts/lib/plan/match.js';
import { buildPlan, digestsWanted, type Direction } from '../../scripts/lib/plan/plan.js';

// "a:5:x" = key a, size 5, md5 x
function e(spec: string): Entry {
  const [key, size, md5] = spec.split(':');
  return { key, size: Number(size), digests: md5 ? { md5 } : {} };
}
const list = (...specs: string[]) => specs.map(e);

function plan(direction: Direction, local: Entry[], remote: Entry[], shared: Record<string, Digests[]> = {}, seed?: Entry[], synced: Record<string, RemoteRecord> = {}) {
  return buildPlan({ direction, layer: 'processed', space: 's', local, remote, shared: (k) => shared[k] ?? [], seed, synced: (k) => synced[k] });
}
const kinds = (p: ReturnType<typeof plan>) => p.items.map((i) => `${i.kind} ${i.key}${i.unshared ? ' !' : ''}`);

describe('match', () => {
  it.each([
    [[], [], []],
    [['a'], [], ['a,']],
    [[], ['c'], [',c']],
    [['a', 'b'], ['b', 'c'], ['a,', 'b,b', ',c']],
    [['a/b', 'a0'], ['a/b'], ['a/b,a/b', 'a0,']],
  ])('%j × %j', (l, r, want) => {
    const got = match(l.map((k) => e(`${k}:1`)), r.map((k) => e(`${k}:1`))).map((p) => `${p.local?.key ?? ''},${p.remote?.key ?? ''}`);
    expect(got).toEqual(want);
  });
});

describe('push decisions', () => {
  it.each([
    ['new file is uploaded', list('a:1:x'), [], ['upload a']],
    ['same content is skipped', list('a:1:x'), list('a:1:x'), ['skip a']],
    ['changed content is uploaded', list('a:1:x'), list('a:1:y'), ['upload a']],
    ['size change is uploaded without hashing', list('a:2'), list('a:1:y'), ['upload a']],
    ['remote-only file is deleted', [], list('b:1:x'), ['delete b']],
    ['unknown content counts as different', list('a:1'), list('a:1:y'), ['upload a']],
  ])('%s', (_name, local, remote, want) => {
    expect(kinds(plan('push', local, remote))).toEqual(want);
  });

  it('copies files equal to main inside the store for a new branch space', () => {
    const p = plan('push', list('a:1:x', 'b:1:z'), [], {}, list('a:1:x', 'other:1:q'));
    expect(kinds(p)).toEqual(['copy a', 'upload b']);
    expect(p.items[0].from?.key).toBe('a');
  });
});

describe('pull decisions', () => {
  it.each([
    ['new remote file is downloaded', [], list('a:1:x'), {}, ['download a']],
    ['same content is skipped', list('a:1:x'), list('a:1:x'), {}, ['skip a']],
    ['remote change replaces a file synced before', list('a:1:x'), list('a:1:y'), { a: [{ md5: 'x' }] }, ['download a']],
    ['remote change over a local edit is unshared', list('a:1:w'), list('a:1:y'), { a: [{ md5: 'x' }] }, ['download a !']],
    ['first run: a differing local file is unshared', list('a:1:w'), list('a:1:y'), {}, ['download a !']],
    ['a file deleted on the remote is recycled', list('a:1:x'), [], { a: [{ md5: 'x' }] }, ['recycle a']],
    ['a never-synced local file is unshared', list('n:1:q'), [], {}, ['recycle n !']],
    ['content shared on another branch counts as shared', list('a:1:w'), list('a:1:y'), { a: [{ md5: 'x' }, { md5: 'w' }] }, ['download a']],
  ])('%s', (_name, local, remote, shared, want) => {
    expect(kinds(plan('pull', local, remote, shared as Record<string, Digests[]>))).toEqual(want);
  });
});

// What this space held at the last sync ("a:1:x" → size 1, md5 x), for the reasons table.
const rec = (spec: string): RemoteRecord => {
  const [, size, md5] = spec.split(':');
  return { size: Number(size), digests: { md5 } };
};

describe('pull reasons say which side changed since the last sync', () => {
  it.each([
    // [name, local, remote, shared, synced, kind, reason]
    ['remote changed, local as synced', 'a:1:x', 'a:1:y', 'x', 'a:1:x', 'download a', 'changed on remote (local copy recycled)'],
    ['local changed, remote as synced', 'a:1:w', 'a:1:x', 'x', 'a:1:x', 'download a !', 'changed here'],
    ['both changed', 'a:1:w', 'a:1:y', 'x', 'a:1:x', 'download a !', 'changed on both sides'],
    ['never synced here, differs', 'a:1:w', 'a:1:y', '', '', 'download a !', 'differs from the remote, never synced here'],
    ['deleted here, remote as synced', '', 'a:1:x', 'x', 'a:1:x', 'download a !', 'deleted here since the last sync'],
    ['deleted here, changed on remote', '', 'a:1:y', 'x', 'a:1:x', 'download a !', 'deleted here, changed on remote'],
    ['new on remote', '', 'a:1:y', '', '', 'download a', 'new on remote'],
    ['deleted on remote, local as synced', 'a:1:x', '', 'x', 'a:1:x', 'recycle a', 'deleted on remote'],
    ['deleted on remote, changed here', 'a:1:w', '', 'x', 'a:1:x', 'recycle a !', 'changed here, deleted on remote'],
    ['only here', 'a:1:w', '', '', '', 'recycle a !', 'only here, never synced'],
  ])('%s', (_name, local, remote, shared, synced, kind, reason) => {
    const p = plan('pull', local ? list(local) : [], remote ? list(remote) : [], shared ? { a: [{ md5: shared }] } : {}, undefined, synced ? { a: rec(synced) } : {});
    expect(kinds(p)).toEqual([kind]);
    expect(p.items[0]!.reason).toBe(reason);
  });

  it('a deletion here is unshared work: the guard names it as "would be restored"', () => {
    const p = plan('pull', [], list('a:1:x'), { a: [{ md5: 'x' }] }, undefined, { a: rec('a:1:x') });
    expect(t(unsharedWork(p))).toMatch(/1 file was deleted here since the last sync \(unshared work\) and would be restored:\n {4}a/);
  });
});

describe('multipart ETags', () => {
  it('match when any plausible part size matches', () => {
    const local: Entry = { key: 'big', size: 10, digests: { 'etag:5242880': 'aa-2', 'etag:8388608': 'bb-2' } };
    const remote: Entry = { key: 'big', size: 10, digests: { 'etag:5242880': 'aa-2', 'etag:8388608': 'aa-2' } };
    expect(kinds(plan('push', [local], [remote]))).toEqual(['skip big']);
    const other: Entry = { ...remote, digests: { 'etag:5242880': 'cc-2', 'etag:8388608': 'cc-2' } };
    expect(kinds(plan('push', [local], [other]))).toEqual(['upload big']);
  });
});

describe('digestsWanted', () => {
  it('asks for hashes only where sizes match and content is unknown', () => {
    const wanted = digestsWanted({
      direction: 'push',
      layer: 'p',
      space: 's',
      local: list('a:1', 'b:2', 'c:1:x'),
      remote: list('a:1:y', 'b:3:z', 'c:1:x'),
      shared: () => [],
    });
    expect(wanted.map((w) => `${w.entry.key}:${w.names.join('+')}`)).toEqual(['a:md5']);
  });

  it('asks for the shared digests of a pull candidate that differs', () => {
    const wanted = digestsWanted({ direction: 'pull', layer: 'p', space: 's', local: list('a:1'), remote: [], shared: () => [{ sha256: 'q' }] });
    expect(wanted.map((w) => w.names)).toEqual([['sha256']]);
  });
});

describe('guards', () => {
  it('refuses a push from an empty or missing layer that would delete remote files', () => {
    const p = plan('push', [], list('a:1:x', 'b:1:y'));
    expect(t(emptyLocalLayer(p, true, 'data/processed'))).toMatch(/empty.*delete all 2/);
    expect(t(emptyLocalLayer(p, false, 'data/processed'))).toMatch(/does not exist/);
    expect(t(emptyLocalLayer(plan('push', [], []), true, 'data/processed'))).toBeNull();
  });

  it("refuses a push beyond the Hub's limits, naming the folder and the count; warns above the recommended file size", () => {
    const files = (dir: string, count: number) => Array.from({ length: count }, (_, i) => e(`${dir}/f${String(i).padStart(6, '0')}.png:10`));
    const hub = { ...HUB_LIMITS, filesPerRepo: 25, filesPerFolder: 10 };
    // At the limits: nothing to say.
    expect(t(remoteLimits(plan('push', [...files('a', 10), ...files('b', 10)], []), hub, 'data/processed'))).toBeNull();
    // One folder over: named, with its count and the limit, and what to do.
    const crowded = remoteLimits(plan('push', [...files('a', 11), ...files('b', 10)], []), hub, 'data/processed');
    expect(t(crowded)).toMatch(/^data\/processed\/a\/ would hold 11 files; the Hub allows at most 10 in one folder\./);
    expect(crowded!.hint).toMatch(/subfolders.*S3/);
    expect(crowded!.forceable).toBe(false);
    // The repository over, and a folder: both said.
    expect(t(remoteLimits(plan('push', [...files('a', 11), ...files('b', 10), ...files('c', 5)], []), hub, 'data/processed'))).toMatch(/would hold 26 files; the Hub allows at most 25 in a repository[\s\S]*a\/ would hold 11/);
    // Files: above 200 GB refused, above 50 GB pushed with a warning; a pull is never concerned.
    const warnings: string[] = [];
    expect(t(remoteLimits(plan('push', [e('big.h5:60000000000'), e('huge.h5:200000000001')], []), HUB_LIMITS, 'data/processed', (m) => warnings.push(m)))).toMatch(/huge\.h5 is 200 GB; the Hub takes files of at most 200 GB/);
    expect(warnings).toEqual(['data/processed/big.h5 is 60 GB: the Hub recommends files under 50 GB.']);
    expect(t(remoteLimits(plan('pull', [], files('a', 11)), hub, 'data/processed'))).toBeNull();
    expect(t(remoteLimits(plan('push', files('a', 11), []), undefined, 'data/processed'))).toBeNull();
  });

  it('refuses more deletes than the threshold', () => {
    const remote = list('a:1:x', 'b:1:x', 'c:1:x', 'd:1:x');
    expect(t(tooManyDeletes(plan('push', list('a:1:x', 'b:1:x'), remote), 0.5))).toBeNull();
    expect(t(tooManyDeletes(plan('push', list('a:1:x'), remote), 0.5))).toMatch(/delete 3 of 4/);
  });

  it('refuses a pull from a remote with nothing and no record when it would recycle local files', () => {
    const p = plan('pull', list('a:1:x', 'b:1:y'), [], { a: [{ md5: 'x' }], b: [{ md5: 'y' }] });
    expect(t(remoteMissing(p, false, 'file:///srv/shar/processed/', 'data/_recycle'))).toMatch(/file:\/\/\/srv\/shar\/processed\/ holds no files and no Strata record .* recycle all 2 local files/);
    expect(t(remoteMissing(p, true, 'x', 'data/_recycle'))).toBeNull();
    expect(t(remoteMissing(plan('pull', [], []), false, 'x', 'data/_recycle'))).toBeNull();
  });

  it('refuses a pull that recycles more than the threshold of the local files', () => {
    const shared = { a: [{ md5: 'x' }], b: [{ md5: 'x' }], c: [{ md5: 'x' }], d: [{ md5: 'x' }] };
    const local = list('a:1:x', 'b:1:x', 'c:1:x', 'd:1:x');
    expect(t(tooManyRecycles(plan('pull', local, list('a:1:x', 'b:1:x'), shared), 0.5, 'w', 'data/_recycle'))).toBeNull();
    expect(t(tooManyRecycles(plan('pull', local, list('a:1:x'), shared), 0.5, 'w', 'data/_recycle'))).toMatch(/recycle 3 of your 4 local files/);
  });

  it('lists unshared work', () => {
    const p = plan('pull', list('m:1:r', 'n:1:q'), []);
    expect(t(unsharedWork(p))).toMatch(/2 local files are unshared[\s\S]*m[\s\S]*n/);
    expect(t(unsharedWork(plan('pull', [], list('a:1:x'))))).toBeNull();
  });
});

describe('pull --keep', () => {
  it('leaves unshared work as it is and applies the rest', async () => {
    const { keepUnshared } = await import('../../scripts/lib/sync.js');
    const p = { plan: plan('pull', list('mine:1:w', 'old:1:x'), list('mine:1:y', 'new:1:q', 'old:1:z'), { old: [{ md5: 'x' }] }) } as Parameters<typeof keepUnshared>[0];
    keepUnshared(p);
    expect(p.plan.items.map((i) => `${i.kind} ${i.key}${i.kept ? ' kept' : ''}`)).toEqual(['skip mine kept', 'download new', 'download old']);
    expect(t(unsharedWork(p.plan))).toBeNull();
  });

  it('keeps a deletion made here deleted', async () => {
    const { keepUnshared } = await import('../../scripts/lib/sync.js');
    const p = { plan: plan('pull', [], list('gone:1:x'), { gone: [{ md5: 'x' }] }, undefined, { gone: rec('gone:1:x') }) } as Parameters<typeof keepUnshared>[0];
    keepUnshared(p);
    expect(p.plan.items.map((i) => `${i.kind} ${i.key} ${i.reason}`)).toEqual(['skip gone kept deleted (--keep): deleted here since the last sync']);
  });
});
