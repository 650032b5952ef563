// The head of a space's push journal — its newest record, claimed or finished — found in a
// constant number of requests however long the journal grows (two records per push, kept
// forever: listing them all made every sync cost more as history grew).
//
// A push claims record N+1 with a create-only write, so the records are numbered 1, 2, 3…
// without gaps (a claim is made only from a head that exists). After its claim a push writes
// a small pointer, `head.json`, naming its number. The pointer is only a hint, never the
// truth: it is written after the claim (a push killed in between leaves it one behind) and
// overwritten without a condition (of two pushers, the slower may set it back). So a lookup
// reads the pointer, then asks in one round trip whether record N exists and record N+1 does
// not: then N is the head (three requests). When N+1 exists the pointer is behind and the
// records after N are listed — only those, however many came before. No pointer (a journal
// written before it existed, or no journal yet), or a pointer naming a record that is not
// there (a journal removed or edited by hand), falls back to listing the whole journal, as
// before; the next push writes the pointer. A stale pointer costs a request, never a wrong
// head, so pushers need no lock around it.
import type { ObjectStore, StoredObject } from './object-store.js';

const SEQ_WIDTH = 10;
/** A record's name in the journal folder: its number, zero-padded so names sort as numbers. */
export const recordName = (seq: number) => `${String(seq).padStart(SEQ_WIDTH, '0')}.json`;
/** The done mark of record `seq`, beside it. */
export const doneName = (seq: number) => `${String(seq).padStart(SEQ_WIDTH, '0')}.done.json`;
/** The head pointer's name; it sorts after every record, and older Strata versions ignore it. */
export const POINTER_NAME = 'head.json';

const RECORD = /^(\d+)(\.done)?\.json$/;

/** What the pointer holds: the number of the newest claim its writer knew, and which push made it. */
interface Pointer {
  seq: number;
  id: string;
  writtenAt: string;
}

/** recordSeqs reads a journal listing: the record numbers, ascending, and which of them are done. */
export function recordSeqs(objects: readonly StoredObject[]): { seqs: number[]; done: Set<number> } {
  const seqs: number[] = [];
  const done = new Set<number>();
  for (const { key } of objects) {
    const m = RECORD.exec(key);
    if (m) (m[2] ? done.add(Number(m[1])) : seqs.push(Number(m[1])));
  }
  return { seqs: seqs.sort((a, b) => a - b), done };
}

/** findHead: the newest record number under `root` (the journal folder), or null when there is none. */
export async function findHead(store: ObjectStore, root: string): Promise<number | null> {
  const hint = await readPointer(store, root);
  if (hint !== null) {
    const [here, next] = await Promise.all([store.exists(`${root}/${recordName(hint)}`), store.exists(`${root}/${recordName(hint + 1)}`)]);
    if (here && !next) return hint;
    if (here) return Math.max(hint + 1, newest(await store.listAfter(root, recordName(hint))) ?? 0);
  }
  return newest(await store.list(root));
}

/**
 * writePointer points the journal's head at `seq`, just claimed by push `id`. Callers treat a
 * failure as harmless: a pointer left behind costs the next lookup one listing of the newer records.
 */
export async function writePointer(store: ObjectStore, root: string, seq: number, id: string): Promise<void> {
  const pointer: Pointer = { seq, id, writtenAt: new Date().toISOString() };
  await store.putText(`${root}/${POINTER_NAME}`, JSON.stringify(pointer));
}

/** readPointer: the number the pointer names, or null when there is none or it is not one Strata wrote. */
async function readPointer(store: ObjectStore, root: string): Promise<number | null> {
  const text = await store.getText(`${root}/${POINTER_NAME}`);
  if (!text) return null;
  try {
    const seq = (JSON.parse(text) as Partial<Pointer>).seq;
    return Number.isInteger(seq) && seq! >= 1 ? seq! : null;
  } catch {
    return null;
  }
}

function newest(objects: readonly StoredObject[]): number | null {
  const { seqs } = recordSeqs(objects);
  return seqs.length ? seqs[seqs.length - 1]! : null;
}
