// The push executor on the Hub: every upload and deletion of a plan in one commit (a sequence
// of commits above the Hub's 1,000 operations), each carrying the push's id and built on
// `parentCommit`, so a teammate's push in between is a conflict, never an overwrite. A file
// must stay the file it was hashed as (listing/unchanged.ts), and deletions never follow a
// failed file (plan/removals-last.ts), as in the object-store push (object-push.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { commit, type CommitOperation } from '@huggingface/hub';
import { removalsMayRun } from '../plan/removals-last.js';
import { ConflictError } from '../errors.js';
import { hashFile } from '../listing/digest.js';
import type { Digests } from '../state/record.js';
import { assertUnchanged, stampOf, type FileStamp } from '../listing/unchanged.js';
import type { Plan, PlanItem } from '../plan/plan.js';
import type { Space } from '../space.js';
import { commitDescription, commitTitle, pushIdLine } from './hub-commit-message.js';
import { OPS_PER_COMMIT, type HubRepo } from './hub-repo.js';
import { readTimes, timesContent, timesPath } from './hub-times.js';
import type { PushContext, PushResult } from './types.js';

/**
 * commitPlan commits a push plan on top of `parent` (the head last synced, or the head of the
 * repo or branch this push just created, `created`).
 */
export async function commitPlan(hub: HubRepo, space: Space, plan: Plan, ctx: PushContext, parent: string, created: string | undefined): Promise<PushResult> {
  const creds = hub.credentials();
  // Every commit of this push carries its id, so a re-run after a lost answer knows the head is its own.
  const pushId = crypto.randomUUID();
  await ctx.onClaim?.({ seq: -1, id: pushId });

  // Hash what we upload (the Hub will list LFS SHA-256 or git blob SHA-1), so the next sync needs no re-hash.
  const written = new Map<string, Digests>();
  const failed: { key: string; error: string }[] = [];
  const fail = (item: PlanItem, e: Error) => {
    failed.push({ key: item.key, error: e.message });
    ctx.events.failed(item, e);
  };
  const uploads = plan.items.filter((i) => i.kind === 'upload' || i.kind === 'copy');
  const deletes = plan.items.filter((i) => i.kind === 'delete');
  const ops: Op[] = [];
  for (const item of uploads) {
    const file = path.join(ctx.localRoot, ...(item.local!.name ?? item.key).split('/'));
    // As on S3 and folders (listing/unchanged.ts): what was hashed is what is sent, or the file is not sent.
    const stamp = stampOf(file);
    const digests = { ...item.local!.digests, ...(await hashFile(file, ['sha256', 'gitsha1', 'md5'])) };
    const content = await fs.openAsBlob(file);
    const changed = changedSince(file, stamp, 'while being hashed');
    if (changed) {
      ctx.events.start(item);
      fail(item, changed);
      continue;
    }
    written.set(item.key, digests);
    ops.push({ op: { operation: 'addOrUpdate', path: `${space.root}/${item.key}`, content }, item, file, stamp });
  }
  // Deletions ride in the commits with the uploads: after a failed file they stay out (plan/removals-last.ts).
  let deletesSkipped = 0;
  const removalsAllowed = () => removalsMayRun(failed.length, deletes.length, { removing: 'deleting', side: 'remote', transfer: 'transfer' }, (m) => ctx.events.info(m));
  if (removalsAllowed()) for (const item of deletes) ops.push({ op: { operation: 'delete', path: `${space.root}/${item.remote!.name ?? item.key}` }, item });
  else deletesSkipped = deletes.length;

  // The layer's record of times rides in the last commit (hub-times.ts), so each batch leaves it room.
  const timesBefore = ops.length ? await readTimes(hub, space.root, parent) : {};
  const perCommit = OPS_PER_COMMIT - 1;
  const batches: Op[][] = [];
  for (let i = 0; i < ops.length; i += perCommit) batches.push(ops.slice(i, i + perCommit));
  /** The record as the push leaves it: what it wrote gets its local time, what it deleted goes. */
  const timesOp = (): CommitOperation => {
    const times = { ...timesBefore };
    for (const o of batches.flat()) {
      if (o.op.operation === 'delete') delete times[o.item.key];
      else if (written.has(o.item.key)) times[o.item.key] = o.item.local!.mtimeMs!;
    }
    return { operation: 'addOrUpdate', path: timesPath(space.root), content: new Blob([timesContent(times)]) };
  };
  if (batches.length > 1) ctx.events.info(`pushing in ${batches.length} commits of at most ${perCommit} files (the Hub's per-commit limit of ${OPS_PER_COMMIT} operations, one kept for the record of times)`);
  let head = parent;
  let landed = false;
  for (let n = 0; n < batches.length; n++) {
    for (const { item } of batches[n]) ctx.events.start(item);
    const suffix = batches.length > 1 ? ` (${n + 1}/${batches.length})` : '';
    while (batches[n].length) {
      try {
        const out = await commit({
          repo: hub.repo,
          branch: space.branch,
          parentCommit: head,
          title: commitTitle(ctx.record) + suffix,
          description: `${commitDescription(ctx.record, { ...plan, items: batches.flat().map((o) => o.item) })}\n${pushIdLine(pushId)}`,
          operations: [...batches[n].map((b) => b.op), ...(n === batches.length - 1 ? [timesOp()] : [])],
          // Xet where the Hub offers it (the client asks in the LFS batch), else LFS.
          useXet: hub.xet,
          ...creds,
        });
        if (out?.commit.oid) head = out.commit.oid;
        landed = true;
        break;
      } catch (e) {
        // Node refuses to read a file that changed after it was opened, before the commit is
        // sent: such files fail as on S3, and the rest of the commit goes without them (and
        // without deletions, which never follow a failure).
        const changed = unreadable(e) ? batches[n].flatMap((o) => (o.file ? [{ o, error: changedSince(o.file, o.stamp!, 'while being uploaded') }] : [])) : [];
        const left = new Set<Op>();
        for (const { o, error } of changed) {
          if (!error) continue;
          written.delete(o.item.key);
          fail(o.item, error);
          left.add(o);
        }
        if (left.size) {
          const pending = batches.slice(n).flat();
          if (pending.some((o) => o.op.operation === 'delete') && !removalsAllowed()) {
            for (const o of pending) if (o.op.operation === 'delete') left.add(o);
            deletesSkipped = deletes.length;
          }
          for (let k = n; k < batches.length; k++) batches[k] = batches[k].filter((o) => !left.has(o));
          continue;
        }
        const err = hub.explain(`commit to ${hub.remote.url}@${space.branch}`, e);
        if (err instanceof ConflictError) throw err;
        for (const { item } of batches.slice(n).flat()) fail(item, err);
        report(written, uploads, ctx);
        return { head, failed, deletesSkipped, created: landed ? undefined : created };
      }
    }
    for (const { item } of batches[n]) {
      if (item.kind === 'upload') ctx.events.bytes(item.bytes);
      ctx.events.done(item, written.get(item.key));
    }
  }
  report(written, uploads, ctx);
  // A push that lost files before any commit landed leaves the space as created (main's files).
  return { head, failed, deletesSkipped, created: failed.length && !landed ? created : undefined };
}

/**
 * report: the files whose commit landed, to the push's WrittenFiles. A Hub push is one commit
 * (or a few), known to have landed only at its end; its files are reported then.
 */
function report(written: ReadonlyMap<string, Digests>, uploads: readonly PlanItem[], ctx: PushContext): void {
  for (const item of uploads) {
    const digests = written.get(item.key);
    if (digests) ctx.written.add(item, digests);
  }
}

/** One operation of a push's commits; an upload keeps its file and the stamp it was hashed at. */
interface Op {
  op: CommitOperation;
  item: PlanItem;
  file?: string;
  stamp?: FileStamp;
}

/** changedSince: why `file` no longer is the file stamped (listing/unchanged.ts's words), or null. */
function changedSince(file: string, stamp: FileStamp, when: string): Error | null {
  try {
    assertUnchanged(file, stamp, when);
    return null;
  } catch (e) {
    return e as Error;
  }
}

/** unreadable: the error is Node's refusal to read a file-backed Blob whose file changed. */
function unreadable(e: unknown): boolean {
  for (let x = e as { name?: string; cause?: unknown } | undefined; x; x = x.cause as typeof x) if (x.name === 'NotReadableError') return true;
  return false;
}
