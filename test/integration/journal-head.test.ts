// The push journal stays cheap as it grows (scripts/lib/remotes/journal-head.ts): the head
// is found from a pointer checked by two probes, and `just log`'s page reads only its own
// records — the same requests on a journal of a few pushes and of hundreds. Counted on the
// wire for S3 (a proxy in front of the real Ceph RGW) and as file-system calls for folders.
// Every other state a journal can be left in (no pointer yet, a pointer left behind by a kill
// or a slower pusher, a pointer naming a record that is gone) must still give the true head.
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { layerByName } from '../../scripts/lib/config/layers.js';
import { openBackend } from '../../scripts/lib/remotes/index.js';
import { FileStore } from '../../scripts/lib/remotes/file.js';
import { recordName } from '../../scripts/lib/remotes/journal-head.js';
import { Journal } from '../../scripts/lib/remotes/journal.js';
import type { ObjectStore } from '../../scripts/lib/remotes/object-store.js';
import { S3Store } from '../../scripts/lib/remotes/s3.js';
import type { Backend } from '../../scripts/lib/remotes/types.js';
import { spaceFor, type Space } from '../../scripts/lib/space.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { fileRemote, s3Remote, type ObjectRemote } from '../support/remote.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterEach(removeTemps);

const who = { recipe: 'put-results', layer: 'processed', branch: 'main', gitSha: 'a'.repeat(40), dirty: false, user: 'ana', host: 'lab-ws1', tool: 'strata test' };

/** One remote under test: Strata's backend for it (through the proxy on S3), a store that writes around it, and what a lookup cost. */
interface Rig {
  wc: WorkingCopy;
  remote: ObjectRemote;
  space: Space;
  backend: Backend;
  /** The journal as pushes write it, straight to the store (not counted). */
  journal: Journal;
  store: ObjectStore;
  /** Runs `fn` and says what it cost: requests (S3) or file-system calls (folders), and bytes answered (S3). */
  cost<T>(fn: () => Promise<T>): Promise<{ value: T; calls: number; bytes: number; what: string[] }>;
  stop(): Promise<void>;
}

// Every file-system call a folder store could make to read a journal, asynchronous or not.
const FS_CALLS = ['readdir', 'stat', 'lstat', 'readFile', 'access', 'open', 'opendir'] as const;
const FS_SYNC_CALLS = ['readdirSync', 'statSync', 'lstatSync', 'readFileSync', 'accessSync', 'existsSync', 'openSync', 'opendirSync'] as const;

async function rig(kind: 'file' | 's3'): Promise<Rig> {
  let proxy: FaultProxy | undefined;
  let remote: ObjectRemote;
  let store: ObjectStore;
  if (kind === 's3') {
    const s3 = inject('s3');
    proxy = await startFaultProxy(s3.endpoint);
    remote = await s3Remote(s3, { via: proxy.url });
    store = new S3Store(remote.bucket, { ...remote.env, AWS_ENDPOINT_URL_S3: s3.endpoint }, 16);
  } else {
    remote = fileRemote();
    store = new FileStore(new URL(remote.url).pathname);
  }
  const wc = workingCopy(remote);
  const ctx = await wc.open();
  const space = spaceFor(layerByName(ctx.config, 'processed'), 'main', 'main');
  const backend = await openBackend(space.remote, ctx.config);
  const cost = async <T>(fn: () => Promise<T>) => {
    if (proxy) {
      proxy.log.length = 0;
      const value = await fn();
      return { value, calls: proxy.log.length, bytes: proxy.log.reduce((n, r) => n + r.responseBytes, 0), what: proxy.log.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`) };
    }
    const spies = [...FS_CALLS.map((m) => [m, vi.spyOn(fs.promises, m)] as const), ...FS_SYNC_CALLS.map((m) => [m, vi.spyOn(fs, m)] as const)];
    try {
      const value = await fn();
      const what = spies.flatMap(([name, spy]) => spy.mock.calls.map((c: unknown[]) => `${name.replace(/Sync$/, '')} ${path.basename(String(c[0]))}`));
      return { value, calls: what.length, bytes: 0, what };
    } finally {
      for (const [, spy] of spies) spy.mockRestore();
    }
  };
  return { wc, remote, space, backend, journal: new Journal(store), store, cost, stop: async () => proxy?.stop() };
}

/** Writes pushes from..to as pushes do: a claimed record, a done mark (all but `unfinished`), and the pointer when `pointer` says so. */
async function pushes(r: Rig, from: number, to: number, opts: { pointer?: boolean; unfinished?: number } = {}) {
  const limit = pLimit(16);
  await Promise.all(
    Array.from({ length: to - from + 1 }, (_, i) => from + i).map((seq) =>
      limit(async () => {
        const changes = [{ kind: 'upload' as const, key: `run-${seq % 7}/well-${seq}.csv`, reason: 'new', bytes: 10, local: { key: `run-${seq % 7}/well-${seq}.csv`, size: 10, digests: {} } }];
        await r.journal.claim(r.space, r.journal.record(r.space, seq, `push-${seq}`, who, changes));
        if (seq !== opts.unfinished) await r.journal.finish(r.space, seq, `push-${seq}`, changes, new Map());
      }),
    ),
  );
  if (opts.pointer) await r.journal.point(r.space, to, `push-${to}`);
}

describe.each(['file', 's3'] as const)('%s remote: the journal stays cheap', (kind) => {
  it('finds the head with the same few requests on a journal of 10 pushes and of 600', async () => {
    const costs = [];
    for (const n of [10, 600]) {
      const r = await rig(kind);
      try {
        // The newest push was claimed and never finished: it is the head all the same.
        await pushes(r, 1, n, { pointer: true, unfinished: n });
        const c = await r.cost(() => r.backend.head(r.space));
        expect(c.value).toBe(String(n));
        costs.push(c);
      } finally {
        await r.stop();
      }
    }
    const [short, long] = costs;
    // The pointer, and the two probes: record N is there, N+1 is not.
    expect(long!.calls, long!.what.join('\n')).toBeLessThanOrEqual(3);
    expect(long!.calls, `10 pushes: ${short!.what.join(', ')}; 600 pushes: ${long!.what.join(', ')}`).toBe(short!.calls);
    // What the server sends back does not grow with the journal either (a listing would: ~300 bytes a record).
    expect(long!.bytes).toBeLessThan(short!.bytes + 100);
  });

  it("shows `just log`'s page from its own records only, and the page before it from --before", async () => {
    const costs = [];
    for (const n of [30, 600]) {
      const r = await rig(kind);
      try {
        await pushes(r, 1, n, { pointer: true });
        const c = await r.cost(() => r.backend.log(r.space, { limit: 5 }));
        expect(c.value.entries.map((e) => e.id)).toEqual([n, n - 1, n - 2, n - 3, n - 4].map((s) => `#${s}`));
        expect(c.value.older).toBe(String(n - 4));
        costs.push(c.calls);
        const next = await r.backend.log(r.space, { limit: 5, before: c.value.older! });
        expect(next.entries.map((e) => e.id)).toEqual([n - 5, n - 6, n - 7, n - 8, n - 9].map((s) => `#${s}`));
        // The oldest page ends the history: nothing older to offer.
        const last = await r.backend.log(r.space, { limit: 5, before: '4' });
        expect(last.entries.map((e) => e.id)).toEqual(['#3', '#2', '#1']);
        expect(last.older).toBeNull();
        // Narrowed to a folder: only the pushes that changed it, newest first.
        const narrowed = await r.backend.log(r.space, { limit: 3, path: 'run-0' });
        expect(narrowed.entries.map((e) => Number(e.id.slice(1)) % 7)).toEqual([0, 0, 0]);
      } finally {
        await r.stop();
      }
    }
    // The head, then six records and their done marks (one more than the page says whether there is an older page).
    expect(costs[1]).toBe(costs[0]);
    expect(costs[1]).toBeLessThanOrEqual(3 + 2 * 6);
  });

  it('finds the true head however the pointer was left, and the next push writes it', async () => {
    const r = await rig(kind);
    try {
      // A journal written before the pointer existed: found by listing it.
      await pushes(r, 1, 40);
      expect(await r.backend.head(r.space)).toBe('40');
      // The next push (a real one, through the library) writes the pointer.
      await r.wc.pullLayer();
      r.wc.write('data/processed/run/a.csv', 'a\n');
      await r.wc.pushLayer();
      expect(JSON.parse((await r.store.getText(`${r.space.journalRoot}/head.json`))!)).toMatchObject({ seq: 41 });
      expect((await r.cost(() => r.backend.head(r.space))).calls).toBeLessThanOrEqual(3);

      // Pushes that did not move the pointer (killed between claim and pointer, or an older
      // Strata): the probe of 42 finds it, and only the records after the pointer are listed.
      await pushes(r, 42, 45, { unfinished: 45 });
      const behind = await r.cost(() => r.backend.head(r.space));
      expect(behind.value).toBe('45');
      const touched = behind.what.flatMap((w) => [.../(\d{10})(\.done)?\.json/.exec(w)?.slice(1, 2) ?? []]).map(Number);
      expect(Math.min(...touched), behind.what.join('\n')).toBe(41);
      // S3: the pointer, two probes, one listing page from the pointer on; a folder: one directory read.
      if (kind === 's3') expect(behind.calls, behind.what.join('\n')).toBeLessThanOrEqual(4);
      else expect(behind.what.filter((w) => w.startsWith('readdir'))).toHaveLength(1);

      // Two pushers: the slower one sets the pointer back after the faster claimed the next number.
      await r.journal.point(r.space, 44, 'push-44');
      expect(await r.backend.head(r.space)).toBe('45');

      // A pointer naming a record that is not there (a journal cut by hand): the listing decides.
      await r.journal.point(r.space, 90, 'push-90');
      expect(await r.backend.head(r.space)).toBe('45');
      // Not a pointer Strata wrote: the same.
      await r.store.putText(`${r.space.journalRoot}/head.json`, '{"seq": "forty"');
      expect(await r.backend.head(r.space)).toBe('45');

      // The log reads across the record nobody finished and the pointer's state alike.
      const page = await r.backend.log(r.space, { limit: 3 });
      expect(page.entries.map((e) => `${e.id} ${e.status}`)).toEqual(['#45 interrupted', '#44 done', '#43 done']);
    } finally {
      await r.stop();
    }
  });

  it('reads the history across a run of missing records (a journal cut by hand) from one listing', async () => {
    const r = await rig(kind);
    try {
      await pushes(r, 1, 3);
      await pushes(r, 40, 42, { pointer: true });
      const page = await r.backend.log(r.space, { limit: 10 });
      expect(page.entries.map((e) => e.id)).toEqual(['#42', '#41', '#40', '#3', '#2', '#1']);
      expect(page.older).toBeNull();
    } finally {
      await r.stop();
    }
  });

  it('removes the pointer with the journal, so a new space of the same name starts at 1', async () => {
    const r = await rig(kind);
    try {
      r.wc.git('switch', '-q', '-c', 'qc');
      r.wc.write('data/processed/run/a.csv', 'a\n');
      await r.wc.pushLayer();
      const ctx = await r.wc.open();
      const branchSpace = spaceFor(layerByName(ctx.config, 'processed'), 'qc', 'main');
      expect(await r.backend.head(branchSpace)).toBe('1');
      expect(await r.store.exists(`${branchSpace.journalRoot}/head.json`)).toBe(true);
      await r.backend.removeSpace(branchSpace);
      expect(await r.store.exists(`${branchSpace.journalRoot}/head.json`)).toBe(false);
      expect(await r.store.exists(`${branchSpace.journalRoot}/${recordName(1)}`)).toBe(false);
      expect(await r.backend.head(branchSpace)).toBeNull();
    } finally {
      await r.stop();
    }
  });
});
