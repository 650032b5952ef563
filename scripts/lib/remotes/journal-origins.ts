// Which push made the content an object store (S3, a folder) holds at each key, for `just
// which`: the newest journal record that wrote the key, checked against what the store holds
// now. A file that no record wrote, or that another tool (rclone, the AWS CLI) replaced after
// the last push that wrote it, is said to be theirs, never credited to a Strata push.
import { sameContent } from '../listing/digest.js';
import type { Entry } from '../listing/entry.js';
import type { Digests } from '../state/record.js';
import { logEntry, type JournalEntry, type JournalRecord } from './journal.js';
import type { Origin } from './types.js';

const NO_RECORD = 'no journal record puts this file: another tool (rclone, the AWS CLI, a copy by hand) wrote it';

/**
 * journalOrigins reads the history newest first, only as far as it takes to name every file.
 * `contentOf` gives the stored file's digests where its listing has none (a folder): asked
 * only when a record kept a digest to compare with.
 */
export async function journalOrigins(history: AsyncIterable<JournalEntry>, files: readonly Entry[], contentOf: (file: Entry) => Promise<Digests>): Promise<Map<string, Origin>> {
  const out = new Map<string, Origin>();
  const open = new Map(files.map((f) => [f.key, f]));
  if (!open.size) return out;
  for await (const entry of history) {
    for (const change of entry.record.changes) {
      const file = open.get(change.key);
      if (!file) continue;
      const origin = await judge(entry, change, file, contentOf);
      if (!origin) continue;
      out.set(file.key, origin);
      open.delete(file.key);
    }
    if (!open.size) break;
  }
  for (const file of open.values()) out.set(file.key, { foreign: NO_RECORD });
  return out;
}

/**
 * judge: what one push's change of a key says about the content stored there now, or null
 * to keep looking at older pushes. An interrupted push (no done mark) may have stopped
 * before that change, so a change it planned is trusted only when the content matches.
 */
async function judge(entry: JournalEntry, change: JournalRecord['changes'][number], file: Entry, contentOf: (file: Entry) => Promise<Digests>): Promise<Origin | null> {
  const push = logEntry(entry);
  const finished = entry.done !== null;
  if (change.op === 'delete') {
    // Deletes run last: an interrupted push may never have made this one.
    return finished ? { foreign: `push ${push.id} deleted it, and another tool wrote it again since` } : null;
  }
  const kept = entry.done?.written?.[change.key];
  let same: boolean | null = null;
  if (kept && Object.keys(kept).length) {
    if (!Object.keys(file.digests).length) Object.assign(file.digests, await contentOf(file));
    same = sameContent(kept, file.digests);
  }
  if (same === null && change.size === file.size) {
    return { push, note: finished ? 'matched by size only (the record keeps no content hash)' : `matched by size only (push ${push.id} was interrupted)` };
  }
  if (same) return { push };
  return finished ? { foreign: `it changed after push ${push.id} wrote it: another tool replaced it` } : null;
}
