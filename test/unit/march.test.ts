// Planning as a march over sorted streams (scripts/lib/plan/march.ts), with no I/O: it must
// decide exactly what a plan over whole listings decides, learn the record's rows of the
// files left as they are, and hold a batch at a time, never the layer.
import { describe, expect, it } from 'vitest';
import { compareKeys, type DigestName, type Entry } from '../../scripts/lib/listing/entry.js';
import { march, type MarchInput } from '../../scripts/lib/plan/march.js';
import { buildPlan, changes, countKinds, Planner, type Direction } from '../../scripts/lib/plan/plan.js';
import type { FileRecord, RemoteRecord } from '../../scripts/lib/state/record.js';

// A small deterministic generator (mulberry32): the same cases on every run.
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const md5 = (content: string) => `md5-${content}`;

interface World {
  local: Entry[];
  remote: Entry[];
  /** The content each local file really holds (what hashing it finds). */
  disk: Map<string, string>;
  record: [string, RemoteRecord][];
}

/** A random layer: keys on either side or both, contents equal or not, sizes often equal, some digests unknown, a record of an earlier sync. */
function world(random: () => number, n: number): World {
  const keys = new Set<string>();
  while (keys.size < n) keys.add(`${['a', 'b', 'é', 'z'][Math.floor(random() * 4)]}/${Math.floor(random() * n * 3)}.csv`);
  const sorted = [...keys].sort(compareKeys);
  const w: World = { local: [], remote: [], disk: new Map(), record: [] };
  for (const key of sorted) {
    const where = random();
    const content = `c${Math.floor(random() * 4)}`;
    const other = random() < 0.5 ? content : `c${Math.floor(random() * 4)}`;
    if (where < 0.7) {
      w.local.push({ key, size: content.length, mtimeMs: 1, digests: {} });
      w.disk.set(key, content);
    }
    if (where > 0.3) w.remote.push({ key, size: other.length, tag: `t-${other}`, digests: random() < 0.8 ? { md5: md5(other) } : {} });
    if (random() < 0.5) w.record.push([key, { size: other.length, tag: `t-${random() < 0.8 ? other : 'old'}`, digests: { md5: md5(random() < 0.8 ? other : 'c9') } }]);
  }
  return w;
}

const clone = <T>(x: T): T => structuredClone(x);
const hashFrom = (disk: Map<string, string>) => async (wanted: { entry: Entry; names: DigestName[] }[]) => {
  for (const { entry } of wanted) entry.digests.md5 = md5(disk.get(entry.key)!);
};

async function marched(w: World, direction: Direction, extra: Partial<MarchInput> = {}) {
  const records = new Map(w.record);
  const planner = new Planner({ direction, layer: 'processed', space: 's', shared: (k) => (records.get(k) ? [records.get(k)!.digests] : []) });
  const result = await march({
    planner,
    local: clone(w.local),
    remote: clone(w.remote),
    cache: [],
    record: w.record,
    localExists: true,
    synced: (_key, row) => row,
    hashLocal: hashFrom(w.disk),
    ...extra,
  });
  return { plan: planner.plan(), ...result };
}

/** The reference: every local file hashed up front, every pair kept, whole listings in memory. */
function reference(w: World, direction: Direction) {
  const records = new Map(w.record);
  const local = clone(w.local).map((e) => ({ ...e, digests: { md5: md5(w.disk.get(e.key)!) } }));
  // As the march does: a remote file whose tag is the record's has the record's digests too.
  const remote = clone(w.remote).map((e) => {
    const r = records.get(e.key);
    return r && r.tag === e.tag && r.size === e.size ? { ...e, digests: { ...r.digests, ...e.digests } } : e;
  });
  return buildPlan({ direction, layer: 'processed', space: 's', local, remote, shared: (k) => (records.get(k) ? [records.get(k)!.digests] : []), synced: (k) => records.get(k) });
}

const lines = (items: { kind: string; key: string; reason: string; unshared?: boolean }[]) => items.map((i) => `${i.kind} ${i.key} (${i.reason})${i.unshared ? ' !' : ''}`);

describe('march', () => {
  it.each([
    ['pull', 1, 40],
    ['push', 2, 40],
    ['pull', 3, 3000],
    ['push', 4, 3000],
  ] as const)('a %s decides what a plan over whole, fully hashed listings decides (seed %i, %i keys)', async (direction, seed, n) => {
    const w = world(rng(seed), n);
    const got = await marched(w, direction);
    const want = reference(w, direction);
    expect(lines(got.plan.items)).toEqual(lines(changes(want)));
    expect(countKinds(got.plan)).toEqual(countKinds(want));
    expect(got.plan.localFiles).toBe(w.local.length);
    expect(got.plan.remoteFiles).toBe(w.remote.length);
    expect(got.plan.items.length).toBeLessThan(n);
  });

  it.each([
    ['pull', 5, 3000, 1],
    ['push', 6, 3000, 700],
    ['pull', 7, 5000, 1000],
  ] as const)('a %s over a listing that arrives in pages decides the same (seed %i, %i keys, pages of %i)', async (direction, seed, n, size) => {
    const w = world(rng(seed), n);
    const read: number[] = [];
    // Pages arrive later than the march asks (a network listing); the march never reads past what has arrived.
    async function* pages() {
      const remote = clone(w.remote);
      for (let i = 0; i < remote.length; i += size) {
        await new Promise((r) => setImmediate(r));
        read.push(i);
        yield remote.slice(i, i + size);
      }
    }
    const got = await marched(w, direction, { remote: pages() });
    const want = reference(w, direction);
    expect(lines(got.plan.items)).toEqual(lines(changes(want)));
    expect(countKinds(got.plan)).toEqual(countKinds(want));
    expect(got.plan.remoteFiles).toBe(w.remote.length);
    expect(read.length).toBe(Math.ceil(w.remote.length / size));
  });

  it('stops reading pages when the sync stops', async () => {
    let pagesRead = 0;
    async function* pages() {
      for (let i = 0; i < 5000; i++) {
        pagesRead++;
        yield [{ key: `k${String(i).padStart(4, '0')}`, size: 1, tag: 't', digests: {} }];
      }
    }
    const planner = new Planner({ direction: 'pull', layer: 'processed', space: 's', shared: () => [] });
    const failing = march({
      planner,
      local: [],
      remote: pages(),
      cache: [],
      // A key out of order in the record stops the march at its first batch.
      record: [
        ['b', { size: 1, tag: 't', digests: {} }],
        ['a', { size: 1, tag: 't', digests: {} }],
      ],
      localExists: true,
      synced: () => undefined,
      hashLocal: async () => undefined,
    });
    await expect(failing).rejects.toThrow(/not in key order/);
    // What one batch reads ahead (1,024 pairs and the merges' look-ahead), not the listing.
    expect(pagesRead).toBeLessThan(1100);
  });

  it('learns the row of each unchanged file only where it differs from the record, and the keys gone from both sides', async () => {
    const local: Entry[] = [
      { key: 'a', size: 1, mtimeMs: 1, digests: {} },
      { key: 'b', size: 1, mtimeMs: 1, digests: {} },
    ];
    const remote: Entry[] = [
      { key: 'a', size: 1, tag: 't1', digests: { md5: 'm1' } },
      { key: 'b', size: 1, tag: 't2-new', digests: { md5: 'm2' } },
      { key: 'c', size: 1, tag: 't3', digests: { md5: 'm3' } },
    ];
    const record: [string, RemoteRecord][] = [
      ['a', { size: 1, tag: 't1', digests: { md5: 'm1' } }],
      ['b', { size: 1, tag: 't2', digests: { md5: 'm2' } }],
      ['old', { size: 1, tag: 't0', digests: { md5: 'm0' } }],
    ];
    const hashed: string[] = [];
    const planner = new Planner({ direction: 'push', layer: 'processed', space: 's', shared: () => [] });
    const got = await march({
      planner,
      local,
      remote,
      cache: [],
      record,
      localExists: true,
      synced: (_k, row) => row,
      hashLocal: async (wanted) => {
        for (const { entry } of wanted) {
          hashed.push(entry.key);
          entry.digests.md5 = entry.key === 'a' ? 'm1' : 'm2';
        }
      },
    });
    expect(lines(planner.plan().items)).toEqual(['delete c (not here any more)']);
    // a: row unchanged, not written; b: a new tag, written; old: on neither side, dropped.
    expect(got.learnt).toEqual({ put: [['b', { size: 1, tag: 't2-new', digests: { md5: 'm2' } }]], gone: ['old'] });
    expect(got.sinceSync).toEqual({ count: 2, first: ['+ c', '- old'] });
    expect(hashed).toEqual(['a', 'b']);
  });

  it('takes digests from the hash cache where size and mtime are unchanged, and forgets files gone from the folder', async () => {
    const local: Entry[] = [
      { key: 'a', size: 1, mtimeMs: 1, digests: {} },
      { key: 'b', size: 1, mtimeMs: 2, digests: {} },
    ];
    const remote: Entry[] = [
      { key: 'a', size: 1, tag: 't', digests: { md5: 'm' } },
      { key: 'b', size: 1, tag: 't', digests: { md5: 'm' } },
    ];
    const cache: [string, FileRecord][] = [
      ['a', { size: 1, mtimeMs: 1, digests: { md5: 'm' } }],
      ['b', { size: 1, mtimeMs: 1, digests: { md5: 'm' } }],
      ['gone', { size: 1, mtimeMs: 1, digests: { md5: 'x' } }],
    ];
    const hashed: string[] = [];
    const run = (localExists: boolean) =>
      march({
        planner: new Planner({ direction: 'pull', layer: 'processed', space: 's', shared: () => [] }),
        local: clone(local),
        remote,
        cache,
        record: [],
        localExists,
        synced: () => undefined,
        hashLocal: async (wanted) => {
          for (const { entry } of wanted) {
            hashed.push(entry.key);
            entry.digests.md5 = 'm';
          }
        },
      });
    expect((await run(true)).forgotten).toEqual(['gone']);
    // b's mtime changed since it was hashed: hashed again; a is not.
    expect(hashed).toEqual(['b']);
    expect((await run(false)).forgotten).toEqual([]);
  });

  it('hashes a batch at a time, never the whole layer at once', async () => {
    const n = 5000;
    const local: Entry[] = [];
    const remote: Entry[] = [];
    for (let i = 0; i < n; i++) {
      const key = `f${String(i).padStart(5, '0')}`;
      local.push({ key, size: 1, mtimeMs: 1, digests: {} });
      remote.push({ key, size: 1, tag: 't', digests: { md5: 'm' } });
    }
    const batches: number[] = [];
    const planner = new Planner({ direction: 'push', layer: 'processed', space: 's', shared: () => [] });
    await march({
      planner,
      local,
      remote,
      cache: [],
      record: [],
      localExists: true,
      synced: () => undefined,
      hashLocal: async (wanted) => {
        batches.push(wanted.length);
        for (const { entry } of wanted) entry.digests.md5 = 'm';
      },
    });
    expect(batches.reduce((a, b) => a + b, 0)).toBe(n);
    expect(Math.max(...batches)).toBeLessThanOrEqual(1024);
    // Nothing to do: the plan holds no item for the 5,000 equal files, only their count.
    expect(planner.plan().items).toEqual([]);
    expect(planner.plan().same).toBe(n);
  });

  it('stops with an error, before deciding anything, when a stream is out of key order', async () => {
    const planner = new Planner({ direction: 'pull', layer: 'processed', space: 's', shared: () => [] });
    const run = march({
      planner,
      local: [],
      remote: [
        { key: 'b', size: 1, digests: {} },
        { key: 'a', size: 1, digests: {} },
      ],
      cache: [],
      record: [],
      localExists: true,
      synced: () => undefined,
      hashLocal: async () => undefined,
    });
    await expect(run).rejects.toThrow(/not in key order \("b" before "a"\)/);
    expect(planner.plan().items).toEqual([]);
  });
});
