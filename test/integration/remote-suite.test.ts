// One suite every remote passes: a real Ceph RGW (started by the globalSetup) and a plain
// folder. It drives the library the recipes use (prepare → pull/push) in temp git repos.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBucket } from '../support/ceph.js';
import { childEnv } from '../support/env.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { openInProcess } from '../support/in-process.js';
import { assertOk, runSync } from '../support/run.js';
import { tree as treeOf } from '../support/tree.js';
import type { RunContext } from '../../scripts/lib/context.js';
import { ConflictError } from '../../scripts/lib/errors.js';
import { checkPush } from '../../scripts/lib/guards.js';
import { prepare, pull, push, type Prepared } from '../../scripts/lib/sync.js';
import { openBackend } from '../../scripts/lib/remotes/index.js';
import type { TransferEvents } from '../../scripts/lib/remotes/types.js';
import { layerByName } from '../../scripts/lib/config/layers.js';
import { spaceFor } from '../../scripts/lib/space.js';
import { S3Store } from '../../scripts/lib/remotes/s3.js';

const quiet: TransferEvents = { start() {}, done() {}, failed() {}, bytes() {}, info() {} };
const tmpdirs: string[] = [];
afterEach(() => {
  for (const d of tmpdirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(prefix: string) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpdirs.push(d);
  return d;
}

interface RemoteKind {
  name: 'file' | 's3' | 'hf';
  /** strata.yaml lines naming the remote(s): processed/ lands on the remote under test. */
  url: () => Promise<string>;
  env: () => string;
}

let bucketCounter = 0;
const kinds: RemoteKind[] = [
  { name: 'file', url: async () => `file://${tmp('strata-remote-')}`, env: () => '' },
  {
    name: 's3',
    url: async () => {
      const bucket = `suite-${process.pid}-${++bucketCounter}-${crypto.randomBytes(3).toString('hex')}`;
      await createBucket(inject('s3'), bucket);
      return `s3://${bucket}/projects/demo/datastore`;
    },
    env: () => {
      const s3 = inject('s3');
      return `AWS_ENDPOINT_URL_S3=${s3.endpoint}\nAWS_ACCESS_KEY_ID=${s3.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${s3.secretAccessKey}\nAWS_REGION=${s3.region}\n`;
    },
  },
  {
    name: 'hf',
    // Inputs stay on a folder; processed/ (the layer these tests sync) is on the Hub emulator.
    url: async () => `file://${tmp('strata-remote-')}\nhub: hf://datasets/lab/suite-${++bucketCounter}-${crypto.randomBytes(3).toString('hex')}`,
    env: () => `HF_ENDPOINT=${inject('hub').url}\nHF_TOKEN=${inject('hub').token}\n`,
  },
];

function git(dir: string, ...args: string[]) {
  return assertOk(runSync('git', args, { cwd: dir, env: childEnv() })).stdout;
}

/** A working copy: a git repo with strata.yaml and .env pointing at the remote. */
async function workingCopy(url: string, env: string, role = 'maintainer'): Promise<string> {
  const dir = tmp('strata-wc-');
  git(dir, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'strata.yaml'), `remote: ${url}\n`);
  fs.writeFileSync(path.join(dir, '.env'), env + `STRATA_ROLE=${role}\n`);
  fs.writeFileSync(path.join(dir, '.gitignore'), 'data/\n.env\n.strata/\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
  return dir;
}

function write(dir: string, rel: string, data: string | Buffer) {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
}

/** The settings come from the working copy's .env: the environment Strata sees holds none of the developer's. */
async function ctxFor(dir: string): Promise<RunContext> {
  return openInProcess(dir);
}

async function doPush(dir: string, layer = 'processed', branch?: string): Promise<Prepared> {
  const ctx = await ctxFor(dir);
  const p = await prepare(ctx, layerByName(ctx.config, layer), 'push', { branch: branch ?? ctx.git.branch ?? 'main' });
  const base = await checkPush(ctx, p, false, () => undefined);
  await push(ctx, p, base, { recipe: 'test', events: quiet });
  return p;
}

async function doPull(dir: string, layer = 'processed', opts: { force?: boolean; branch?: string } = {}): Promise<Prepared> {
  const ctx = await ctxFor(dir);
  const p = await prepare(ctx, layerByName(ctx.config, layer), 'pull', { branch: opts.branch ?? ctx.git.branch ?? 'main', fallbackToMain: true });
  await pull(ctx, p, { dryRun: false, force: !!opts.force, events: quiet });
  return p;
}

/** Everything under dir, temp files and .gitkeep included: what a sync left there. */
const tree = (dir: string) => treeOf(dir, { withTemp: true, withGitkeep: true });

const kindsOf = (p: Prepared) => p.plan.items.map((i) => i.kind).sort().join(',');

describe.each(kinds)('remote: $name', (kind) => {
  let url: string;
  let env: string;
  beforeAll(async () => {
    env = kind.env();
  });

  it('round-trips every kind of file, and a second sync does nothing', async () => {
    url = await kind.url();
    const a = await workingCopy(url, env);
    const big = crypto.randomBytes(12 * 1024 * 1024 + 7);
    write(a, 'data/processed/run 1/résumé+x.csv', 'a,b\n1,2\n');
    write(a, 'data/processed/run 1/empty.csv', '');
    write(a, 'data/processed/big/matrix.parquet', big);
    write(a, 'data/processed/.DS_Store', 'junk');
    const first = await doPush(a);
    expect(kindsOf(first)).toBe('upload,upload,upload');

    const b = await workingCopy(url, env);
    const pulled = await doPull(b);
    expect(kindsOf(pulled)).toBe('download,download,download');
    const wantTree = tree(path.join(a, 'data/processed'));
    delete wantTree['.DS_Store'];
    expect(tree(path.join(b, 'data/processed'))).toEqual(wantTree);

    // Nothing to do: both directions plan only skips, and nothing is hashed again.
    const again = await doPull(b);
    expect(kindsOf(again)).toBe('skip,skip,skip');
    const againPush = await doPush(a);
    expect(kindsOf(againPush)).toBe('skip,skip,skip');
  });

  it('exact-syncs deletions both ways, recycling on pull', async () => {
    url = await kind.url();
    const a = await workingCopy(url, env);
    for (const n of ['1', '2', '3', '4']) write(a, `data/processed/f${n}.csv`, n);
    await doPush(a);
    const b = await workingCopy(url, env);
    await doPull(b);
    fs.rmSync(path.join(a, 'data/processed/f1.csv'));
    write(a, 'data/processed/f2.csv', 'changed');
    const p = await doPush(a);
    expect(p.plan.items.filter((i) => i.kind !== 'skip').map((i) => `${i.kind} ${i.key}`)).toEqual(['delete f1.csv', 'upload f2.csv']);
    await doPull(b);
    expect(Object.keys(tree(path.join(b, 'data/processed'))).sort()).toEqual(['f2.csv', 'f3.csv', 'f4.csv']);
    expect(fs.readFileSync(path.join(b, 'data/processed/f2.csv'), 'utf8')).toBe('changed');
    const recycled = tree(path.join(b, 'data/_recycle'));
    expect(Object.keys(recycled).map((k) => k.split('/').slice(1).join('/')).sort()).toEqual(['processed/f1.csv', 'processed/f2.csv']);
  });

  it('lets exactly one of two pushers from the same head win', async () => {
    url = await kind.url();
    const a = await workingCopy(url, env);
    write(a, 'data/processed/base.csv', 'base');
    await doPush(a);
    const b = await workingCopy(url, env);
    await doPull(b);
    write(a, 'data/processed/a.csv', 'from a');
    write(b, 'data/processed/b.csv', 'from b');
    const results = await Promise.allSettled([doPush(a), doPush(b)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toBeInstanceOf(ConflictError);
    // The remote holds exactly the winner's files.
    const c = await workingCopy(url, env);
    await doPull(c);
    const files = Object.keys(tree(path.join(c, 'data/processed'))).sort();
    expect([['a.csv', 'base.csv'], ['b.csv', 'base.csv']]).toContainEqual(files);
    // The loser is told again on a plain retry, and succeeds after pulling (with --force for its unshared file).
    const loser = results[0].status === 'rejected' ? a : b;
    await expect(doPush(loser)).rejects.toBeInstanceOf(ConflictError);
  });

  it('starts a branch space from main without uploading equal files again', async () => {
    url = await kind.url();
    const a = await workingCopy(url, env);
    write(a, 'data/processed/shared.csv', 'same on both');
    write(a, 'data/processed/other.csv', 'main only');
    await doPush(a);
    git(a, 'switch', '-q', '-c', 'feature/x');
    write(a, 'data/processed/new.csv', 'branch only');
    fs.rmSync(path.join(a, 'data/processed/other.csv'));
    const p = await doPush(a);
    if (kind.name === 'hf') {
      // The Hub branch is created from main, so the plan is made against main's files.
      expect(p.space.branch).toBe('feature/x');
      expect(p.plan.items.map((i) => `${i.kind} ${i.key}`)).toEqual(['upload new.csv', 'delete other.csv', 'skip shared.csv']);
    } else {
      expect(p.space.root).toContain('branches/feature/x/processed');
      expect(p.plan.items.map((i) => `${i.kind} ${i.key}`)).toEqual(['upload new.csv', 'copy shared.csv']);
    }
    // Main is untouched; the branch reads back exactly.
    const b = await workingCopy(url, env);
    await doPull(b);
    expect(Object.keys(tree(path.join(b, 'data/processed'))).sort()).toEqual(['other.csv', 'shared.csv']);
    const c = await workingCopy(url, env);
    await doPull(c, 'processed', { branch: 'feature/x' });
    expect(Object.keys(tree(path.join(c, 'data/processed'))).sort()).toEqual(['new.csv', 'shared.csv']);
  });

  it('falls back to main for a branch with no space yet', async () => {
    url = await kind.url();
    const a = await workingCopy(url, env);
    write(a, 'data/processed/m.csv', 'main');
    await doPush(a);
    const b = await workingCopy(url, env);
    const p = await doPull(b, 'processed', { branch: 'no-such-branch' });
    expect(p.fellBackFrom?.branch).toBe('no-such-branch');
    expect(p.space.isMain).toBe(true);
    expect(fs.existsSync(path.join(b, 'data/processed/m.csv'))).toBe(true);
  });

  it('records every push in the journal with the git commit', async () => {
    url = await kind.url();
    const a = await workingCopy(url, env);
    write(a, 'data/processed/x.csv', 'x');
    await doPush(a);
    write(a, 'data/processed/y.csv', 'y');
    await doPush(a);
    const ctx = await ctxFor(a);
    const layer = layerByName(ctx.config, 'processed');
    const space = spaceFor(layer, 'main', 'main');
    const backend = await openBackend(space.remote, ctx.config);
    const log = (await backend.log(space, 10)).filter((l) => l.recipe === 'test');
    expect(log).toHaveLength(2);
    if (kind.name !== 'hf') expect(log.map((l) => l.id)).toEqual(['#2', '#1']);
    expect(log[0].gitSha).toBe(git(a, 'rev-parse', 'HEAD').trim());
    expect(log[0]).toMatchObject({ status: 'done', uploaded: 1, recipe: 'test', layer: 'processed' });
  });
});

describe('remote: s3 only', () => {
  it('costs one data listing and one journal listing when there is nothing to do', async () => {
    const s3 = inject('s3');
    const bucket = `noop-${crypto.randomBytes(4).toString('hex')}`;
    await createBucket(s3, bucket);
    // Requests are counted on the wire, whatever client sends them (the SDK or plain requests).
    const proxy = await startFaultProxy(s3.endpoint);
    try {
      const env = `AWS_ENDPOINT_URL_S3=${proxy.url}\nAWS_ACCESS_KEY_ID=${s3.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${s3.secretAccessKey}\n`;
      const a = await workingCopy(`s3://${bucket}/p`, env);
      for (let i = 0; i < 30; i++) write(a, `data/processed/plate-${i % 3}/well-${i}.csv`, `v${i}`);
      await doPush(a);
      await doPull(a);
      const ctx = await ctxFor(a);
      proxy.log.length = 0;
      const p = await prepare(ctx, layerByName(ctx.config, 'processed'), 'pull', { branch: 'main' });
      await pull(ctx, p, { dryRun: false, force: false, events: quiet });
      expect(p.plan.items.every((i) => i.kind === 'skip')).toBe(true);
      expect(proxy.log.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}${/[?&]list-type=2/.test(r.path) ? ' (list)' : ''}`)).toEqual([`GET /${bucket} (list)`, `GET /${bucket} (list)`]);
    } finally {
      await proxy.stop();
    }
  });

  it('a listing cut into key ranges listed side by side is exactly the plain listing', async () => {
    const s3 = inject('s3');
    const bucket = `ranges-${crypto.randomBytes(4).toString('hex')}`;
    await createBucket(s3, bucket);
    const store = new S3Store(bucket, { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey }, 4);
    const f = path.join(tmp('strata-src-'), 'f');
    fs.writeFileSync(f, 'x');
    // ASCII, accented, CJK and astral-plane keys: UTF-8 byte order differs from JavaScript's.
    // Characters URL-encoded listings and XML must carry intact: + and space, %, &, <, quotes.
    const keys = ['a.csv', 'b/1.csv', 'b/2.csv', 'b/é.csv', 'b/z.csv', 'c/日本.csv', 'c/\u{1F52C}.csv', 'c/\uFF5E.csv', 'd.csv', 'e/a+b c.csv', 'e/100%25 & <x> "q" \'s\'.csv', 'outside-prefix'];
    for (const k of keys) await store.put(k === 'outside-prefix' ? 'q/x' : `p/${k}`, f, { size: 1, meta: {} });
    const plain = await store.list('p');
    expect(plain.map((o) => o.key).sort()).toEqual(keys.filter((k) => k !== 'outside-prefix').sort());
    for (const splits of [['b/2.csv'], ['b/2.csv', 'c/日本.csv'], ['a', 'b/é.csv', 'c/\u{1F52C}.csv'], ['0', 'zz'], ['b/1.csv', 'b/1.csv0', 'c/\uFF5E.csv']]) {
      expect((await store.list('p', splits)).map((o) => o.key), splits.join(' | ')).toEqual(plain.map((o) => o.key));
    }
  });

  it('refuses hostile keys and never writes outside the layer', async () => {
    const s3 = inject('s3');
    const bucket = `hostile-${crypto.randomBytes(4).toString('hex')}`;
    await createBucket(s3, bucket);
    const env = `AWS_ENDPOINT_URL_S3=${s3.endpoint}\nAWS_ACCESS_KEY_ID=${s3.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${s3.secretAccessKey}\n`;
    const a = await workingCopy(`s3://${bucket}/p`, env);
    const store = new S3Store(bucket, { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey }, 4);
    const f = path.join(tmp('strata-src-'), 'f');
    fs.writeFileSync(f, 'evil');
    for (const key of ['p/processed/../escape.csv', 'p/processed/a\\b.csv', 'p/processed/ok.csv', 'p/processed/Case.csv', 'p/processed/case.csv']) {
      await store.put(key, f, { size: 4, meta: {} });
    }
    const p = await doPull(a);
    expect(p.plan.refused.map((r) => r.key).sort()).toEqual(['../escape.csv', 'Case.csv', 'a\\b.csv', 'case.csv']);
    expect(Object.keys(tree(path.join(a, 'data')))).toEqual(['processed/ok.csv']);
    expect(fs.existsSync(path.join(a, 'data/escape.csv'))).toBe(false);
  });
});
