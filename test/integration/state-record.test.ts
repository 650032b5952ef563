// The state record's transitions (scripts/lib/state/transitions.ts), one row each, through real runs. What a pull
// or a push leaves in .strata/state/ is how the next run tells unshared work from files
// Strata put there, and a teammate's push from its own — so each field must move exactly
// when it should: the space's `head` (only after the whole space was seen), `scopeHeads`
// (a run folder's), `basis` (the space the folder was last made equal to), `pending` (a
// claimed, unfinished push), `revision` (a folder held at a past revision), the keys and
// contents the remote held, and the hash cache.
//
// The transitions are not pure functions: sync.ts's pull() and push() update the record in
// place between transfers and save it. So each row goes through the smallest real call —
// one pull() or push() of processed/, in-process, on a plain-folder remote (the revision rows
// need history: the Hub emulator) — and reads back the record as saved.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Digests } from '../../scripts/lib/state/record.js';
import type { StateSnapshot } from '../../scripts/lib/state/store.js';
import { openBackend } from '../../scripts/lib/remotes/index.js';
import type { Prepared } from '../../scripts/lib/prepare.js';
import type { PullOptions, PushOptions } from '../support/in-process.js';
import { fileRemote, hubRemote, type Remote } from '../support/remote.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

/** Two working copies of one project: `a` makes the transition under test, `b` is the teammate. */
interface World {
  remote: Remote;
  a: WorkingCopy;
  b: WorkingCopy;
  /** Values a row's history produced (a commit id) for the transition to use. */
  memo: Record<string, string>;
}

type Step = { op: 'pull'; opts?: PullOptions } | { op: 'push'; opts?: PushOptions };

interface Expected {
  /** The space's head: the one the remote reports now, or the one recorded before the call. */
  head: 'remote' | 'before';
  /** Run folders whose own head is the remote's now (absent: no scopeHeads). */
  scopeHeads?: string[];
  /** `basis`: the synced space, or what it was before. */
  basis: 'this space' | 'before';
  /** A claimed push left unfinished. */
  pending: boolean;
  /** The content the record says the remote holds, by key (exactly these keys). */
  remote: Record<string, string>;
  /** Keys of the hash cache, and the content it records for some. */
  files: string[];
  fileContents?: Record<string, string>;
  syncedAt: 'updated' | 'before';
  /** `revision`: the past revision the folder holds (by its memo name), or none. */
  revision?: string;
  /** The call ends with this error (its class name). */
  throws?: string;
}

interface Row {
  transition: string;
  kind?: 'file' | 'hf';
  /** The history before the transition. */
  given: (w: World) => Promise<void>;
  /** The transition: one pull or push by `a`. */
  when: (w: World) => Step;
  then: Expected;
}

const write = (wc: WorkingCopy, files: Record<string, string>) => Object.entries(files).forEach(([k, v]) => wc.write(`data/processed/${k}`, v));
/** b publishes `files` on main and a pulls them: both start from one full sync. */
async function seed(w: World, files: Record<string, string>) {
  write(w.b, files);
  await w.b.pushLayer();
  await w.a.pullLayer();
}

const ROWS: Row[] = [
  // ─── pull ──────────────────────────────────────────────────────────────────────────
  {
    transition: 'pull of a whole space: its head, basis, every key the remote holds, their hashes',
    given: async (w) => {
      write(w.b, { 'x.csv': 'x1', 'run/y.csv': 'y1' });
      await w.b.pushLayer();
    },
    when: () => ({ op: 'pull' }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'x.csv': 'x1', 'run/y.csv': 'y1' }, files: ['run/y.csv', 'x.csv'], syncedAt: 'updated' },
  },
  {
    transition: "pull of one run folder: that folder's head only; keys outside it keep what the last full sync saw",
    given: async (w) => {
      await seed(w, { 'run1/x.csv': 'x1', 'run2/y.csv': 'y1' });
      write(w.b, { 'run1/x.csv': 'x2', 'run2/y.csv': 'y2' });
      await w.b.pushLayer();
    },
    when: () => ({ op: 'pull', opts: { scope: 'run1' } }),
    then: { head: 'before', scopeHeads: ['run1'], basis: 'before', pending: false, remote: { 'run1/x.csv': 'x2', 'run2/y.csv': 'y1' }, files: ['run1/x.csv', 'run2/y.csv'], fileContents: { 'run2/y.csv': 'y1' }, syncedAt: 'updated' },
  },
  {
    transition: "pull whose download fails: head, basis and time stay; what it got is recorded, the rest as the last sync saw it",
    given: async (w) => {
      await seed(w, { 'x.csv': 'x1', 'y.csv': 'y1' });
      write(w.b, { 'x.csv': 'x2', 'z.csv': 'z1' });
      // y.csv's recycle is skipped after the failure: the record must still know it, or the next pull calls it unshared work.
      w.b.remove('data/processed/y.csv');
      await w.b.pushLayer();
    },
    // Planned with z.csv, which another tool removes before the download.
    when: (w) => ({ op: 'pull', opts: { beforeApply: async () => void (await removeFromRemote(w, 'z.csv')) } }),
    then: { head: 'before', basis: 'before', pending: false, remote: { 'x.csv': 'x2', 'y.csv': 'y1' }, files: ['x.csv', 'y.csv'], fileContents: { 'y.csv': 'y1' }, syncedAt: 'before' },
  },
  {
    transition: "pull of the whole space after a pull of one run folder: the folder's own head goes",
    given: async (w) => {
      await seed(w, { 'run1/x.csv': 'x1', 'run2/y.csv': 'y1' });
      write(w.b, { 'run2/y.csv': 'y2' });
      await w.b.pushLayer();
      await w.a.pullLayer('processed', { scope: 'run1' });
    },
    when: () => ({ op: 'pull' }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'run1/x.csv': 'x1', 'run2/y.csv': 'y2' }, files: ['run1/x.csv', 'run2/y.csv'], fileContents: { 'run1/x.csv': 'x1' }, syncedAt: 'updated' },
  },
  {
    transition: 'pull that recycles a file the remote no longer has: its key leaves the record and the hash cache',
    given: async (w) => {
      await seed(w, { 'x.csv': 'x1', 'y.csv': 'y1' });
      w.b.remove('data/processed/y.csv');
      await w.b.pushLayer();
    },
    when: () => ({ op: 'pull' }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'x.csv': 'x1' }, files: ['x.csv'], syncedAt: 'updated' },
  },
  {
    transition: "pull --keep over a teammate's change: the record holds the remote's content, the cache the kept local one",
    given: async (w) => {
      await seed(w, { 'x.csv': 'x1', 'y.csv': 'y1' });
      // All three the same size: only their hashes tell them apart.
      write(w.a, { 'x.csv': 'm2' });
      write(w.b, { 'x.csv': 't2' });
      await w.b.pushLayer();
    },
    when: () => ({ op: 'pull', opts: { keep: true } }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'x.csv': 't2', 'y.csv': 'y1' }, files: ['x.csv', 'y.csv'], fileContents: { 'x.csv': 'm2' }, syncedAt: 'updated' },
  },
  {
    transition: "pull of another branch's space (get-results-from): that space becomes the basis",
    given: async (w) => {
      await seed(w, { 'x.csv': 'x1' });
      w.b.git('switch', '-q', '-c', 'feature');
      write(w.b, { 'f.csv': 'f1' });
      await w.b.pushLayer();
    },
    when: () => ({ op: 'pull', opts: { branch: 'feature' } }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'x.csv': 'x1', 'f.csv': 'f1' }, files: ['f.csv', 'x.csv'], syncedAt: 'updated' },
  },
  // ─── push ──────────────────────────────────────────────────────────────────────────
  {
    transition: 'first push: the new head, basis, every local key with the hashes computed on the way',
    given: async (w) => write(w.a, { 'x.csv': 'x1', 'run/y.csv': 'y1' }),
    when: () => ({ op: 'push' }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'x.csv': 'x1', 'run/y.csv': 'y1' }, files: ['run/y.csv', 'x.csv'], fileContents: { 'x.csv': 'x1' }, syncedAt: 'updated' },
  },
  {
    transition: 'push with nothing to change: no journal record, the sync remembered',
    given: async (w) => seed(w, { 'x.csv': 'x1' }),
    when: () => ({ op: 'push' }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'x.csv': 'x1' }, files: ['x.csv'], syncedAt: 'updated' },
  },
  {
    transition: 'push whose upload fails: head and record stay, the claim stays pending, what did upload is cached',
    given: async (w) => {
      await seed(w, { 'x.csv': 'x1' });
      write(w.a, { 'y.csv': 'y1', 'z.csv': 'z1' });
      await blockWrite(w, 'z.csv');
    },
    when: () => ({ op: 'push' }),
    then: { throws: 'TransferError', head: 'before', basis: 'before', pending: true, remote: { 'x.csv': 'x1' }, files: ['x.csv', 'y.csv'], fileContents: { 'y.csv': 'y1' }, syncedAt: 'before' },
  },
  {
    transition: 'the re-run of a failed push continues its claim: head advances, no claim left',
    given: async (w) => {
      await seed(w, { 'x.csv': 'x1' });
      write(w.a, { 'y.csv': 'y1', 'z.csv': 'z1' });
      await blockWrite(w, 'z.csv');
      await expect(w.a.pushLayer()).rejects.toThrow(/did not transfer/);
      await unblockWrites(w);
    },
    when: () => ({ op: 'push' }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'x.csv': 'x1', 'y.csv': 'y1', 'z.csv': 'z1' }, files: ['x.csv', 'y.csv', 'z.csv'], syncedAt: 'updated' },
  },
  {
    transition: 'push of one run folder from a copy that saw the whole space: the space head advances',
    given: async (w) => {
      await seed(w, { 'run1/x.csv': 'x1', 'run2/y.csv': 'y1' });
      write(w.a, { 'run1/x.csv': 'x2' });
    },
    when: () => ({ op: 'push', opts: { scope: 'run1' } }),
    then: { head: 'remote', basis: 'before', pending: false, remote: { 'run1/x.csv': 'x2', 'run2/y.csv': 'y1' }, files: ['run1/x.csv', 'run2/y.csv'], syncedAt: 'updated' },
  },
  {
    transition: "push of one run folder after a pull of that folder only: that folder's head, never the space's",
    given: async (w) => {
      await seed(w, { 'run1/x.csv': 'x1', 'run2/y.csv': 'y1' });
      write(w.b, { 'run2/y.csv': 'y2' });
      await w.b.pushLayer();
      await w.a.pullLayer('processed', { scope: 'run1' });
      write(w.a, { 'run1/x.csv': 'x2' });
    },
    when: () => ({ op: 'push', opts: { scope: 'run1' } }),
    then: { head: 'before', scopeHeads: ['run1'], basis: 'before', pending: false, remote: { 'run1/x.csv': 'x2', 'run2/y.csv': 'y1' }, files: ['run1/x.csv', 'run2/y.csv'], syncedAt: 'updated' },
  },
  {
    transition: "push of the whole space after a pull of one run folder: the folder's own head goes",
    given: async (w) => {
      await seed(w, { 'run1/x.csv': 'x1', 'run2/y.csv': 'y1' });
      await w.a.pullLayer('processed', { scope: 'run1' });
      write(w.a, { 'run2/y.csv': 'y2' });
    },
    when: () => ({ op: 'push' }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'run1/x.csv': 'x1', 'run2/y.csv': 'y2' }, files: ['run1/x.csv', 'run2/y.csv'], fileContents: { 'run2/y.csv': 'y2' }, syncedAt: 'updated' },
  },
  // ─── revisions (Hub) ───────────────────────────────────────────────────────────────
  {
    transition: 'pull at a past revision (get-results-at): the folder is marked as holding it',
    kind: 'hf',
    given: async (w) => {
      await seed(w, { 'x.csv': 'v1' });
      w.memo.v1 = headOf(w.b);
      write(w.b, { 'x.csv': 'v2', 'y.csv': 'y2' });
      await w.b.pushLayer();
    },
    when: (w) => ({ op: 'pull', opts: { revision: w.memo.v1 } }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'x.csv': 'v1' }, files: ['x.csv'], syncedAt: 'updated', revision: 'v1' },
  },
  {
    transition: 'pull of the branch head after a past revision: the mark goes',
    kind: 'hf',
    given: async (w) => {
      await seed(w, { 'x.csv': 'v1' });
      const v1 = headOf(w.b);
      write(w.b, { 'x.csv': 'v2' });
      await w.b.pushLayer();
      await w.a.pullLayer('processed', { revision: v1 });
    },
    when: () => ({ op: 'pull' }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'x.csv': 'v2' }, files: ['x.csv'], syncedAt: 'updated' },
  },
  {
    transition: 'a forced push from a past revision (the branch rolled back to it): the mark goes',
    kind: 'hf',
    given: async (w) => {
      await seed(w, { 'x.csv': 'v1' });
      const v1 = headOf(w.b);
      write(w.b, { 'x.csv': 'v2' });
      await w.b.pushLayer();
      await w.a.pullLayer('processed', { revision: v1 });
    },
    when: () => ({ op: 'push', opts: { force: true } }),
    then: { head: 'remote', basis: 'this space', pending: false, remote: { 'x.csv': 'v1' }, files: ['x.csv'], syncedAt: 'updated' },
  },
];

// ─── What a row's history needs from the remote ────────────────────────────────────────

/** Another tool removes a layer file from the remote (a folder remote's file). */
async function removeFromRemote(w: World, key: string) {
  if (w.remote.kind !== 'file') throw new Error('removeFromRemote: folder remotes only');
  fs.rmSync(w.remote.abs(`${w.remote.space()}/${key}`));
}
async function blockWrite(w: World, key: string) {
  if (w.remote.kind !== 'file') throw new Error('blockWrite: folder remotes only');
  await w.remote.blockWrite(key);
}
async function unblockWrites(w: World) {
  if (w.remote.kind === 'file') await w.remote.unblockWrites();
}
/** The head a working copy's last full sync of main's processed/ recorded (a Hub commit id). */
function headOf(wc: WorkingCopy): string {
  const record = Object.values(wc.state()!.spaces).find((s) => s.head);
  if (!record?.head) throw new Error('headOf: no head recorded');
  return record.head;
}

// ─── The check ─────────────────────────────────────────────────────────────────────────

const hash = (algorithm: string, ...parts: string[]) => parts.reduce((h, p) => h.update(p), createHash(algorithm)).digest('hex');
/** The digests name this content: every digest recorded is this content's (a folder records MD5, the Hub SHA-256 or git blob SHA-1). */
function names(digests: Digests, content: string): boolean {
  const of: Record<string, string> = { md5: hash('md5', content), sha256: hash('sha256', content), gitsha1: hash('sha1', `blob ${Buffer.byteLength(content)}\0`, content) };
  const known = Object.keys(digests).filter((d) => d in of);
  return known.length > 0 && known.every((d) => digests[d as keyof Digests] === of[d]);
}

describe('state record: one row per transition', () => {
  it.each(ROWS)('$transition', async (row) => {
    const remote = row.kind === 'hf' ? hubRemote(inject('hub')) : fileRemote();
    const w: World = { remote, a: workingCopy(remote, { user: 'ana' }), b: workingCopy(remote, { user: 'ben' }), memo: {} };
    await row.given(w);
    const before: StateSnapshot = w.a.state() ?? { files: {}, spaces: {} };

    const step = row.when(w);
    // The plan the call applies: its space is the record under test.
    let p: Prepared | undefined;
    const opts = { ...step.opts, beforeApply: async (x: Prepared) => ((p = x), await step.opts?.beforeApply?.(x)) };
    let error: unknown;
    try {
      await (step.op === 'pull' ? w.a.pullLayer('processed', opts) : w.a.pushLayer('processed', opts));
    } catch (e) {
      error = e;
    }
    const t = row.then;
    if (t.throws) expect((error as Error)?.constructor?.name, String(error)).toBe(t.throws);
    else expect(error).toBeUndefined();
    expect(p, 'the call got as far as applying its plan').toBeDefined();

    const after = w.a.state()!;
    const id = p!.space.id;
    const was: Partial<StateSnapshot['spaces'][string]> = before.spaces[id] ?? {};
    const now = after.spaces[id]!;
    const ctx = await w.a.open();
    const remoteHead = await (await openBackend(p!.space.remote, ctx.config)).head(p!.space);

    expect(now.head, 'head').toBe(t.head === 'remote' ? remoteHead : (was.head ?? null));
    expect(now.scopeHeads, 'scopeHeads').toEqual(t.scopeHeads ? Object.fromEntries(t.scopeHeads.map((s) => [s, remoteHead])) : undefined);
    expect(after.basis, 'basis').toBe(t.basis === 'this space' ? id : before.basis);
    expect(now.pending !== undefined, 'pending').toBe(t.pending);
    if (t.pending) expect(now.pending).toMatchObject({ seq: expect.any(Number), id: expect.any(String) });
    expect(Object.keys(now.remote).sort(), 'keys the remote holds').toEqual(Object.keys(t.remote).sort());
    for (const [key, content] of Object.entries(t.remote)) expect(names(now.remote[key]!.digests, content), `the record says the remote's ${key} is "${content}": ${JSON.stringify(now.remote[key])}`).toBe(true);
    expect(Object.keys(after.files).sort(), 'hash cache').toEqual([...t.files].sort());
    for (const [key, content] of Object.entries(t.fileContents ?? {})) expect(names(after.files[key]!.digests, content), `the cached hash of ${key} is "${content}": ${JSON.stringify(after.files[key])}`).toBe(true);
    if (t.syncedAt === 'updated') expect(now.syncedAt, 'syncedAt').not.toBe(was.syncedAt);
    else expect(now.syncedAt, 'syncedAt').toBe(was.syncedAt);
    if (t.revision) expect(after.revision).toMatchObject({ rev: w.memo[t.revision], commit: w.memo[t.revision], branch: 'main' });
    else expect(after.revision, 'revision').toBeUndefined();
  });
});
