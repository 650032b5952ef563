// applyPull carries out a pull plan: downloads (new and replacing files) in parallel, then
// the recycles of files the remote no longer has — last, and not at all after a failed
// download, so a re-run converges and nothing is lost.
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import type { Digests } from '../listing/state.js';
import type { Plan, PlanItem } from '../plan/plan.js';
import type { Backend, TransferEvents } from '../remotes/types.js';
import type { Space } from '../space.js';
import { downloadVerified } from './download.js';
import { inFlight } from './in-flight.js';
import type { Recycler } from './recycle.js';

export interface PullResult {
  /** Digests and stat of every file now in place, by key. */
  written: Map<string, { size: number; mtimeMs: number; digests: Digests }>;
  recycled: string[];
  failed: { key: string; error: string }[];
  recyclesSkipped: number;
}

export async function applyPull(
  backend: Backend,
  space: Space,
  plan: Plan,
  localRoot: string,
  recycler: Recycler,
  opts: { transfers: number; events: TransferEvents },
): Promise<PullResult> {
  const written: PullResult['written'] = new Map();
  const recycled: string[] = [];
  const failed: PullResult['failed'] = [];
  const limit = pLimit(opts.transfers);
  const localPath = (item: PlanItem) => path.join(localRoot, ...(item.local?.name ?? item.key).split('/'));

  const downloads = plan.items.filter((i) => i.kind === 'download');
  await Promise.all(
    downloads.map((item) =>
      limit(async () => {
        opts.events.start(item);
        try {
          const dest = localPath(item);
          await makeRoomFor(dest, localRoot, recycler);
          const { tmp, digests } = await downloadVerified(backend, space, item.remote!, dest, opts.events.bytes, opts.events.info);
          if (item.local) {
            await recycler.recycle(dest, item.key);
            recycled.push(item.key);
          }
          await fs.promises.rename(tmp, dest);
          inFlight.delete(tmp);
          const st = await fs.promises.stat(dest);
          written.set(item.key, { size: st.size, mtimeMs: st.mtimeMs, digests: { ...digests, ...item.remote!.digests } });
          opts.events.done(item, digests);
        } catch (e) {
          failed.push({ key: item.key, error: (e as Error).message });
          opts.events.failed(item, e as Error);
        }
      }),
    ),
  );

  const removals = plan.items.filter((i) => i.kind === 'recycle');
  if (failed.length) {
    if (removals.length) opts.events.info(`not recycling ${removals.length} local file(s) because ${failed.length} download(s) failed`);
    return { written, recycled, failed, recyclesSkipped: removals.length };
  }
  for (const item of removals) {
    opts.events.start(item);
    try {
      await recycler.recycle(localPath(item), item.key);
      recycled.push(item.key);
      await pruneEmptyFolders(path.dirname(localPath(item)), localRoot);
      opts.events.done(item);
    } catch (e) {
      failed.push({ key: item.key, error: (e as Error).message });
      opts.events.failed(item, e as Error);
    }
  }
  return { written, recycled, failed, recyclesSkipped: 0 };
}

// A remote file "a/b" where a local *file* "a" sits: the file is recycled to make room
// (the plan lists it as a recycle too, but that runs later).
async function makeRoomFor(dest: string, localRoot: string, recycler: Recycler) {
  let dir = path.dirname(dest);
  while (dir.startsWith(localRoot + path.sep)) {
    const st = await fs.promises.lstat(dir).catch(() => null);
    if (st && !st.isDirectory()) {
      await recycler.recycle(dir, path.relative(localRoot, dir).split(path.sep).join('/'));
      return;
    }
    dir = path.dirname(dir);
  }
}

async function pruneEmptyFolders(dir: string, localRoot: string) {
  while (dir.startsWith(localRoot + path.sep)) {
    try {
      await fs.promises.rmdir(dir);
    } catch {
      return;
    }
    dir = path.dirname(dir);
  }
}
