// The push journal of a space on an object store: sequence-numbered records under
// PREFIX/.strata/journal/<branch>/<layer>/. A push first claims the next sequence number with
// a create-only write; of two pushers that start from the same head, exactly one claim
// succeeds, before either moves a byte. A `.done` record beside it marks the push finished.
// The head of a space is its latest record, found from a pointer beside the records
// (journal-head.ts); `just log` and `just which` read the records back from it by number,
// newest first, a page at a time, never listing the whole journal.
import pLimit from 'p-limit';
import { ConflictError, StrataError } from '../errors.js';
import { atOrUnder } from '../listing/keys.js';
import type { Digests } from '../state/record.js';
import type { PlanItem } from '../plan/plan.js';
import type { Space } from '../space.js';
import type { ObjectStore } from './object-store.js';
import { doneName, findHead, POINTER_NAME, recordName, recordSeqs, writePointer } from './journal-head.js';
import type { ChangeRecord, LogEntry, LogPage, LogQuery } from './types.js';

const seqKey = (space: Space, seq: number) => `${space.journalRoot}/${recordName(seq)}`;
const doneKey = (space: Space, seq: number) => `${space.journalRoot}/${doneName(seq)}`;

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
  /**
   * What each written key held when the push finished (one digest, see keptDigest), so that
   * `just which` can tell a file this push wrote from one another tool replaced since.
   * Records written before this field existed lack it.
   */
  written?: Record<string, Digests>;
}

/** One push as the journal holds it: its record, and its done mark when it finished. */
export interface JournalEntry {
  record: JournalRecord;
  done: JournalDone | null;
}

/** Records read at once when reading the journal back. */
const READERS = 8;

export class Journal {
  constructor(private readonly store: ObjectStore) {}

  /** The space's head: its latest sequence number, or null when nothing was ever pushed. */
  async head(space: Space): Promise<string | null> {
    const seq = await findHead(this.store, space.journalRoot);
    return seq === null ? null : String(seq);
  }

  /** record describes a push before it starts: who, from which commit, and every change it will make. */
  record(space: Space, seq: number, id: string, who: ChangeRecord, items: readonly PlanItem[]): JournalRecord {
    return {
      ...who,
      seq,
      id,
      space: space.id,
      startedAt: new Date().toISOString(),
      changes: items.map((i) => ({ op: i.kind === 'delete' ? 'delete' : i.kind === 'copy' ? 'copy' : 'put', key: i.key, size: i.local?.size })),
    };
  }

  /** claim takes the record's sequence number with a create-only write, or throws ConflictError when another push has it. */
  async claim(space: Space, record: JournalRecord): Promise<void> {
    // NOTE: if the answer to our create-only write was lost, a retry sees our own record (412):
    // that is not someone else's push.
    if (!(await this.store.putIfAbsent(seqKey(space, record.seq), JSON.stringify(record, null, 1))) && !(await this.owns(space, record, String(record.seq)))) {
      throw new ConflictError(
        `Someone else pushed to ${space.id}/ at the same moment (journal record ${record.seq} was taken first). Nothing was changed.`,
        'Run `just status` to see their changes, take them with `just get-results --keep` (your unshared files stay as they are), then push again.',
      );
    }
  }

  /** point moves the head pointer to a record this push just claimed (journal-head.ts: a hint, so a failure is harmless). */
  point(space: Space, seq: number, id: string): Promise<void> {
    return writePointer(this.store, space.journalRoot, seq, id);
  }

  /** finish marks a claimed push done, with what it moved and what each written key now holds (read once, as it is stored). */
  async finish(space: Space, seq: number, id: string, items: readonly PlanItem[], written: Iterable<[string, Digests]>): Promise<void> {
    const done: JournalDone = { seq, id, finishedAt: new Date().toISOString(), uploaded: 0, copied: 0, deleted: 0, bytes: 0, written: {} };
    for (const i of items) {
      if (i.kind === 'upload') {
        done.uploaded++;
        done.bytes += i.bytes;
      } else if (i.kind === 'copy') done.copied++;
      else if (i.kind === 'delete') done.deleted++;
    }
    for (const [key, d] of written) {
      const kept = keptDigest(d);
      // A folder's copy inside the store knows no digest: nothing is kept for it (its size is in the record).
      if (Object.keys(kept).length) done.written![key] = kept;
    }
    await this.store.putIfAbsent(doneKey(space, seq), JSON.stringify(done));
  }

  /** owns: the record at the head is this working copy's unfinished claim. */
  async owns(space: Space, pending: { seq: number; id: string }, head: string): Promise<boolean> {
    if (head !== String(pending.seq)) return false;
    const text = await this.store.getText(seqKey(space, pending.seq));
    return !!text && (JSON.parse(text) as JournalRecord).id === pending.id;
  }

  /** read: one push, its record and done mark read at once (null when the record is not there). */
  private async read(space: Space, seq: number): Promise<JournalEntry | null> {
    const [text, doneText] = await Promise.all([this.store.getText(seqKey(space, seq)), this.store.getText(doneKey(space, seq))]);
    return text ? { record: JSON.parse(text) as JournalRecord, done: doneText ? (JSON.parse(doneText) as JournalDone) : null } : null;
  }

  /**
   * newestFirst reads the space's pushes back from the newest (or from `head`, or from the
   * one before `below`), by number, `batch` at a time (READERS requests in flight), for as long as the
   * caller keeps asking: a page of the newest costs the head and that page, whatever the
   * journal's length.
   */
  async *newestFirst(space: Space, opts: { head?: string | null; below?: number; batch?: number } = {}): AsyncGenerator<JournalEntry> {
    // A head the caller already read (`just which` planned against it) is not looked up again.
    const head = opts.head !== undefined ? (opts.head === null ? null : Number(opts.head)) : await findHead(this.store, space.journalRoot);
    if (head === null) return;
    const batch = opts.batch ?? READERS;
    const limit = pLimit(READERS);
    let top = Math.min(head, (opts.below ?? Infinity) - 1);
    // Set when a whole batch of numbers was missing: then the listing says which records are left.
    let listed: number[] | null = null;
    while (top >= 1) {
      const seqs = listed ? listed.filter((s) => s <= top).slice(-batch).reverse() : Array.from({ length: Math.min(batch, top) }, (_, i) => top - i);
      if (!seqs.length) return;
      const page = await Promise.all(seqs.map((seq) => limit(() => this.read(space, seq))));
      if (!listed && page.every((e) => e === null)) {
        // NOTE: Strata numbers records without gaps; a run of missing ones means records were
        // removed by hand or a space was partly removed. Reading on by number could cost a
        // request per missing record, so the rest is read from one listing.
        listed = recordSeqs(await this.store.list(space.journalRoot)).seqs;
        continue;
      }
      for (const entry of page) if (entry) yield entry;
      top = seqs[seqs.length - 1]! - 1;
    }
  }

  /**
   * log: the newest `limit` pushes (older than `before`, a number `just log` showed), or with
   * `path` the newest that put, copied or deleted a key at or under it; `older` is what
   * `--before` takes to show the next page, null when there is nothing older to show.
   */
  async log(space: Space, query: LogQuery): Promise<LogPage> {
    const below = query.before === undefined ? undefined : journalNumber(query.before);
    // Unnarrowed, one more than the page is read: it says whether there is an older page.
    const wanted = query.path === undefined ? query.limit + 1 : query.limit;
    const found: JournalEntry[] = [];
    for await (const entry of this.newestFirst(space, { below, batch: query.path === undefined ? wanted : READERS * 2 })) {
      if (query.path !== undefined && !entry.record.changes.some((c) => atOrUnder(c.key, query.path!))) continue;
      found.push(entry);
      if (found.length >= wanted) break;
    }
    const shown = found.slice(0, query.limit);
    const last = shown[shown.length - 1]?.record.seq;
    // Narrowed, finding one more could mean reading the rest of the journal: a full page offers the next.
    const more = query.path === undefined ? found.length > query.limit : shown.length === query.limit && last! > 1;
    return { entries: shown.map(logEntry), older: more ? String(last) : null };
  }

  /**
   * remove deletes the space's journal: the head pointer first, so that a journal left
   * half-removed has no pointer naming a missing record (the listing then finds its head).
   */
  async remove(space: Space): Promise<{ key: string; error: string }[]> {
    const keys = (await this.store.list(space.journalRoot)).map((f) => `${space.journalRoot}/${f.key}`);
    const pointer = `${space.journalRoot}/${POINTER_NAME}`;
    const failed = keys.includes(pointer) ? await this.store.delete([pointer]) : [];
    return failed.length ? failed : this.store.delete(keys.filter((k) => k !== pointer));
  }
}

/** journalNumber reads `--before`: a record number as `just log` shows it (42 or #42). */
function journalNumber(before: string): number {
  const m = /^#?(\d+)$/.exec(before.trim());
  if (!m || Number(m[1]) < 1) {
    throw new StrataError(`--before ${before} is not a push number: on S3 and shared folders a push is a number (\`just log\` shows #42).`, 'Give the number from the `older:` line of `just log`, e.g. --before 42.', 2);
  }
  return Number(m[1]);
}

/** logEntry is one push as a history line (`just log`, `just which`). */
export function logEntry({ record, done }: JournalEntry): LogEntry {
  const { recipe, layer, branch, gitSha, dirty, user, host, tool, changes } = record;
  const puts = changes.filter((c) => c.op !== 'delete');
  return {
    recipe,
    layer,
    branch,
    gitSha,
    dirty,
    user,
    host,
    tool,
    id: `#${record.seq}`,
    time: done?.finishedAt ?? record.startedAt,
    title: `${recipe} ${layer}`,
    status: done ? 'done' : 'interrupted',
    uploaded: puts.length,
    deleted: changes.length - puts.length,
    bytes: puts.reduce((n, c) => n + (c.size ?? 0), 0),
  };
}

/**
 * keptDigest: the one digest a done record keeps of a written key, enough to compare with
 * what a listing gives later: the MD5 (a folder's hash, a single-part S3 ETag), else the
 * multipart ETag (for the part size it was uploaded with), else what there is.
 */
function keptDigest(d: Digests): Digests {
  if (d.md5) return { md5: d.md5 };
  const etags = Object.entries(d).filter(([name]) => name.startsWith('etag:'));
  return etags.length ? Object.fromEntries(etags) : { ...d };
}
