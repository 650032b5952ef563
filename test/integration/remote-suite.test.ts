// One suite every remote passes: a real Ceph RGW (started by the globalSetup), a plain
// folder and the Hub emulator. It drives the library the recipes use (prepare → pull/push)
// in-process, in working copies whose configuration reads only what the test gives it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pMap from 'p-map';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ConflictError, StrataError } from '../../scripts/lib/errors.js';
import { compareKeys, type Entry } from '../../scripts/lib/listing/entry.js';
import { prepare, type Prepared } from '../../scripts/lib/prepare.js';
import { pull } from '../../scripts/lib/sync.js';
import { openBackend } from '../../scripts/lib/remotes/index.js';
import type { TransferEvents } from '../../scripts/lib/remotes/types.js';
import { layerByName } from '../../scripts/lib/config/layers.js';
import { spaceFor } from '../../scripts/lib/space.js';
import { S3Store } from '../../scripts/lib/remotes/s3.js';
import { collect } from '../../scripts/lib/remotes/prefetch.js';
import { casReconstruction, casXorbRead, hubError, s3Error, startFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import { fileRemote, hubRemote, s3Remote, type BucketRemote, type Remote } from '../support/remote.js';
import { removeTemps, tempDir } from '../support/scratch.js';
import { workingCopy } from '../support/working-copy.js';

const quiet: TransferEvents = { start() {}, done() {}, failed() {}, bytes() {}, info() {} };
afterEach(removeTemps);

/** processed/ (the layer these tests sync) lands on the remote under test. */
const kinds: { name: Remote['kind']; remote: () => Promise<Remote> }[] = [
  { name: 'file', remote: async () => fileRemote() },
  { name: 's3', remote: () => s3Remote(inject('s3')) },
  // Inputs stay on a folder; processed/ is on the Hub emulator.
  { name: 'hf', remote: async () => hubRemote(inject('hub')) },
];

// A plan lists its changes and counts the files it leaves as they are: both, as kinds.
const kindsOf = (p: Prepared) => [...p.plan.items.map((i) => i.kind), ...Array<string>(p.plan.same).fill('skip')].sort().join(',');

describe.each(kinds)('remote: $name', (kind) => {
  it('round-trips every kind of file, and a second sync does nothing', async () => {
    const remote = await kind.remote();
    const a = workingCopy(remote);
    const big = crypto.randomBytes(12 * 1024 * 1024 + 7);
    a.write('data/processed/run 1/résumé+x.csv', 'a,b\n1,2\n');
    a.write('data/processed/run 1/empty.csv', '');
    a.write('data/processed/big/matrix.parquet', big);
    a.write('data/processed/.DS_Store', 'junk');
    const first = await a.pushLayer();
    expect(kindsOf(first)).toBe('upload,upload,upload');

    const b = workingCopy(remote);
    const pulled = await b.pullLayer();
    expect(kindsOf(pulled)).toBe('download,download,download');
    const wantTree = a.files('data/processed');
    delete wantTree['.DS_Store'];
    expect(b.files('data/processed')).toEqual(wantTree);

    // Nothing to do: both directions plan only skips, and nothing is hashed again.
    const again = await b.pullLayer();
    expect(kindsOf(again)).toBe('skip,skip,skip');
    const againPush = await a.pushLayer();
    expect(kindsOf(againPush)).toBe('skip,skip,skip');
  });

  it('pulls what another tool wrote beside what Strata pushed', async () => {
    const remote = await kind.remote();
    const a = workingCopy(remote);
    a.write('data/processed/run/a.csv', 'from strata\n');
    await a.pushLayer();
    expect(await remote.layer()).toEqual(a.processed());
    await remote.put('run/other-tool.csv', 'from another tool\n');
    expect((await remote.get('run/other-tool.csv'))?.toString()).toBe('from another tool\n');
    const b = workingCopy(remote);
    expect(kindsOf(await b.pullLayer())).toBe('download,download');
    expect(b.texts('data/processed')).toEqual({ 'run/a.csv': 'from strata\n', 'run/other-tool.csv': 'from another tool\n' });
  });

  it('exact-syncs deletions both ways, recycling on pull', async () => {
    const remote = await kind.remote();
    const a = workingCopy(remote);
    for (const n of ['1', '2', '3', '4']) a.write(`data/processed/f${n}.csv`, n);
    await a.pushLayer();
    const b = workingCopy(remote);
    await b.pullLayer();
    a.remove('data/processed/f1.csv');
    a.write('data/processed/f2.csv', 'changed');
    const p = await a.pushLayer();
    expect(p.plan.items.filter((i) => i.kind !== 'skip').map((i) => `${i.kind} ${i.key}`)).toEqual(['delete f1.csv', 'upload f2.csv']);
    await b.pullLayer();
    expect(b.keys('data/processed')).toEqual(['f2.csv', 'f3.csv', 'f4.csv']);
    expect(b.read('data/processed/f2.csv')?.toString()).toBe('changed');
    const recycled = b.files('data/_recycle');
    expect(Object.keys(recycled).map((k) => k.split('/').slice(1).join('/')).sort()).toEqual(['processed/f1.csv', 'processed/f2.csv']);
  });

  it('lets exactly one of two pushers from the same head win', async () => {
    const remote = await kind.remote();
    const a = workingCopy(remote);
    a.write('data/processed/base.csv', 'base');
    await a.pushLayer();
    const b = workingCopy(remote);
    await b.pullLayer();
    a.write('data/processed/a.csv', 'from a');
    b.write('data/processed/b.csv', 'from b');
    const results = await Promise.allSettled([a.pushLayer(), b.pushLayer()]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toBeInstanceOf(ConflictError);
    // The remote holds exactly the winner's files.
    const c = workingCopy(remote);
    await c.pullLayer();
    const files = c.keys('data/processed');
    expect([['a.csv', 'base.csv'], ['b.csv', 'base.csv']]).toContainEqual(files);
    // The loser is told again on a plain retry, and succeeds after pulling (with --force for its unshared file).
    const loser = results[0].status === 'rejected' ? a : b;
    await expect(loser.pushLayer()).rejects.toBeInstanceOf(ConflictError);
  });

  it('starts a branch space from main without uploading equal files again', async () => {
    const remote = await kind.remote();
    const a = workingCopy(remote);
    a.write('data/processed/shared.csv', 'same on both');
    a.write('data/processed/other.csv', 'main only');
    await a.pushLayer();
    a.git('switch', '-q', '-c', 'feature/x');
    a.write('data/processed/new.csv', 'branch only');
    a.remove('data/processed/other.csv');
    const p = await a.pushLayer();
    if (kind.name === 'hf') {
      // The Hub branch is created from main, so the plan is made against main's files.
      expect(p.space.branch).toBe('feature/x');
      expect(p.plan.items.map((i) => `${i.kind} ${i.key}`)).toEqual(['upload new.csv', 'delete other.csv']);
      expect(p.plan.same).toBe(1);
    } else {
      expect(p.space.root).toContain('branches/feature/x/processed');
      expect(p.plan.items.map((i) => `${i.kind} ${i.key}`)).toEqual(['upload new.csv', 'copy shared.csv']);
    }
    // Main is untouched; the branch reads back exactly.
    const b = workingCopy(remote);
    await b.pullLayer();
    expect(b.keys('data/processed')).toEqual(['other.csv', 'shared.csv']);
    const c = workingCopy(remote);
    await c.pullLayer('processed', { branch: 'feature/x' });
    expect(c.keys('data/processed')).toEqual(['new.csv', 'shared.csv']);
  });

  it('falls back to main for a branch with no space yet', async () => {
    const remote = await kind.remote();
    const a = workingCopy(remote);
    a.write('data/processed/m.csv', 'main');
    await a.pushLayer();
    const b = workingCopy(remote);
    const p = await b.pullLayer('processed', { branch: 'no-such-branch' });
    expect(p.fellBackFrom?.branch).toBe('no-such-branch');
    expect(p.space.isMain).toBe(true);
    expect(b.read('data/processed/m.csv')).not.toBeNull();
  });

  it('records every push in the journal with the git commit', async () => {
    const remote = await kind.remote();
    const a = workingCopy(remote);
    a.write('data/processed/x.csv', 'x');
    await a.pushLayer();
    a.write('data/processed/y.csv', 'y');
    await a.pushLayer();
    const ctx = await a.open();
    const layer = layerByName(ctx.config, 'processed');
    const space = spaceFor(layer, 'main', 'main');
    const backend = await openBackend(space.remote, ctx.config);
    const log = (await backend.log(space, { limit: 10 })).entries.filter((l) => l.recipe === 'test');
    expect(log).toHaveLength(2);
    if (kind.name !== 'hf') expect(log.map((l) => l.id)).toEqual(['#2', '#1']);
    expect(log[0].gitSha).toBe(a.git('rev-parse', 'HEAD'));
    expect(log[0]).toMatchObject({ status: 'done', uploaded: 1, recipe: 'test', layer: 'processed' });
  });
});

describe.each(kinds)('remote: $name, history pages', (kind) => {
  it('pages the history: --before continues where a page ended, narrowed to a path or not', async () => {
    const remote = await kind.remote();
    const a = workingCopy(remote);
    for (const [i, run] of ['run-a', 'run-b', 'run-a'].entries()) {
      a.write(`data/processed/${run}/${i}.csv`, `${i}`);
      await a.pushLayer();
    }
    const ctx = await a.open();
    const space = spaceFor(layerByName(ctx.config, 'processed'), 'main', 'main');
    const backend = await openBackend(space.remote, ctx.config);
    const ours = (entries: { recipe: string }[]) => entries.filter((e) => e.recipe === 'test');

    const newest = await backend.log(space, { limit: 2 });
    expect(newest.entries).toHaveLength(2);
    expect(newest.older).not.toBeNull();
    const rest = await backend.log(space, { limit: 10, before: newest.older! });
    // Three pushes, each on exactly one page (the Hub's first commit, made with the repo, is no push).
    const ids = [...newest.entries, ...rest.entries].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ours([...newest.entries, ...rest.entries])).toHaveLength(3);
    expect(rest.older).toBeNull();

    // The id as `just log` shows it works too (a short commit id on the Hub).
    const again = await backend.log(space, { limit: 10, before: newest.entries[1]!.id });
    expect(again.entries.map((e) => e.id)).toEqual(rest.entries.map((e) => e.id));

    // Narrowed to run-a/: the newest push that changed it, then the one before.
    const first = await backend.log(space, { limit: 1, path: 'run-a' });
    expect(first.entries).toHaveLength(1);
    const second = await backend.log(space, { limit: 1, path: 'run-a', before: first.older! });
    expect(second.entries).toHaveLength(1);
    expect(second.entries[0]!.id).not.toBe(first.entries[0]!.id);
    expect(ids.indexOf(second.entries[0]!.id)).toBe(2);
    expect(ids.indexOf(first.entries[0]!.id)).toBe(0);

    // An id of the other kind of remote, or a commit id this repo does not have, is refused by name.
    await expect(backend.log(space, { limit: 1, before: kind.name === 'hf' ? '#2' : 'cafe1234' })).rejects.toThrow(/--before/);
    if (kind.name === 'hf') await expect(backend.log(space, { limit: 1, before: 'c'.repeat(40) })).rejects.toThrow(/--before c+ names no commit/);
  });
});

// backend.branches, for `just browse`: the branches with a space for a layer, as the remote
// itself lists them (a teammate's branch this git never fetched included), counted on the wire
// through the fault proxy for S3 and the Hub.
const spaceKinds: { kind: Remote['kind']; open: () => Promise<{ remote: Remote; proxy?: FaultProxy }> }[] = [
  { kind: 'file', open: async () => ({ remote: fileRemote() }) },
  {
    kind: 's3',
    open: async () => {
      const proxy = await startFaultProxy(inject('s3').endpoint);
      return { remote: await s3Remote(inject('s3'), { via: proxy.url }), proxy };
    },
  },
  {
    kind: 'hf',
    open: async () => {
      const proxy = await startFaultProxy(inject('hub').url);
      return { remote: hubRemote(inject('hub'), { via: proxy.url }), proxy };
    },
  },
];

describe.each(spaceKinds)('remote: $kind, branch spaces', (sk) => {
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  it('names the branches with a space for a layer: names with slashes, never main, nor a branch with only another layer', async () => {
    const opened = await sk.open();
    proxy = opened.proxy;
    const a = workingCopy(opened.remote);
    a.write('data/processed/m.csv', 'main');
    await a.pushLayer();
    // interim's data holds a folder named like the processed layer: a walk that entered
    // another layer's space (qc's, or the branch "interim"'s) would take it for a branch space.
    a.write('data/interim/processed/x.csv', 'interim');
    const pushes: [branch: string, layers: string[]][] = [
      ['qc', ['processed', 'interim']],
      ['feature/qc-v2', ['processed']],
      ['ana/x/y', ['processed']],
      ['interim', ['interim']],
    ];
    for (const [branch, layers] of pushes) {
      a.git('switch', '-q', '-c', branch, 'main');
      a.write(`data/processed/${branch}.csv`, branch);
      for (const layer of layers) await a.pushLayer(layer);
    }

    const ctx = await a.open();
    const paths = ctx.config.layers.map((l) => l.path);
    const branchesOf = async (name: string) => {
      const layer = layerByName(ctx.config, name);
      const backend = await openBackend(spaceFor(layer, 'main', 'main').remote, ctx.config);
      return backend.branches(layer, 'main', paths);
    };
    const since = proxy?.log.length ?? 0;
    expect(await branchesOf('processed')).toEqual(['ana/x/y', 'feature/qc-v2', 'qc']);
    const asked = proxy?.log.slice(since) ?? [];
    if (sk.kind === 's3') {
      // One delimiter listing of PREFIX/branches/ and one per branch-name prefix; never one inside a space.
      const base = `${(opened.remote as BucketRemote).prefix}/branches/`;
      const listed = asked.map((r) => new URL(r.path, 'http://proxy').searchParams);
      expect(listed.every((q) => q.get('list-type') === '2' && q.get('delimiter') === '/')).toBe(true);
      expect(listed.map((q) => q.get('prefix')!.slice(base.length)).sort()).toEqual(['', 'ana/', 'ana/x/', 'ana/x/y/', 'feature/', 'feature/qc-v2/', 'interim/', 'qc/']);
    }
    if (sk.kind === 'hf') expect(asked.map((r) => `${r.method} ${r.path.replace(/^.*\/api\/datasets\/[^/]+\/[^/]+/, '')}`)).toEqual(['GET /refs']);
    // interim (on a folder beside the Hub): its own spaces, the one inside qc's branch folder too.
    expect(await branchesOf('interim')).toEqual(['interim', 'qc']);
  });
});

// readRange, for previews (`just browse`): exact bytes of any range, and on the wire only the
// range — counted through the fault proxy for S3 and the Hub (its Xet chunk store included).
const rangeKinds: { name: string; kind: Remote['kind']; open: () => Promise<{ remote: Remote; proxy?: FaultProxy }> }[] = [
  { name: 'file', kind: 'file', open: async () => ({ remote: fileRemote() }) },
  {
    name: 's3',
    kind: 's3',
    open: async () => {
      const proxy = await startFaultProxy(inject('s3').endpoint);
      return { remote: await s3Remote(inject('s3'), { via: proxy.url }), proxy };
    },
  },
  {
    name: 'hf (xet)',
    kind: 'hf',
    open: async () => {
      // The proxy carries the chunk store's address too, so that Xet's ranged reads pass through it.
      const proxy = await startFaultProxy(inject('hub').url, { carryLoopback: true });
      return { remote: hubRemote(inject('hub'), { via: proxy.url, transfer: 'xet' }), proxy };
    },
  },
  {
    name: 'hf (lfs)',
    kind: 'hf',
    open: async () => {
      const proxy = await startFaultProxy(inject('hub').url);
      return { remote: hubRemote(inject('hub'), { via: proxy.url, transfer: 'lfs' }), proxy };
    },
  },
];

describe.each(rangeKinds)('remote: $name, ranged reads', (rk) => {
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  /** Pushes a few-MB binary file and a small text file; the backend, the space and their listed entries. */
  async function pushed() {
    const opened = await rk.open();
    proxy = opened.proxy;
    const a = workingCopy(opened.remote);
    const big = crypto.randomBytes(6 * 1024 * 1024 + 13);
    big[0] = 0; // binary at a glance: the Hub keeps it in LFS or Xet, never in git
    const small = Buffer.from('plate,well,cells\n' + Array.from({ length: 40 }, (_, i) => `p1,w${i},${100 + i}`).join('\n') + '\n');
    a.write('data/processed/run 1/table.parquet', big);
    a.write('data/processed/run 1/rows.csv', small);
    await a.pushLayer();
    const ctx = await a.open();
    const space = spaceFor(layerByName(ctx.config, 'processed'), 'main', 'main');
    const backend = await openBackend(space.remote, ctx.config);
    const listed = new Map((await backend.list(space)).entries.map((e) => [e.key, e]));
    const entry = (key: string) => {
      const e = listed.get(key);
      if (!e) throw new Error(`${key} is not listed`);
      return e;
    };
    return { backend, space, big, small, bigEntry: entry('run 1/table.parquet'), smallEntry: entry('run 1/rows.csv') };
  }

  /** What crossed the proxy since log position `since`: the requests and their response bytes. */
  const wire = (since: number) => {
    const reqs = proxy!.log.slice(since);
    return { reqs, bytes: reqs.reduce((n, r) => n + r.responseBytes, 0) };
  };

  it('reads exactly the bytes of a range (head, middle, tail, past the end, empty), and only those travel', async () => {
    const { backend, space, big, small, bigEntry, smallEntry } = await pushed();
    if (rk.kind === 'hf') {
      // The large file is an LFS (or Xet) file, the small one a regular git file: both are read.
      expect(bigEntry.digests.sha256).toBeDefined();
      expect(smallEntry.digests.gitsha1).toBeDefined();
    }
    const size = big.length;
    const MiB = 1024 * 1024;
    const cases: [string, number, number, Buffer][] = [
      ['head', 0, 4096, big.subarray(0, 4096)],
      ['middle', 3 * MiB - 17, 3 * MiB + 4096, big.subarray(3 * MiB - 17, 3 * MiB + 4096)],
      ['tail (a parquet footer)', size - 8, size, big.subarray(size - 8)],
      ['past the end (clamped)', size - 100, size + 5000, big.subarray(size - 100)],
    ];
    for (const [what, start, end, want] of cases) {
      const since = proxy?.log.length ?? 0;
      const got = await backend.readRange(space, bigEntry, start, end);
      expect(Buffer.from(got).equals(want), `${what}: [${start}, ${end})`).toBe(true);
      expect(got.length, what).toBe(want.length);
      if (!proxy) continue;
      const { reqs, bytes } = wire(since);
      // Only the range (and, in Xet, the whole chunks around it), never the 6 MiB file.
      expect(bytes, `${what}: bytes on the wire`).toBeLessThan(MiB);
      const asked = `bytes=${start}-${Math.min(end, size) - 1}`;
      if (rk.name === 'hf (xet)') {
        // The range is asked of the chunk store's reconstruction, and its chunks are read by range.
        expect(reqs.filter(casReconstruction).map((r) => r.headers.range), what).toEqual([asked]);
        expect(reqs.filter(casXorbRead).length, what).toBeGreaterThan(0);
        expect(reqs.filter(casXorbRead).every((r) => /^bytes=\d+-\d+$/.test(String(r.headers.range))), what).toBe(true);
      } else {
        // One ranged GET (S3), or the resolve and its redirect to the LFS download host (Hub),
        // both with the range, and the content answer exactly the range's bytes.
        const data = reqs.filter((r) => r.method === 'GET' && r.headers.range === asked);
        expect(data.length, what).toBe(rk.kind === 's3' ? 1 : 2);
        expect(data.at(-1)!.responseBytes, what).toBe(want.length);
        if (rk.kind === 'hf') expect(data.at(-1)!.redirectedFrom, what).toContain('/resolve/');
      }
    }

    // Empty ranges are answered without a request.
    const since = proxy?.log.length ?? 0;
    for (const [start, end] of [[10, 10], [20, 10], [size, size + 10], [size + 5, size + 10]]) {
      expect((await backend.readRange(space, bigEntry, start!, end!)).length, `[${start}, ${end})`).toBe(0);
    }
    if (proxy) expect(proxy.log.length).toBe(since);

    // The small file: kept in git on the Hub, read by range all the same.
    expect(Buffer.from(await backend.readRange(space, smallEntry, 0, 17)).toString()).toBe('plate,well,cells\n');
    expect(Buffer.from(await backend.readRange(space, smallEntry, 5, 1_000_000)).equals(small.subarray(5))).toBe(true);
    expect(Buffer.from(await backend.readRange(space, smallEntry, small.length - 9, small.length)).equals(small.subarray(-9))).toBe(true);
  });

  it('reads the range again through a busy answer and a connection cut mid-range; a missing file is named', async () => {
    const { backend, space, big, bigEntry } = await pushed();
    if (proxy) {
      const ranged = (r: ProxiedRequest) =>
        r.method === 'GET' && (rk.name === 'hf (xet)' ? casXorbRead(r) : rk.kind === 's3' ? r.headers.range === 'bytes=1000-400999' : !!r.redirectedFrom?.includes('/resolve/'));
      proxy.faults.push({ match: ranged, action: rk.kind === 's3' ? { type: 'status', ...s3Error(503, 'SlowDown') } : { type: 'status', ...hubError(503) } });
      proxy.faults.push({ match: ranged, action: { type: 'reset-response', afterBytes: 1000 } });
      const since = proxy.log.length;
      expect(Buffer.from(await backend.readRange(space, bigEntry, 1000, 401_000)).equals(big.subarray(1000, 401_000))).toBe(true);
      expect(proxy.log.slice(since).filter((r) => r.fault).map((r) => r.fault)).toEqual(['status', 'reset-response']);
    }
    const gone: Entry = { key: 'run 1/no-such.parquet', size: 1000, digests: {} };
    const err = await backend.readRange(space, gone, 0, 10).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StrataError);
    expect((err as Error).message).toContain('run 1/no-such.parquet');
    expect((err as Error).message).toMatch(/holds no such file/);
  });
});

describe('remote: s3 only', () => {
  it('costs one data listing and the journal head (a pointer and two probes) when there is nothing to do', async () => {
    const s3 = inject('s3');
    // Requests are counted on the wire, whatever client sends them (the SDK or plain requests).
    const proxy = await startFaultProxy(s3.endpoint);
    try {
      const remote = await s3Remote(s3, { via: proxy.url });
      const bucket = remote.bucket;
      const a = workingCopy(remote);
      for (let i = 0; i < 30; i++) a.write(`data/processed/plate-${i % 3}/well-${i}.csv`, `v${i}`);
      await a.pushLayer();
      await a.pullLayer();
      const ctx = await a.open();
      proxy.log.length = 0;
      const p = await prepare(ctx, layerByName(ctx.config, 'processed'), 'pull', { branch: 'main' });
      await pull(ctx, p, { events: quiet });
      expect(p.plan.items).toEqual([]);
      expect(p.plan.same).toBe(30);
      // The two probes go out together, so the order of arrival is not asserted.
      const journal = `/${bucket}/projects/cell-paint/datastore/.strata/journal/main/processed`;
      expect(proxy.log.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}${/[?&]list-type=2/.test(r.path) ? ' (list)' : ''}`).sort()).toEqual(
        [`GET /${bucket} (list)`, `GET ${journal}/head.json`, `HEAD ${journal}/0000000001.json`, `HEAD ${journal}/0000000002.json`].sort(),
      );
    } finally {
      await proxy.stop();
    }
  });

  it('a listing cut into key ranges listed side by side is exactly the plain listing', async () => {
    const remote = await s3Remote(inject('s3'));
    const store = new S3Store(remote.bucket, remote.env, 4);
    const f = path.join(tempDir('strata-src-'), 'f');
    fs.writeFileSync(f, 'x');
    // ASCII, accented, CJK and astral-plane keys: UTF-8 byte order differs from JavaScript's.
    // Characters URL-encoded listings and XML must carry intact: + and space, %, &, <, quotes.
    const keys = ['a.csv', 'b/1.csv', 'b/2.csv', 'b/é.csv', 'b/z.csv', 'c/日本.csv', 'c/\u{1F52C}.csv', 'c/\uFF5E.csv', 'd.csv', 'e/a+b c.csv', 'e/100%25 & <x> "q" \'s\'.csv', 'outside-prefix'];
    for (const k of keys) await store.put(k === 'outside-prefix' ? 'q/x' : `p/${k}`, f, { size: 1, mtimeMs: fs.statSync(f).mtimeMs, meta: {} });
    const plain = await store.list('p');
    expect(plain.map((o) => o.key).sort()).toEqual(keys.filter((k) => k !== 'outside-prefix').sort());
    for (const splits of [['b/2.csv'], ['b/2.csv', 'c/日本.csv'], ['a', 'b/é.csv', 'c/\u{1F52C}.csv'], ['0', 'zz'], ['b/1.csv', 'b/1.csv0', 'c/\uFF5E.csv']]) {
      expect((await store.list('p', splits)).map((o) => o.key), splits.join(' | ')).toEqual(plain.map((o) => o.key));
      // Streamed (planning reads it so): the same keys, in order, as pages arrive from ranges listed ahead.
      expect((await collect(store.listPages('p', splits))).map((o) => o.key), `pages: ${splits.join(' | ')}`).toEqual(plain.map((o) => o.key));
    }
  });

  it('names the folders of a prefix from a delimiter listing, any name intact, past a page of 1,000, plain requests and SDK alike', async () => {
    const remote = await s3Remote(inject('s3'));
    const store = new S3Store(remote.bucket, remote.env, 4);
    // The SDK path is the one used on AWS (no explicit endpoint); here it asks the same server.
    const sdk = new S3Store(remote.bucket, remote.env, 4);
    (sdk as unknown as { http: undefined }).http = undefined;
    // Characters URL-encoded prefixes and XML must carry intact; objects directly in p/ and deeper ones are no folders.
    const names = ['a+b c', '100%25 & <x> "q"', 'é', '日本', '\u{1F52C}', 'feature'];
    const keys = [...names.map((n) => `p/${n}/f.csv`), 'p/feature/qc/deeper/f.csv', 'p/top.csv', 'q/outside/f.csv'];
    await Promise.all(keys.map((k) => store.putText(k, 'x')));
    for (const s of [store, sdk]) {
      expect(await s.folders('p')).toEqual([...names].sort(compareKeys));
      expect(await s.folders('p/feature')).toEqual(['qc']);
      expect(await s.folders('p/no-such')).toEqual([]);
    }
    // More folders than one page holds: the listing pages through its common prefixes.
    const many = Array.from({ length: 1005 }, (_, i) => `b${String(i).padStart(4, '0')}`);
    await pMap(many, (n) => store.putText(`m/${n}/f.csv`, 'x'), { concurrency: 32 });
    for (const s of [store, sdk]) expect(await s.folders('m')).toEqual(many);
  });

  it('refuses hostile keys and never writes outside the layer', async () => {
    const remote = await s3Remote(inject('s3'));
    const a = workingCopy(remote);
    for (const key of ['../escape.csv', 'a\\b.csv', 'ok.csv', 'Case.csv', 'case.csv']) await remote.put(key, 'evil');
    const p = await a.pullLayer();
    expect(p.plan.refused.map((r) => r.key).sort()).toEqual(['../escape.csv', 'Case.csv', 'a\\b.csv', 'case.csv']);
    expect(a.keys('data')).toEqual(['processed/ok.csv']);
    expect(a.read('data/escape.csv')).toBeNull();
  });
});
