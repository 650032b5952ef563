// The push journal of a space on an object store: sequence-numbered records under
// PREFIX/.strata/journal/<branch>/<layer>/. A push first claims the next sequence number with
// a create-only write; of two pushers that start from the same head, exactly one claim
// succeeds, before either moves a byte. A `.done` record beside it marks the push finished.
// The head of a space is its latest record; `just log` reads the records back.
import { ConflictError } from '../errors.js';
import type { PlanItem } from '../plan/plan.js';
import type { Space } from '../space.js';
import type { ObjectStore } from './object-store.js';
import type { ChangeRecord, LogEntry } from './types.js';

const SEQ_WIDTH = 10;
const seqKey = (space: Space, seq: number) => `${space.journalRoot}/${String(seq).padStart(SEQ_WIDTH, '0')}.json`;
const doneKey = (space: Space, seq: number) => `${space.journalRoot}/${String(seq).padStart(SEQ_WIDTH, '0')}.done.json`;

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

export class Journal {
  constructor(private readonly store: ObjectStore) {}

  private async seqs(space: Space, withDone = false): Promise<number[]> {
    const keys = await this.store.list(space.journalRoot);
    const re = withDone ? /^(\d+)\.done\.json$/ : /^(\d+)\.json$/;
    return keys.map((k) => re.exec(k.key)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
  }

  /** The space's head: its latest sequence number, or null when nothing was ever pushed. */
  async head(space: Space): Promise<string | null> {
    const seqs = await this.seqs(space);
    return seqs.length ? String(seqs[seqs.length - 1]) : null;
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

  /** finish marks a claimed push done, with what it moved. */
  async finish(space: Space, seq: number, id: string, items: readonly PlanItem[]): Promise<void> {
    const done: JournalDone = {
      seq,
      id,
      finishedAt: new Date().toISOString(),
      uploaded: items.filter((i) => i.kind === 'upload').length,
      copied: items.filter((i) => i.kind === 'copy').length,
      deleted: items.filter((i) => i.kind === 'delete').length,
      bytes: items.filter((i) => i.kind === 'upload').reduce((n, i) => n + i.bytes, 0),
    };
    await this.store.putIfAbsent(doneKey(space, seq), JSON.stringify(done));
  }

  /** owns: the record at the head is this working copy's unfinished claim. */
  async owns(space: Space, pending: { seq: number; id: string }, head: string): Promise<boolean> {
    if (head !== String(pending.seq)) return false;
    const text = await this.store.getText(seqKey(space, pending.seq));
    return !!text && (JSON.parse(text) as JournalRecord).id === pending.id;
  }

  async log(space: Space, limit: number): Promise<LogEntry[]> {
    const seqs = await this.seqs(space);
    const done = new Set(await this.seqs(space, true));
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

  /** keys: every key of the space's journal, for removing the space. */
  async keys(space: Space): Promise<string[]> {
    return (await this.store.list(space.journalRoot)).map((f) => `${space.journalRoot}/${f.key}`);
  }
}
