// Kill points for the interruption tests (test/reliability/interrupt-*.test.ts): versions of
// a layer before and after a push, taps for the fault proxy that kill -9 Strata at an exact
// request (or after N bytes), and the checks every killed run must pass: the state record
// parses, every file is a whole old or a whole new version, nothing is lost, and the same
// recipe run again converges while a third run has nothing to do.
import fs from 'node:fs';
import { expect } from 'vitest';
import type { FaultProxy, ProxiedRequest, Tap } from './fault-proxy.js';
import type { Remote } from './remote.js';
import { bytes } from './reliability-kit.js';
import { assertOk, describeRun, type Running, type RunResult } from './run.js';
import { sha256 } from './tree.js';
import type { WorkingCopy } from './working-copy.js';

export const MiB = 1024 * 1024;
export type Files = Record<string, Buffer>;

/** v1: what the remote holds first. v2: the push under test changes two files (one multipart), adds two, deletes three. */
export function versions(big = 9 * MiB, newBig = 6 * MiB): { v1: Files; v2: Files } {
  const v1: Files = {
    'keep.csv': Buffer.from('keep\n'),
    'change.csv': Buffer.from('change v1\n'),
    'big.bin': bytes(big, 'big v1'),
    'gone-1.csv': Buffer.from('gone 1\n'),
    'gone-2.csv': Buffer.from('gone 2\n'),
    'gone-3.csv': Buffer.from('gone 3\n'),
  };
  for (let i = 1; i <= 4; i++) v1[`stay/s-${i}.csv`] = Buffer.from(`stay ${i}\n`);
  const v2: Files = { ...v1, 'change.csv': Buffer.from('change v2, longer\n'), 'big.bin': bytes(big, 'big v2'), 'new.csv': Buffer.from('new\n'), 'new-big.bin': bytes(newBig, 'new big') };
  for (const k of ['gone-1.csv', 'gone-2.csv', 'gone-3.csv']) delete v2[k];
  return { v1, v2 };
}

export const hashes = (files: Files) => Object.fromEntries(Object.entries(files).map(([k, v]) => [k, sha256(v)]));

export function setLocal(wc: WorkingCopy, files: Files) {
  wc.remove('data/processed');
  fs.mkdirSync(wc.path('data/processed'), { recursive: true });
  for (const [k, v] of Object.entries(files)) wc.write(`data/processed/${k}`, v);
}

/** Every file is a whole v1 or a whole v2 version, and no other key exists. */
export function expectOldOrNew(actual: Record<string, string>, v1: Files, v2: Files, where: string) {
  for (const [k, h] of Object.entries(actual)) {
    const allowed = [v1[k], v2[k]].filter(Boolean).map((b) => sha256(b!));
    expect(allowed, `${where}: ${k} is neither the old nor the new version (partial or mixed)`).toContain(h);
  }
}

/** The state record reads whole (or is absent). */
export function expectStateReadable(wc: WorkingCopy) {
  expect(() => wc.state(), 'the state record must be readable and whole after a kill').not.toThrow();
}

export interface KillPoint {
  name: string;
  /** Needs a multipart-sized big.bin (9 MiB: two 8 MiB parts); others use 1 MiB files, to stay fast. */
  multipart?: boolean;
  /** A tap that calls kill() at the point; `kill` resolves once the process is gone. */
  tap: (kill: () => Promise<void>) => Tap;
}

export const isJournalClaim = (r: ProxiedRequest) => r.method === 'PUT' && /\.strata\/journal\/.*\/\d{10}\.json$/.test(r.path.split('?')[0]);
export const isDoneRecord = (r: ProxiedRequest) => r.method === 'PUT' && /\.done\.json$/.test(r.path.split('?')[0]);
export const isHeadPointer = (r: ProxiedRequest) => r.method === 'PUT' && /\.strata\/journal\/.*\/head\.json$/.test(r.path.split('?')[0]);
export const isDataPut = (name?: string) => (r: ProxiedRequest) =>
  r.method === 'PUT' && /\/datastore\/(branches\/[^?]*\/)?processed\//.test(r.path) && (!name || r.path.split('?')[0].endsWith('/' + name));
export const isPart = (name: string) => (r: ProxiedRequest) => isDataPut(name)(r) && /[?&]partNumber=/.test(r.path);
export const isComplete = (name: string) => (r: ProxiedRequest) => r.method === 'POST' && r.path.split('?')[0].endsWith('/' + name) && /[?&]uploadId=/.test(r.path);
export const isBatchDelete = (r: ProxiedRequest) => r.method === 'POST' && /[?&]delete/.test(r.path);
export const isS3Get = (name: string) => (r: ProxiedRequest) => r.method === 'GET' && r.path.split('?')[0].endsWith('/' + name);

/** Kill when the request arrives; the server never sees it. */
export const killBefore = (match: (r: ProxiedRequest) => boolean) => (kill: () => Promise<void>): Tap => ({
  match,
  beforeForward: async (): Promise<'drop'> => {
    await kill();
    return 'drop';
  },
});
/** Kill after the server acted, before its answer reaches Strata. */
export const killAfterServer = (match: (r: ProxiedRequest) => boolean) => (kill: () => Promise<void>): Tap => ({
  match,
  afterServer: async () => {
    await kill();
  },
});
/** Kill once `n` request-body bytes of matching requests have reached the server. */
export const killAfterUploadBytes = (match: (r: ProxiedRequest) => boolean, n: number) => (kill: () => Promise<void>): Tap => {
  const seen = new Map<number, number>();
  let fired = false;
  return {
    match,
    onRequestBytes: (total, r) => {
      seen.set(r.id, total);
      if (!fired && [...seen.values()].reduce((x, y) => x + y, 0) >= n) {
        fired = true;
        void kill();
      }
    },
  };
};
/** Kill once `n` response-body bytes of matching requests have been relayed. */
export const killAfterDownloadBytes = (match: (r: ProxiedRequest) => boolean, n: number) => (kill: () => Promise<void>): Tap => {
  let fired = false;
  return {
    match,
    onResponseBytes: (total) => {
      if (!fired && total >= n) {
        fired = true;
        void kill();
      }
    },
  };
};

export const S3_PUSH_POINTS: KillPoint[] = [
  { name: 'journal claim sent, not yet written', tap: killBefore(isJournalClaim) },
  { name: 'journal claim written, answer not received', tap: killAfterServer(isJournalClaim) },
  { name: 'head pointer sent, not yet written (the pointer stays one behind)', tap: killBefore(isHeadPointer) },
  { name: 'head pointer written, answer not received', tap: killAfterServer(isHeadPointer) },
  { name: 'mid-upload of a small file', tap: killBefore(isDataPut('change.csv')) },
  { name: 'mid-multipart upload (4 MiB of parts at the server)', multipart: true, tap: killAfterUploadBytes(isPart('big.bin'), 4 * MiB) },
  { name: 'all parts sent, before CompleteMultipartUpload', multipart: true, tap: killBefore(isComplete('big.bin')) },
  { name: 'batch delete sent, not applied', tap: killBefore(isBatchDelete) },
  { name: 'batch delete applied, answer not received', tap: killAfterServer(isBatchDelete) },
  { name: 'done record sent, not written', tap: killBefore(isDoneRecord) },
  { name: 'done record written, state not yet saved', tap: killAfterServer(isDoneRecord) },
];

export const SUMMARY_NOTHING = /up 0 \(0 B\), down 0 \(0 B\), copied 0, deleted 0/;

/** Starts `args`, arms the tap, and returns the killed run's result (fails if the point was never reached). */
export async function runUntilKilled(proxy: FaultProxy | null, wc: WorkingCopy, args: string[], arm: (kill: () => Promise<void>) => Tap | (() => void)): Promise<RunResult> {
  let running: Running | undefined;
  const pending: (() => void)[] = [];
  const kill = async () => {
    if (running) await running.kill9();
    else await new Promise<void>((ok) => pending.push(() => void running!.kill9().then(ok)));
  };
  const armed = arm(kill);
  if (proxy && typeof armed !== 'function') proxy.taps.push(armed);
  running = wc.start(args);
  for (const p of pending.splice(0)) p();
  const r = await running.result;
  if (proxy) proxy.taps.length = 0;
  if (typeof armed === 'function') armed();
  expect(r.signal, `the kill point was never reached:\n${describeRun(r)}`).toBe('SIGKILL');
  return r;
}

/** After a killed push: invariants, then the re-run converges and a third run has nothing to do; a reader gets v2. */
export async function expectPushRecovers(a: WorkingCopy, b: WorkingCopy, remote: Remote, v1: Files, v2: Files) {
  expectStateReadable(a);
  expect(a.processed(), 'a push never changes local files').toEqual(hashes(v2));
  expectOldOrNew(await remote.layer(), v1, v2, 'remote after the kill');
  a.clearStaleLock();
  const again = assertOk(await a.run(['put-results']), 're-run of put-results after the kill');
  expect(await remote.layer(), describeRun(again)).toEqual(hashes(v2));
  const third = assertOk(await a.run(['put-results']), 'third put-results');
  expect(third.stdout).toMatch(SUMMARY_NOTHING);
  assertOk(await b.run(['get-results']), 'a reader pulls after the recovery');
  expect(b.processed()).toEqual(hashes(v2));
  expectStateReadable(a);
}

/** After a killed pull: invariants (nothing lost, nothing partial), then the re-run converges. */
export async function expectPullRecovers(b: WorkingCopy, v1: Files, v2: Files) {
  expectStateReadable(b);
  const local = b.processed();
  expectOldOrNew(local, v1, v2, 'local after the kill');
  const recycled = b.recycled();
  for (const [k, v] of Object.entries(v1)) {
    if (v2[k] && sha256(v2[k]) === sha256(v)) continue;
    const kept = local[k] === sha256(v) || recycled[`processed/${k}`] === sha256(v);
    expect(kept, `${k}: its old content is neither in place nor in the recycle folder (lost)`).toBe(true);
  }
  b.clearStaleLock();
  const again = assertOk(await b.run(['get-results']), 're-run of get-results after the kill (no --force)');
  expect(b.processed(), describeRun(again)).toEqual(hashes(v2));
  const third = assertOk(await b.run(['get-results']), 'third get-results');
  expect(third.stdout).toMatch(SUMMARY_NOTHING);
}


/**
 * killWhenFileAppears arms an fs.watch (inotify) on `dir` that kills `delayMs` after a file
 * whose name satisfies `pred(name, event)` shows up; returns the disarm function.
 */
export function killWhenFileAppears(dir: string, pred: (name: string, event: string) => boolean, delayMs = 0) {
  return (kill: () => Promise<void>) => {
    let fired = false;
    const w = fs.watch(dir, { recursive: false }, (event, name) => {
      if (!fired && name && pred(String(name), event)) {
        fired = true;
        setTimeout(() => void kill(), delayMs);
      }
    });
    return () => w.close();
  };
}
