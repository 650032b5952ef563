// The backend for S3 and plain folders: spaces are key prefixes, and every push is recorded
// in a journal of sequence-numbered records under PREFIX/.strata/journal/<branch>/<layer>/.
// A push first claims the next sequence number with a create-only write; of two pushers
// that start from the same head, exactly one claim succeeds, before either moves a byte.
import crypto from 'node:crypto';
import path from 'node:path';
import pLimit from 'p-limit';
import { ConflictError, TransferError } from '../errors.js';
import { byKey, type Entry } from '../listing/entry.js';
import { byteOrder, screenKeys } from '../listing/keys.js';
import type { Digests } from '../listing/state.js';
import type { Plan, PlanItem } from '../plan/plan.js';
import type { Space } from '../space.js';
import { SMALL_FILE, type ObjectStore } from './object-store.js';
import type { Backend, ChangeRecord, LogEntry, PushContext, PushResult, RemoteListing } from './types.js';

const SEQ_WIDTH = 10;
const seqKey = (space: Space, seq: number) => `${space.journalRoot}/${String(seq).padStart(SEQ_WIDTH, '0')}.json`;
const doneKey = (space: Space, seq: number) => `${space.journalRoot}/${String(seq).padStart(SEQ_WIDTH, '0')}.done.json`;

/**
 * Large files move one at a time, each with several parts in flight (s3.ts): the parts are
 * the parallelism, and memory stays at one file's parts (two at once took 330 MB).
 */
const LARGE_TRANSFERS = 1;

export interface JournalRecord extends ChangeRecord {
  seq: number;
  id: string;
  space: string;
  startedAt: string;
  changes: { op: 'put' | 'copy' | 'delete'; key: string; size?: number }[];
}

export interface JournalDone {
  seq: number;
  id: string;
  finishedAt: string;
  uploaded: number;
  copied: number;
  deleted: number;
  bytes: number;
}

export class ObjectBackend implements Backend {
  constructor(readonly store: ObjectStore) {}
  get kind() {
    return this.store.kind;
  }

  async list(space: Space, scope = '', expected: readonly { key: string }[] = []): Promise<RemoteListing> {
    const prefix = scope ? `${space.root}/${scope.replace(/\/+$/, '')}` : space.root;
    const raw = await this.store.list(prefix, listingSplits(expected, scope));
    if (scope) for (const o of raw) o.key = `${scope.replace(/\/+$/, '')}/${o.key}`;
    return screenKeys(raw);
  }

  async head(space: Space): Promise<string | null> {
    const seqs = await this.journalSeqs(space);
    return seqs.length ? String(seqs[seqs.length - 1]) : null;
  }

  async exists(space: Space): Promise<boolean> {
    if ((await this.head(space)) !== null) return true;
    return (await this.store.list(space.root)).length > 0;
  }

  async openRead(space: Space, entry: Entry) {
    return this.store.read(`${space.root}/${entry.name ?? entry.key}`);
  }

  async remoteDigests(space: Space, entry: Entry): Promise<Digests> {
    return this.store.digests ? this.store.digests(`${space.root}/${entry.name ?? entry.key}`) : {};
  }

  private async journalSeqs(space: Space, withDone = false): Promise<number[]> {
    const keys = await this.store.list(space.journalRoot);
    const re = withDone ? /^(\d+)\.done\.json$/ : /^(\d+)\.json$/;
    return keys.map((k) => re.exec(k.key)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
  }

  async push(space: Space, plan: Plan, ctx: PushContext): Promise<PushResult> {
    const seq = Number(ctx.expectedHead ?? 0) + 1;
    const id = crypto.randomUUID();
    const items = plan.items.filter((i) => i.kind !== 'skip');
    const record: JournalRecord = {
      ...ctx.record,
      seq,
      id,
      space: space.id,
      startedAt: new Date().toISOString(),
      changes: items.map((i) => ({ op: i.kind === 'delete' ? 'delete' : i.kind === 'copy' ? 'copy' : 'put', key: i.key, size: i.local?.size })),
    };
    await ctx.onClaim?.({ seq, id });
    // NOTE: if the answer to our create-only write was lost, a retry sees our own record (412):
    // that is not someone else's push.
    if (!(await this.store.putIfAbsent(seqKey(space, seq), JSON.stringify(record, null, 1))) && !(await this.ownsHead(space, { seq, id }, String(seq)))) {
      throw new ConflictError(
        `Someone else pushed to ${space.id}/ at the same moment (journal record ${seq} was taken first). Nothing was changed.`,
        'Run `just status` to see their changes, take them with `just get-results --keep` (your unshared files stay as they are), then push again.',
      );
    }

    const leftovers = await this.store.cleanup?.(space.root).catch(() => 0);
    if (leftovers) ctx.events.info(`removed ${leftovers} unfinished upload(s) left by an interrupted push`);
    const written = new Map<string, Digests>();
    const tags = new Map<string, string>();
    const failed: { key: string; error: string }[] = [];
    const meta = objectMeta(ctx.record);
    const small = pLimit(ctx.transfers);
    const large = pLimit(LARGE_TRANSFERS);
    const transfer = async (item: PlanItem) => {
      ctx.events.start(item);
      try {
        const key = `${space.root}/${item.key}`;
        let digests: Digests;
        if (item.kind === 'copy') {
          await this.store.copy(`${ctx.seedSpace!.root}/${item.from!.name ?? item.from!.key}`, key, meta);
          digests = { ...item.from!.digests, ...item.local!.digests };
        } else {
          const file = path.join(ctx.localRoot, ...(item.local!.name ?? item.key).split('/'));
          const stored = await this.store.put(key, file, { size: item.local!.size, meta, onBytes: (n) => ctx.events.bytes(n) });
          digests = stored.digests;
          if (stored.tag) tags.set(item.key, stored.tag);
        }
        written.set(item.key, digests);
        ctx.events.done(item, digests);
      } catch (e) {
        failed.push({ key: item.key, error: (e as Error).message });
        ctx.events.failed(item, e as Error);
      }
    };
    await Promise.all(
      items
        .filter((i) => i.kind === 'upload' || i.kind === 'copy')
        .map((i) => (i.kind === 'upload' && i.local!.size > SMALL_FILE ? large : small)(() => transfer(i))),
    );

    // Deletes run last, and not at all after a failed transfer (rclone's rule): a re-run converges.
    const deletes = items.filter((i) => i.kind === 'delete');
    if (failed.length) {
      if (deletes.length) ctx.events.info(`not deleting ${deletes.length} remote file(s) because ${failed.length} transfer(s) failed`);
      return { head: String(seq), written, tags, failed, deletesSkipped: deletes.length };
    }
    if (deletes.length) {
      for (const d of deletes) ctx.events.start(d);
      const deleteFailed = await this.store.delete(deletes.map((d) => `${space.root}/${d.remote!.name ?? d.key}`));
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
    if (!failed.length) {
      const done: JournalDone = {
        seq,
        id,
        finishedAt: new Date().toISOString(),
        uploaded: items.filter((i) => i.kind === 'upload').length,
        copied: items.filter((i) => i.kind === 'copy').length,
        deleted: deletes.length,
        bytes: items.filter((i) => i.kind === 'upload').reduce((n, i) => n + i.bytes, 0),
      };
      await this.store.putIfAbsent(doneKey(space, seq), JSON.stringify(done));
    }
    return { head: String(seq), written, tags, failed, deletesSkipped: 0 };
  }

  async log(space: Space, limit: number): Promise<LogEntry[]> {
    const seqs = await this.journalSeqs(space);
    const done = new Set(await this.journalSeqs(space, true));
    const wanted = seqs.slice(-limit).reverse();
    const out: LogEntry[] = [];
    for (const seq of wanted) {
      const text = await this.store.getText(seqKey(space, seq));
      if (!text) continue;
      const r = JSON.parse(text) as JournalRecord;
      const doneText = done.has(seq) ? await this.store.getText(doneKey(space, seq)) : null;
      const d = doneText ? (JSON.parse(doneText) as JournalDone) : null;
      const puts = r.changes.filter((c) => c.op !== 'delete');
      out.push({
        ...r,
        id: `#${seq}`,
        time: d?.finishedAt ?? r.startedAt,
        title: `${r.recipe} ${r.layer}`,
        status: d ? 'done' : 'interrupted',
        uploaded: puts.length,
        deleted: r.changes.length - puts.length,
        bytes: puts.reduce((n, c) => n + (c.size ?? 0), 0),
      });
    }
    return out;
  }

  /** ownsHead: the journal record at the head is this working copy's unfinished claim. */
  async ownsHead(space: Space, pending: { seq: number; id: string }, head: string): Promise<boolean> {
    if (head !== String(pending.seq)) return false;
    const text = await this.store.getText(seqKey(space, pending.seq));
    return !!text && (JSON.parse(text) as JournalRecord).id === pending.id;
  }

  async removeSpace(space: Space): Promise<number> {
    const files = await this.store.list(space.root);
    const journal = await this.store.list(space.journalRoot);
    const failed = await this.store.delete(files.map((f) => `${space.root}/${f.key}`));
    // The journal goes only with all the data: a space left half-removed keeps its history.
    if (!failed.length) failed.push(...(await this.store.delete(journal.map((f) => `${space.journalRoot}/${f.key}`))));
    if (failed.length) {
      throw new TransferError(
        `${failed.length} of ${files.length} file(s) of ${space.root}/ could not be removed (the space is only partly removed):\n` + failed.slice(0, 20).map((f) => `    ${f.key}: ${f.error}`).join('\n'),
        failed,
      );
    }
    return files.length;
  }
}

// A listing is a chain of pages of 1,000 keys, each waiting for the one before. Above a few
// pages it is cut into ranges listed side by side, at keys the space is expected to hold.
const LISTING_RANGES = 4;
const KEYS_PER_RANGE = 2_000;

/** listingSplits picks up to LISTING_RANGES - 1 split keys (relative to the listed prefix, byte order). */
export function listingSplits(expected: readonly { key: string }[], scope = ''): string[] {
  const base = scope ? `${scope.replace(/\/+$/, '')}/` : '';
  const keys = base ? expected.filter((e) => e.key.startsWith(base)) : expected;
  const ranges = Math.min(LISTING_RANGES, Math.floor(keys.length / KEYS_PER_RANGE));
  if (ranges < 2) return [];
  const splits: string[] = [];
  for (let i = 1; i < ranges; i++) splits.push(keys[Math.floor((keys.length * i) / ranges)]!.key.slice(base.length));
  return [...new Set(splits)].sort(byteOrder);
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
