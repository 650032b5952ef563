// The push executor over an object store (S3, folders): claim the next journal record, clear
// what dead pushes left, transfer (uploads and server-side copies in parallel, large files
// one at a time), then delete — last, and not at all after a failed transfer
// (plan/removals-last.ts, the rule the pull shares) — and mark the record done.
import crypto from 'node:crypto';
import path from 'node:path';
import pMap from 'p-map';
import { removalsMayRun } from '../plan/removals-last.js';
import type { Digests } from '../state/record.js';
import type { Plan, PlanItem } from '../plan/plan.js';
import type { Space } from '../space.js';
import type { Journal } from './journal.js';
import { SMALL_FILE, type ObjectStore } from './object-store.js';
import type { ChangeRecord, PushContext, PushResult } from './types.js';

/**
 * Large files move one at a time, each with several parts in flight (s3.ts): the parts are
 * the parallelism, and memory stays at one file's parts (two at once took 330 MB).
 */
const LARGE_TRANSFERS = 1;

export async function pushObjects(store: ObjectStore, journal: Journal, space: Space, plan: Plan, ctx: PushContext): Promise<PushResult> {
  const seq = Number(ctx.expectedHead ?? 0) + 1;
  const id = crypto.randomUUID();
  const items = plan.items.filter((i) => i.kind !== 'skip');
  await ctx.onClaim?.({ seq, id });
  // Made where it is sent, never kept in a variable: the record lists every change (a million
  // for a first push of a million files), and a suspended function keeps its locals alive.
  await journal.claim(space, journal.record(space, seq, id, ctx.record, items));

  // The head pointer is a hint (journal-head.ts): written beside the cleanup, and a failure
  // only costs the next lookup of the head a listing of the newer records.
  const [leftovers] = await Promise.all([
    store.cleanup?.(space.root).catch(() => 0),
    journal.point(space, seq, id).catch((e: Error) => ctx.events.info(`the journal's head pointer was not updated (${e.message}); the push goes on`)),
  ]);
  if (leftovers) ctx.events.info(`removed ${leftovers} unfinished upload(s) left by an interrupted push`);
  const failed: { key: string; error: string }[] = [];
  const meta = objectMeta(ctx.record);
  const transfer = async (item: PlanItem) => {
    ctx.events.start(item);
    try {
      const key = `${space.root}/${item.key}`;
      let digests: Digests;
      let tag: string | undefined;
      if (item.kind === 'copy') {
        const copied = await store.copy(`${ctx.seedSpace!.root}/${item.from!.name ?? item.from!.key}`, key, { meta, mtimeMs: item.local?.mtimeMs, size: item.from!.size });
        digests = { ...item.from!.digests, ...item.local!.digests, ...copied.digests };
        tag = copied.tag;
      } else {
        const file = path.join(ctx.localRoot, ...(item.local!.name ?? item.key).split('/'));
        const stored = await store.put(key, file, { size: item.local!.size, mtimeMs: item.local!.mtimeMs!, meta, onBytes: (n) => ctx.events.bytes(n) });
        digests = stored.digests;
        tag = stored.tag;
      }
      ctx.written.add(item, digests, tag || undefined);
      ctx.events.done(item, digests);
    } catch (e) {
      failed.push({ key: item.key, error: (e as Error).message });
      ctx.events.failed(item, e as Error);
    }
  };
  // p-map starts a transfer only when a slot frees: a task per file up front was a third of
  // a first push's memory at a million files.
  const large = (i: PlanItem) => i.kind === 'upload' && i.local!.size > SMALL_FILE;
  const moving = items.filter((i) => i.kind === 'upload' || i.kind === 'copy');
  await Promise.all([
    pMap(moving.filter((i) => !large(i)), transfer, { concurrency: ctx.transfers }),
    pMap(moving.filter(large), transfer, { concurrency: LARGE_TRANSFERS }),
  ]);

  const deletes = items.filter((i) => i.kind === 'delete');
  if (!removalsMayRun(failed.length, deletes.length, { removing: 'deleting', side: 'remote', transfer: 'transfer' }, (m) => ctx.events.info(m))) {
    return { head: String(seq), failed, deletesSkipped: deletes.length };
  }
  if (deletes.length) {
    for (const d of deletes) ctx.events.start(d);
    const deleteFailed = await store.delete(deletes.map((d) => `${space.root}/${d.remote!.name ?? d.key}`));
    const failedKeys = new Set(deleteFailed.map((f) => f.key));
    for (const d of deletes) {
      const full = `${space.root}/${d.remote!.name ?? d.key}`;
      if (failedKeys.has(full)) {
        const f = deleteFailed.find((x) => x.key === full)!;
        failed.push({ key: d.key, error: f.error });
        ctx.events.failed(d, new Error(f.error));
      } else ctx.events.done(d);
    }
  }
  if (!failed.length) await journal.finish(space, seq, id, items, ctx.written.read());
  return { head: String(seq), failed, deletesSkipped: 0 };
}

/** objectMeta is the S3 user metadata every uploaded object carries: which commit made it. */
export function objectMeta(record: ChangeRecord): Record<string, string> {
  return {
    'strata-git-sha': record.gitSha ?? 'none',
    'strata-dirty': String(record.dirty),
    'strata-branch': encodeURIComponent(record.branch),
    'strata-user': encodeURIComponent(record.user),
  };
}
