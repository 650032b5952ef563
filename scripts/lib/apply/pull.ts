// applyPull carries out a pull plan: downloads (new and replacing files) in parallel, then
// the recycles of files the remote no longer has — last, and not at all after a failed
// download (plan/removals-last.ts, the rule the object-store push shares), so a re-run
// converges and nothing is lost.
import fs from 'node:fs';
import path from 'node:path';
import pMap from 'p-map';
import type { Digests } from '../state/record.js';
import type { Plan, PlanItem } from '../plan/plan.js';
import type { Backend, TransferEvents } from '../remotes/types.js';
import type { Space } from '../space.js';
import { setMtime, setMtimeSync } from '../listing/mtime.js';
import { downloadVerified } from './download.js';
import { inFlight } from './in-flight.js';
import { onLocalDisk } from './local-disk.js';
import { removalsMayRun } from '../plan/removals-last.js';
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
  const localPath = (item: PlanItem) => path.join(localRoot, ...(item.local?.name ?? item.key).split('/'));

  const folders = new Folders(localRoot, recycler);
  const localDisk = onLocalDisk(localRoot);
  const downloads = plan.items.filter((i) => i.kind === 'download');
  // p-map starts a download only when a slot frees, never a task per file up front.
  await pMap(
    downloads,
    async (item) => {
      opts.events.start(item);
      try {
        const dest = localPath(item);
        await folders.ready(path.dirname(dest));
        const { tmp, digests, mtimeMs } = await downloadVerified(backend, space, item.remote!, dest, opts.events.bytes, opts.events.info, localDisk);
        // The remote's time for the file, never the moment its download finished: the order
        // in which parallel downloads end must not tell Snakemake what to re-run.
        if (mtimeMs !== undefined) {
          if (localDisk) setMtimeSync(tmp, mtimeMs);
          else await setMtime(tmp, mtimeMs);
        }
        // The old version goes to the recycle folder and stays in place until the new one
        // is renamed over it: the file is never missing, even if the run is killed here.
        if (item.local) {
          await recycler.keep(dest, item.key);
          recycled.push(item.key);
        }
        if (localDisk) fs.renameSync(tmp, dest);
        else await fs.promises.rename(tmp, dest);
        inFlight.delete(tmp);
        const st = localDisk ? fs.statSync(dest) : await fs.promises.stat(dest);
        written.set(item.key, { size: st.size, mtimeMs: st.mtimeMs, digests: { ...digests, ...item.remote!.digests } });
        opts.events.done(item, digests);
      } catch (e) {
        failed.push({ key: item.key, error: (e as Error).message });
        opts.events.failed(item, e as Error);
      }
    },
    { concurrency: opts.transfers },
  );

  const removals = plan.items.filter((i) => i.kind === 'recycle');
  if (!removalsMayRun(failed.length, removals.length, { removing: 'recycling', side: 'local', transfer: 'download' }, (m) => opts.events.info(m))) {
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

/**
 * Folders makes the folders downloads go into, each once per pull (thousands of files share
 * a few hundred folders). A remote file "a/b" where a local *file* or symbolic link "a"
 * sits: that is recycled to make room (the plan lists it as a recycle too, but that runs
 * later), so a download never writes through a link out of the layer.
 */
class Folders {
  private readonly made = new Map<string, Promise<void>>();
  constructor(
    private readonly localRoot: string,
    private readonly recycler: Recycler,
  ) {}

  ready(dir: string): Promise<void> {
    let done = this.made.get(dir);
    if (!done) {
      done = this.make(dir);
      this.made.set(dir, done);
    }
    return done;
  }

  private async make(dir: string) {
    if (!dir.startsWith(this.localRoot + path.sep)) {
      await fs.promises.mkdir(dir, { recursive: true });
      return;
    }
    await this.ready(path.dirname(dir));
    const st = await fs.promises.lstat(dir).catch(() => null);
    if (st?.isDirectory()) return;
    if (st) await this.recycler.recycle(dir, path.relative(this.localRoot, dir).split(path.sep).join('/'));
    await fs.promises.mkdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
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
