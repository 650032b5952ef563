// march: planning as one pass over sorted streams (rclone's march) — the local folder with
// the hash cache's digests, the remote listing, and the state record's rows of the space —
// taken a batch at a time: the batch's files in doubt are hashed, then its pairs decided.
// What stays in memory is a batch, the changes and the counts, never a map of the layer.
import type { DigestName, Entry } from '../listing/entry.js';
import { sameContent } from '../listing/digest.js';
import type { FileRecord, RemoteRecord } from '../state/record.js';
import { sameRecord, sameRow, type Learnt } from '../state/transitions.js';
import { join, pairs, type Pair } from './match.js';
import type { Planner } from './plan.js';

/** Pairs decided together: large enough to keep the hashers busy, small against any layer. */
const BATCH = 1024;
/** Remote entries read ahead of a batch: one per pair, and the two the merges look ahead by. */
const AHEAD = BATCH + 2;

export interface MarchInput {
  planner: Planner;
  /** The local folder, in key order. */
  local: Iterable<Entry>;
  /** The remote listing, in key order: entries, or pages as they arrive (S3). */
  remote: Iterable<Entry> | AsyncIterable<Entry[]>;
  /** The hash cache in scope, in key order. */
  cache: Iterable<[string, FileRecord]>;
  /** What the space held at this working copy's last sync of it, in scope, in key order. */
  record: Iterable<[string, RemoteRecord]>;
  /** Whether the local folder exists (a missing one forgets nothing from the hash cache). */
  localExists: boolean;
  /** What the folder's basis space held for a key (given the space's own row); asked only where a decision needs it. */
  synced: (key: string, row: RemoteRecord | undefined) => RemoteRecord | undefined;
  /** Hashes local files, filling each entry's digests. */
  hashLocal: (wanted: { entry: Entry; names: DigestName[] }[]) => Promise<void>;
  /** Hashes the remote side of size-equal pairs that the listing gave no digests for (folder remotes). */
  hashRemote?: (entries: Entry[]) => Promise<void>;
}

export interface Marched {
  learnt: Learnt;
  /** Keys the hash cache has that the folder no longer holds. */
  forgotten: string[];
  /** Remote changes since this working copy's last sync of the space: a count and the first few, as `+ key`, `~ key`, `- key`. */
  sinceSync: { count: number; first: string[] };
}

const SHOWN = 20;

export async function march(input: MarchInput): Promise<Marched> {
  const { planner } = input;
  const learnt: Learnt = { put: [], gone: [] };
  const forgotten: string[] = [];
  const sinceSync = { count: 0, first: [] as string[] };
  const since = (line: string) => {
    if (sinceSync.count++ < SHOWN) sinceSync.first.push(line);
  };

  // A local file whose size and mtime are what the hash cache recorded has the hashes it had then.
  function* local(): Generator<Entry> {
    for (const [key, entry, cacheRow] of join(input.local, input.cache, (e) => e.key, first, 'local listing or hash cache')) {
      const cached = cacheRow?.[1];
      if (!entry) {
        if (input.localExists) forgotten.push(key);
        continue;
      }
      if (cached && cached.size === entry.size && cached.mtimeMs === entry.mtimeMs) entry.digests = { ...cached.digests };
      yield entry;
    }
  }

  // The merges are synchronous; pages that arrive over the network are awaited between batches.
  const ahead = Symbol.asyncIterator in input.remote ? new ReadAhead(input.remote) : undefined;
  const remote = ahead ?? (input.remote as Iterable<Entry>);
  await ahead?.fill(AHEAD);

  let batch: { pair: Pair; row: RemoteRecord | undefined }[] = [];
  const decide = async () => {
    if (input.hashRemote) {
      const doubtful = batch.flatMap(({ pair: { local: l, remote: r } }) => (l && r && l.size === r.size && !Object.keys(r.digests).length ? [r] : []));
      if (doubtful.length) await input.hashRemote(doubtful);
    }
    const wanted = batch.flatMap(({ pair }) => {
      const names = planner.wanted(pair);
      return names.length ? [{ entry: pair.local!, names }] : [];
    });
    if (wanted.length) await input.hashLocal(wanted);
    for (const { pair, row } of batch) {
      const item = planner.add(pair, () => input.synced(pair.key, row));
      if (item.kind === 'skip' && pair.local && pair.remote) {
        const next = sameRow(pair.local, pair.remote);
        if (!row || !sameRecord(row, next)) learnt.put.push([pair.key, next]);
      }
    }
    batch = [];
  };

  for (const [key, pair, recordRow] of join(pairs(local(), remote), input.record, (p) => p.key, first, 'listing or state record')) {
    const row = recordRow?.[1];
    if (!pair) {
      // The record knew it; neither side has it now.
      learnt.gone.push(key);
      since(`- ${key}`);
      continue;
    }
    const r = pair.remote;
    if (r) {
      // A remote file whose change tag is what it was at the last sync has the content it had then.
      if (row && r.tag && row.tag === r.tag && row.size === r.size) r.digests = { ...row.digests, ...r.digests };
      if (!row) since(`+ ${key}`);
      else if (row.size !== r.size || sameContent(row.digests, r.digests) === false) since(`~ ${key}`);
    } else if (row) since(`- ${key}`);
    batch.push({ pair, row });
    if (batch.length >= BATCH) {
      await decide();
      await ahead?.fill(AHEAD);
    }
  }
  await decide();
  return { learnt, forgotten, sinceSync };
}

const first = <T>(x: [string, T]) => x[0];

/**
 * ReadAhead: pages of an asynchronous listing, read into a buffer the synchronous merges take
 * entries from. The march fills it before each batch with more than the batch can take; a
 * buffer found empty mid-batch is a bug in that count, not a slow network.
 */
class ReadAhead implements Iterable<Entry> {
  private readonly pages: AsyncIterator<Entry[]>;
  private buffer: Entry[] = [];
  private at = 0;
  private done = false;

  constructor(pages: AsyncIterable<Entry[]>) {
    this.pages = pages[Symbol.asyncIterator]();
  }

  /** Reads pages until `n` entries are buffered or the listing ends. */
  async fill(n: number): Promise<void> {
    while (!this.done && this.buffer.length - this.at < n) {
      const page = await this.pages.next();
      if (page.done) this.done = true;
      else {
        this.buffer = this.at ? [...this.buffer.slice(this.at), ...page.value] : [...this.buffer, ...page.value];
        this.at = 0;
      }
    }
  }

  *[Symbol.iterator](): Generator<Entry> {
    try {
      for (;;) {
        if (this.at < this.buffer.length) yield this.buffer[this.at++]!;
        else if (this.done) return;
        else throw new Error('internal error: the remote listing was read past what was fetched; nothing was changed');
      }
    } finally {
      // Stopped early: let the listing stop reading ahead.
      if (!this.done) void this.pages.return?.();
    }
  }
}
