// recycle-clean: prune the local recycle folder, oldest first. With no option it removes
// stamps older than 30 days; --older-than DAYS or --all change that; --dry-run lists.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { findProjectRoot } from '../config/root.js';
import { withLock } from '../context.js';
import { StrataError } from '../errors.js';
import type { Args } from '../cli.js';
import { bytes } from '../ui/format.js';
import { Reporter } from '../ui/reporter.js';

export async function runRecycleClean(args: Args): Promise<void> {
  const root = findProjectRoot(process.cwd());
  const config = loadConfig(root);
  const out = new Reporter({ quiet: args.quiet });
  const days = args.all ? 0 : Number(args['older-than'] ?? 30);
  if (!Number.isFinite(days) || days < 0) throw new StrataError(`--older-than must be a number of days, not "${args['older-than']}".`, undefined, 2);
  const folder = path.join(root, config.recycleDir);
  // Under the working copy's lock: a pull running now may be recycling into a stamp folder.
  await withLock({ config }, (m) => out.warn(m), async () => prune(root, folder, days, args, out));
}

function prune(root: string, folder: string, days: number, args: Args, out: Reporter) {
  const stamps = fs.existsSync(folder) ? fs.readdirSync(folder, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
  const cutoff = Date.now() - days * 86_400_000;
  let removed = 0;
  let freed = 0;
  for (const d of stamps.sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = path.join(folder, d.name);
    if (fs.statSync(dir).mtimeMs > cutoff) continue;
    const size = folderSize(dir);
    out.say(`${args.dryRun ? 'would remove' : 'removing'} ${path.relative(root, dir)} (${bytes(size)})`);
    if (!args.dryRun) fs.rmSync(dir, { recursive: true, force: true });
    removed++;
    freed += size;
  }
  out.say(`${args.dryRun ? 'Dry run: would free' : 'Freed'} ${bytes(freed)} in ${removed} recycle folder(s); ${stamps.length - removed} kept.`);
}

function folderSize(dir: string): number {
  let total = 0;
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) total += folderSize(p);
    else if (d.isFile()) total += fs.statSync(p).size;
  }
  return total;
}
