// Which journal record made the content an object store holds (`just which` on S3 and
// folders): the newest record that wrote the key, checked against the stored content; an
// interrupted push is trusted only where the content matches; content no record wrote, or
// changed since, is another tool's. The history is read only as far as needed.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../scripts/lib/listing/entry.js';
import type { Digests } from '../../scripts/lib/state/record.js';
import type { JournalEntry, JournalRecord } from '../../scripts/lib/remotes/journal.js';
import { journalOrigins } from '../../scripts/lib/remotes/journal-origins.js';

const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');

/** A push as the journal holds it; `written` absent for a record from before done marks kept digests, `done` false for an interrupted push. */
function push(seq: number, user: string, changes: JournalRecord['changes'], opts: { done?: boolean; written?: Record<string, string> } = {}): JournalEntry {
  const record: JournalRecord = {
    seq,
    id: `id-${seq}`,
    space: 'file:///lab/branches/qc/processed',
    startedAt: `2026-11-2${seq}T10:00:00.000Z`,
    recipe: 'put-results',
    layer: 'processed',
    branch: 'qc',
    gitSha: String(seq).repeat(40),
    dirty: seq % 2 === 0,
    user,
    host: 'lab-ws',
    tool: 'strata 0.1.0',
    changes,
  };
  if (opts.done === false) return { record, done: null };
  const written = opts.written && Object.fromEntries(Object.entries(opts.written).map(([k, v]) => [k, { md5: md5(v) }]));
  return { record, done: { seq, id: record.id, finishedAt: `2026-11-2${seq}T10:00:05.000Z`, uploaded: changes.length, copied: 0, deleted: 0, bytes: 0, written } };
}

/** A stored file, with its listing's digest (S3) or none (a folder). */
const stored = (key: string, content: string, listed = true): Entry => ({ key, size: content.length, digests: listed ? { md5: md5(content) } : {} });

/** The history newest first, counting how many pushes were read. */
function history(newestFirst: JournalEntry[]) {
  const read = { count: 0 };
  async function* gen() {
    for (const e of newestFirst) {
      read.count++;
      yield e;
    }
  }
  return { gen: gen(), read };
}

describe('journalOrigins', () => {
  const p1 = push(1, 'ana', [{ op: 'put', key: 'a.csv', size: 3 }, { op: 'put', key: 'b.csv', size: 3 }, { op: 'put', key: 'old.csv', size: 4 }], { written: { 'a.csv': 'a1\n', 'b.csv': 'b1\n' } });
  const p2 = push(2, 'ben', [{ op: 'put', key: 'b.csv', size: 3 }, { op: 'delete', key: 'c.csv' }], { written: { 'b.csv': 'b2\n' } });
  // Interrupted before it wrote a.csv (its size would have been 5) or deleted b.csv.
  const p3 = push(3, 'cy', [{ op: 'put', key: 'a.csv', size: 5 }, { op: 'delete', key: 'b.csv' }], { done: false });

  it('names the newest push that wrote each file, and another tool where none did', async () => {
    const { gen } = history([p3, p2, p1]);
    const files = [stored('a.csv', 'a1\n'), stored('b.csv', 'b2\n'), stored('c.csv', 'cc\n'), stored('d.csv', 'dd\n'), stored('old.csv', 'old\n')];
    const origins = await journalOrigins(gen, files, async () => ({}));
    // The interrupted #3 planned a.csv and a delete of b.csv, but the content says it made neither.
    expect(origins.get('a.csv')?.push?.id).toBe('#1');
    expect(origins.get('a.csv')?.push?.user).toBe('ana');
    expect(origins.get('b.csv')?.push).toMatchObject({ id: '#2', user: 'ben', gitSha: '2'.repeat(40), dirty: true, branch: 'qc', recipe: 'put-results' });
    expect(origins.get('c.csv')).toEqual({ foreign: 'push #2 deleted it, and another tool wrote it again since' });
    expect(origins.get('d.csv')?.foreign).toMatch(/^no journal record puts this file/);
    // #1 kept no digest of old.csv: known by its size, and said so.
    expect(origins.get('old.csv')).toMatchObject({ push: { id: '#1' }, note: 'matched by size only (the record keeps no content hash)' });
  });

  it('says another tool replaced a file after the push that wrote it, even at the same size', async () => {
    const { gen } = history([p2, p1]);
    const origins = await journalOrigins(gen, [stored('b.csv', 'bX\n')], async () => ({}));
    expect(origins.get('b.csv')).toEqual({ foreign: 'it changed after push #2 wrote it: another tool replaced it' });
  });

  it('credits an interrupted push with what it did write', async () => {
    const { gen } = history([p3, p2, p1]);
    const origins = await journalOrigins(gen, [stored('a.csv', 'a3-x\n')], async () => ({}));
    expect(origins.get('a.csv')).toMatchObject({ push: { id: '#3', status: 'interrupted' }, note: 'matched by size only (push #3 was interrupted)' });
  });

  it('hashes a stored file only when a record kept a digest to compare with (a folder lists none)', async () => {
    const hashed: string[] = [];
    const contentOf = async (f: Entry): Promise<Digests> => {
      hashed.push(f.key);
      return { md5: md5(f.key === 'b.csv' ? 'b2\n' : 'old\n') };
    };
    const { gen } = history([p2, p1]);
    const origins = await journalOrigins(gen, [stored('b.csv', 'b2\n', false), stored('old.csv', 'old\n', false)], contentOf);
    expect(origins.get('b.csv')?.push?.id).toBe('#2');
    expect(origins.get('old.csv')?.push?.id).toBe('#1');
    expect(hashed).toEqual(['b.csv']);
  });

  it('takes an empty kept digest (a folder’s copy inside the store) for none: matched by size, nothing hashed', async () => {
    const copy = push(4, 'mia', [{ op: 'copy', key: 'e.csv', size: 3 }]);
    copy.done!.written = { 'e.csv': {} };
    const hashed: string[] = [];
    const { gen } = history([copy]);
    const origins = await journalOrigins(gen, [stored('e.csv', 'ee\n', false)], async (f) => (hashed.push(f.key), {}));
    expect(origins.get('e.csv')).toMatchObject({ push: { id: '#4', user: 'mia' }, note: 'matched by size only (the record keeps no content hash)' });
    expect(hashed).toEqual([]);
  });

  it('reads the history only as far as it takes', async () => {
    const { gen, read } = history([p2, p1]);
    await journalOrigins(gen, [stored('b.csv', 'b2\n')], async () => ({}));
    expect(read.count).toBe(1);
  });
});
