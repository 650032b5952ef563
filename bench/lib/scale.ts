// The scale group (`--only scale`): exact sync of a layer of many small files (10,000,
// 100,000 and 1,000,000 by default, 1–4 kB each) on the folder remote and on S3. For
// Strata: the first push, a no-op push and a no-op pull, and a no-op on a branch after the
// working copy visited one branch against one after it visited ten (every branch pushing
// to its own space); on S3 also today's rclone and s5cmd doing the same no-op push, on a
// prefix seeded by s5cmd (the fastest way in; its time is printed, not measured).
import fs from 'node:fs';
import path from 'node:path';
import { labLayout, linkTree, totalBytes, writeSmallDataset } from './dataset.js';
import { countName, type ScaleRemote, type ToolName } from './options.js';
import type { Sample } from './report.js';
import { git, makeSide, s5cmdSeedCommand, syncCommand, type Command, type GroupContext, type Side } from './tools.js';

export interface ScaleContext extends GroupContext {
  run: (workload: string, tool: string, rep: number, c: Command) => Promise<Sample>;
  bucket: (name: string) => Promise<string>;
}

/** scaleId names a scale measurement: scale/<remote>/<files>/<step>. */
export const scaleId = (remote: ScaleRemote, files: number, step: ScaleStep) => `scale/${remote}/${files}/${step}`;
export type ScaleStep = 'first-push' | 'first-sync-over-copy' | 'noop-push' | 'noop-pull' | 'noop-one-branch' | 'noop-many-branches';

export function parseScaleId(workload: string): { remote: ScaleRemote; files: number; step: ScaleStep } | undefined {
  const m = /^scale\/(folder|s3)\/(\d+)\/([\w-]+)$/.exec(workload);
  return m ? { remote: m[1] as ScaleRemote, files: Number(m[2]), step: m[3] as ScaleStep } : undefined;
}

const LONG = 6 * 3_600_000;
// Above this many files on S3, the store's own write rate (a few hundred small objects a
// second on the local server, whichever tool sends them) would make a first push take hours:
// s5cmd fills Strata's space instead, and Strata's first sync takes that copy over (hashing,
// comparing, uploading nothing): the migration from another tool, measured as such.
const S3_FIRST_PUSH_UP_TO = 100_000;
const BLOCK = 4096;
// Bytes per object in the server's store, with its metadata (bluestore allocates 4 KiB units).
const STORE_PER_OBJECT = 8192;
const secs = (t0: number) => (performance.now() - t0) / 1000;
const n = (x: number) => x.toLocaleString('en-US');

/** room says whether `bytes` and `files` more fit on the filesystem holding `dir` (with 2 GB and 100,000 inodes to spare). */
function room(dir: string, bytes: number, files: number): string | null {
  const st = fs.statfsSync(dir);
  const free = st.bavail * st.bsize;
  if (free - bytes < 2e9) return `needs ~${(bytes / 1e9).toFixed(1)} GB, ${(free / 1e9).toFixed(1)} GB free`;
  if (st.ffree - files < 100_000) return `needs ~${n(files)} inodes, ${n(st.ffree)} free`;
  return null;
}

/** noWrites: a no-op that wrote to the server (PUT, part, POST, DELETE) did not do nothing; its sample says so. */
function noWrites(x: ScaleContext, sample: Sample): Sample {
  const k = sample.requests.byKind;
  const writes = (k.PUT ?? 0) + (k.PART ?? 0) + (k.POST ?? 0) + (k.DELETE ?? 0);
  if (writes && !sample.problem) {
    sample.problem = `not a no-op: ${writes} write request(s)`;
    x.say(`    ✗ ${sample.problem}`);
  }
  return sample;
}

export async function runScale(x: ScaleContext): Promise<void> {
  const { opts, say, note } = x;
  const strata = opts.tools.includes('strata');
  for (const files of opts.scaleSizes) {
    const name = countName(files);
    const layout = labLayout(files, 0, 0, 'small');
    const short = room(x.work, files * BLOCK * 2 + (opts.scaleRemotes.includes('s3') ? files * STORE_PER_OBJECT * 2 : 0), files * 2);
    if (short) {
      say(`bench: scale ${name}: skipped, the disk is too small (${short})`);
      note(`${n(files)} files: not run, the disk was too small (${short}).`);
      continue;
    }
    const dataDir = path.join(x.work, 'data', `scale-${name}`);
    say(`bench: scale ${name}: writing ${n(files)} files, ${(totalBytes(layout) / 1e6).toFixed(0)} MB`);
    const wrote = writeSmallDataset(dataDir, layout);
    note(`${n(files)} files (${(totalBytes(layout) / 1e6).toFixed(0)} MB): written in ${wrote.toFixed(1)} s.`);
    for (const remote of opts.scaleRemotes) await scaleOn(x, remote, files, dataDir, strata);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function scaleOn(x: ScaleContext, remote: ScaleRemote, files: number, dataDir: string, strata: boolean): Promise<void> {
  const { opts, box, say, note } = x;
  const name = countName(files);
  const id = (step: ScaleStep) => scaleId(remote, files, step);
  const where = `${remote === 's3' ? 'S3' : 'folder remote'}, ${n(files)} files`;
  const root = path.join(x.work, 'scale', `${remote}-${name}`);
  fs.mkdirSync(root, { recursive: true });
  const bucket = remote === 's3' ? await x.bucket(`scale-${name}`) : '';
  const remoteUrl = remote === 's3' ? `s3://${bucket}/strata` : `file://${path.join(root, 'remote')}`;
  if (remote === 'folder') fs.mkdirSync(path.join(root, 'remote'));
  const long = (c: Command): Command => ({ ...c, timeoutMs: LONG });
  const noop = async (step: ScaleStep, tool: string, rep: number, c: Command) => noWrites(x, await x.run(id(step), tool, rep, long(c)));

  const overCopy = remote === 's3' && files > S3_FIRST_PUSH_UP_TO;
  if (overCopy && !box.s5cmd) {
    say(`bench: scale ${where}: skipped (above ${n(S3_FIRST_PUSH_UP_TO)} files, S3 is filled by s5cmd, which is missing)`);
    return;
  }
  let side: Side | undefined;
  if (strata) {
    side = makeSide(box, 'strata', path.join(root, 'strata'), bucket, 'strata', remoteUrl);
    linkTree(dataDir, side.dataDir);
    if (overCopy) {
      const seeded = x.setup(`filling Strata's space with s5cmd`, long(s5cmdSeedCommand(box, dataDir, bucket, 'strata/processed', root)));
      note(`${where}: Strata's space filled by \`s5cmd cp\` in ${seeded.toFixed(1)} s (${n(Math.round(files / seeded))} objects/s); Strata's first sync took that copy over, and today's peers used the same prefix.`);
      say(`bench: scale ${where}: Strata's first sync over s5cmd's copy`);
      await x.run(id('first-sync-over-copy'), 'strata', 1, long(syncCommand(box, side, 'up', { label: `scale-${remote}-${name}-first-sync-over-copy` })));
    } else {
      say(`bench: scale ${where}: Strata's first push`);
      await x.run(id('first-push'), 'strata', 1, long(syncCommand(box, side, 'up', { label: `scale-${remote}-${name}-first-push` })));
    }
    for (let rep = 1; rep <= opts.reps; rep++) {
      await noop('noop-push', 'strata', rep, syncCommand(box, side, 'up', { label: `r${rep}-scale-${remote}-${name}-noop-push` }));
      await noop('noop-pull', 'strata', rep, syncCommand(box, side, 'down', { label: `r${rep}-scale-${remote}-${name}-noop-pull` }));
    }
  }

  // Today's peers on S3: the same no-op push, on a prefix s5cmd filled (each sees its own
  // kind of "in sync": s5cmd, objects newer than the files; rclone --checksum, equal MD5s).
  const peers = (['rclone-current', 's5cmd'] as ToolName[]).filter((t) => opts.tools.includes(t));
  if (remote === 's3' && peers.length) {
    if (!box.s5cmd) {
      say(`bench: scale ${where}: no peers (seeding their prefix needs s5cmd)`);
    } else {
      // Over s5cmd's copy, Strata's space already is such a prefix (Strata's no-ops write nothing to it).
      const prefix = overCopy && strata ? 'strata' : 'peers';
      if (prefix === 'peers') {
        const seeded = x.setup(`seeding the peers' prefix with s5cmd`, long(s5cmdSeedCommand(box, dataDir, bucket, 'peers/processed', root)));
        note(`${where}: the peers' prefix seeded by \`s5cmd cp\` in ${seeded.toFixed(1)} s (${n(Math.round(files / seeded))} objects/s).`);
      }
      const sides = new Map<ToolName, Side>();
      for (const t of peers) {
        const s = makeSide(box, t, path.join(root, t), bucket, prefix);
        linkTree(dataDir, s.dataDir);
        sides.set(t, s);
      }
      for (let rep = 1; rep <= opts.reps; rep++) {
        const order = peers.map((_, i) => peers[(i + rep - 1) % peers.length]!);
        for (const t of order) await noop('noop-push', t, rep, syncCommand(box, sides.get(t)!, 'up'));
      }
    }
  }

  // Branches: the working copy visits one branch (its own space, seeded from main's by
  // copies inside the store) and measures a no-op there; then visits the others, comes back
  // to the first and measures the same no-op with every branch in its state record.
  if (side) {
    const k = opts.scaleBranches;
    if (!opts.scaleBranchSizes.includes(files)) {
      say(`bench: scale ${where}: branch comparison not run at this size (--scale-branch-sizes)`);
    } else {
      const short = room(x.work, remote === 'folder' ? files * BLOCK * k : files * STORE_PER_OBJECT * k, remote === 'folder' ? files * k : 0);
      if (short) {
        say(`bench: scale ${where}: branch comparison skipped, the disk is too small (${short})`);
        note(`${where}: branch comparison not run, the disk was too small (${short}).`);
      } else {
        const branch = (i: number) => `b${String(i).padStart(2, '0')}`;
        git(side.root, ['checkout', '-q', '-b', branch(1)]);
        const first = x.setup(`pushing branch ${branch(1)}`, long(syncCommand(box, side, 'up')));
        for (let rep = 1; rep <= opts.reps; rep++) {
          await noop('noop-one-branch', 'strata', rep, syncCommand(box, side, 'up', { label: `r${rep}-scale-${remote}-${name}-noop-one-branch` }));
        }
        const t0 = performance.now();
        say(`bench: scale ${where}: pushing ${k - 1} more branches (about ${((first * (k - 1)) / 60).toFixed(0)} min at ${branch(1)}'s pace)`);
        for (let i = 2; i <= k; i++) {
          git(side.root, ['checkout', '-q', '-b', branch(i)]);
          const took = x.setup(`pushing branch ${branch(i)}`, long(syncCommand(box, side, 'up')));
          say(`  ${branch(i)} pushed in ${took.toFixed(1)} s`);
        }
        git(side.root, ['checkout', '-q', branch(1)]);
        note(`${where}: branch ${branch(1)}'s first push took ${first.toFixed(1)} s, the other ${k - 1} branches' ${secs(t0).toFixed(1)} s (copies inside the store).`);
        for (let rep = 1; rep <= opts.reps; rep++) {
          await noop('noop-many-branches', 'strata', rep, syncCommand(box, side, 'up', { label: `r${rep}-scale-${remote}-${name}-noop-many-branches` }));
        }
      }
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
}
