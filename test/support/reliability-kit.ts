// Helpers for the reliability tests (test/reliability): throwaway remotes (a bucket on the
// test Ceph RGW, a plain folder, a dataset repo on the Hub emulator), working copies (a git
// repo with strata.yaml), and Strata runs as real child processes — `node
// dist/scripts/strata.js RECIPE`, the command the Justfile calls — so a test can kill -9 the
// very process that moves the data. Every run's output is kept (see `allOutput`) so that a
// test can grep everything Strata printed for secrets.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { downloadFile, listFiles } from '@huggingface/hub';
import { childEnv } from './env.js';
import { assertOk, runSync, start, type RunResult, type Running } from './run.js';
import { fileKeys, sha256, tree } from './tree.js';

export { assertFailed, assertOk, describeRun, type RunResult, type Running } from './run.js';
export { sha256, tempFiles, tree } from './tree.js';

export const STRATA_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STRATA_JS = path.join(STRATA_ROOT, 'dist', 'scripts', 'strata.js');

/** STRATA_SOAK=1 runs the long loops; otherwise each loop runs a few rounds. */
export const SOAK = process.env.STRATA_SOAK === '1';
export const rounds = (quick: number, soak: number) => (SOAK ? Number(process.env.STRATA_SOAK_ROUNDS ?? soak) : quick);

export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}
export interface HubServer {
  url: string;
  token: string;
  readToken: string;
}

// ─── Output capture (for the secret grep) ────────────────────────────────────────────────

const captured: string[] = [];
/** Everything every Strata run printed in this test file so far. */
export function allOutput(): string {
  return captured.join('\n');
}

// ─── Temp folders ────────────────────────────────────────────────────────────────────────

const temps: string[] = [];
export function tempDir(prefix = 'strata-rel-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}
/** Removes every temp folder made so far (call from afterAll). */
export function removeTemps(): void {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

// ─── Remotes ─────────────────────────────────────────────────────────────────────────────

export type RemoteKind = 's3' | 'file' | 'hf';

/** A remote for one test: what strata.yaml and the environment need, and raw access for assertions. */
export interface Remote {
  kind: RemoteKind;
  /** strata.yaml lines. */
  yaml: string;
  /** Environment for Strata runs (through `via` when the remote was made with one). */
  env: Record<string, string>;
  /** key → sha256 of the processed layer's files on `branch` (read directly, never through a proxy). */
  files(branch?: string): Promise<Record<string, string>>;
  /** The store key (S3, file: relative to the bucket/folder) of a processed-layer key on a branch. */
  storeKey(key: string, branch?: string): string;
  /** Raw S3 / folder access (not for hf). */
  putRaw?(storeKey: string, data: Buffer | string): Promise<void>;
  listRaw?(prefix?: string): Promise<string[]>;
  getRaw?(storeKey: string): Promise<Buffer | null>;
  /** The folder (file remotes). */
  dir?: string;
  bucket?: string;
  /** hf: repo name (lab/xyz). */
  repo?: string;
}

export function s3Client(s3: S3Server): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const spacePath = (branch: string) => (branch === 'main' ? 'processed' : `branches/${branch}/processed`);

export async function s3Remote(s3: S3Server, via?: string): Promise<Remote> {
  const bucket = `rel-${randomBytes(5).toString('hex')}`;
  const client = s3Client(s3);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const prefix = 'projects/rel/datastore';
  const listRaw = async (p = '') => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: p, ContinuationToken: token, EncodingType: 'url' }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(decodeURIComponent(o.Key.replace(/\+/g, ' ')));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  };
  const getRaw = async (key: string) => {
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (e) {
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw e;
    }
  };
  return {
    kind: 's3',
    bucket,
    yaml: `remote: s3://${bucket}/${prefix}\n`,
    env: {
      AWS_ENDPOINT_URL_S3: via ?? s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
    },
    storeKey: (key, branch = 'main') => `${prefix}/${spacePath(branch)}/${key}`,
    async files(branch = 'main') {
      const base = `${prefix}/${spacePath(branch)}/`;
      const out: Record<string, string> = {};
      for (const k of await listRaw(base)) out[k.slice(base.length)] = sha256((await getRaw(k))!);
      return out;
    },
    putRaw: async (key, data) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }));
    },
    listRaw,
    getRaw,
  };
}

export function fileRemote(): Remote {
  const dir = tempDir('strata-rel-share-');
  return {
    kind: 'file',
    dir,
    yaml: `remote: file://${dir}\n`,
    env: {},
    storeKey: (key, branch = 'main') => `${spacePath(branch)}/${key}`,
    files: async (branch = 'main') => tree(path.join(dir, ...spacePath(branch).split('/'))),
    putRaw: async (key, data) => {
      const p = path.join(dir, ...key.split('/'));
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, data);
    },
    listRaw: async (p = '') => fileKeys(path.join(dir, p), { withTemp: true }).map((k) => (p ? `${p.replace(/\/$/, '')}/${k}` : k)),
    getRaw: async (key) => {
      try {
        return fs.readFileSync(path.join(dir, ...key.split('/')));
      } catch {
        return null;
      }
    },
  };
}

/** processed/ on a Hub dataset (the other layers on a folder, as a lab would set it up). */
export function hubRemote(hub: HubServer, via?: string): Remote {
  const dir = tempDir('strata-rel-share-');
  const repo = `lab/rel-${randomBytes(5).toString('hex')}`;
  const creds = { accessToken: hub.token as `hf_${string}`, hubUrl: hub.url };
  return {
    kind: 'hf',
    dir,
    repo,
    yaml: `remote: file://${dir}\nhub: hf://datasets/${repo}\n`,
    env: { HF_ENDPOINT: via ?? hub.url, HF_TOKEN: hub.token },
    storeKey: (key) => `processed/${key}`,
    async files(branch = 'main') {
      const out: Record<string, string> = {};
      try {
        for await (const f of listFiles({ repo: { type: 'dataset', name: repo }, revision: encodeURIComponent(branch), path: 'processed', recursive: true, ...creds })) {
          if (f.type !== 'file') continue;
          const blob = await downloadFile({ repo: { type: 'dataset', name: repo }, path: f.path.split('/').map(encodeURIComponent).join('/'), revision: branch, xet: false, ...creds });
          out[f.path.slice('processed/'.length)] = sha256(Buffer.from(await blob!.arrayBuffer()));
        }
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return out;
        throw e;
      }
      return out;
    },
  };
}

// ─── Working copies and Strata runs ──────────────────────────────────────────────────────

export interface RunOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Run as this user (setpriv), e.g. 'nobody', so that file permissions apply (tests run as root). */
  asUser?: string;
}

function baseEnv(home: string): NodeJS.ProcessEnv {
  // A home of its own: no ~/.aws, ~/.gitconfig or Hub token of the developer's.
  return childEnv({ HOME: home });
}

export class WorkingCopy {
  readonly home: string;
  constructor(
    readonly dir: string,
    readonly remote: Remote,
    readonly user: string,
  ) {
    this.home = path.join(dir, '..', `${path.basename(dir)}-home`);
    fs.mkdirSync(this.home, { recursive: true });
  }

  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...baseEnv(this.home), STRATA_ROLE: 'maintainer', STRATA_USER: this.user, ...this.remote.env };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  git(...args: string[]): string {
    return assertOk(runSync('git', args, { cwd: this.dir, env: this.env() })).stdout.trim();
  }

  /** Starts `strata RECIPE ARGS…` in this working copy. */
  start(args: string[], opts: RunOptions = {}): Running {
    const [cmd, argv] = opts.asUser
      ? ['setpriv', [`--reuid=${opts.asUser}`, `--regid=${opts.asUser === 'nobody' ? 'nogroup' : opts.asUser}`, '--clear-groups', process.execPath, STRATA_JS, ...args]]
      : [process.execPath, [STRATA_JS, ...args]];
    const running = start(cmd, argv, { cwd: this.dir, env: this.env(opts.env), timeoutMs: opts.timeoutMs });
    void running.result.then((r) => captured.push(`$ strata ${args.join(' ')} (${this.user})\n${r.stdout}\n${r.stderr}`), () => {});
    return running;
  }

  run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.start(args, opts).result;
  }

  path(rel: string): string {
    return path.join(this.dir, ...rel.split('/'));
  }
  write(rel: string, data: string | Buffer): void {
    const p = this.path(rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
  }
  read(rel: string): Buffer | null {
    try {
      return fs.readFileSync(this.path(rel));
    } catch {
      return null;
    }
  }
  remove(rel: string): void {
    fs.rmSync(this.path(rel), { recursive: true, force: true });
  }
  /** key → sha256 of data/processed (temp files and .gitkeep left out). */
  processed(): Record<string, string> {
    return tree(this.path('data/processed'));
  }
  /** The state record of a layer, parsed (throws when it is not valid JSON); null when absent. */
  state(layer = 'processed'): { version: number; files: Record<string, unknown>; spaces: Record<string, { head: string | null; pending?: unknown; remote: Record<string, unknown> }> } | null {
    const file = this.path(`.strata/state/${layer}.json`);
    if (!fs.existsSync(file)) return null;
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  /** After a kill -9 the lock waits 15 s to go stale; tests of other things remove it (the lock has its own test). */
  clearStaleLock(): void {
    fs.rmSync(this.path('.strata/run.lock'), { recursive: true, force: true });
  }
  /** Everything under data/_recycle, key → sha256. */
  recycled(): Record<string, string> {
    const out: Record<string, string> = {};
    const base = this.path('data/_recycle');
    for (const [k, v] of Object.entries(tree(base))) out[k.split('/').slice(1).join('/')] = v; // drop the stamp
    return out;
  }
}

let wcCounter = 0;
/** A working copy: git repo on `branch`, strata.yaml for the remote, the layer folders. */
export function workingCopy(remote: Remote, opts: { branch?: string; user?: string; yamlExtra?: string } = {}): WorkingCopy {
  const root = tempDir('strata-rel-wc-');
  const dir = path.join(root, 'project');
  fs.mkdirSync(dir);
  const wc = new WorkingCopy(dir, remote, opts.user ?? `user${++wcCounter}`);
  wc.git('init', '-q', '-b', 'main');
  wc.write('strata.yaml', remote.yaml + (opts.yamlExtra ?? ''));
  wc.write('.gitignore', 'data/\n.env\n.strata/\n');
  for (const d of ['data/external', 'data/raw/profiles', 'data/interim', 'data/processed']) wc.write(`${d}/.gitkeep`, '');
  wc.git('add', '-A');
  wc.git('commit', '-q', '-m', 'init');
  if (opts.branch && opts.branch !== 'main') wc.git('switch', '-q', '-c', opts.branch);
  return wc;
}

/** Resolves when `pred` is true (polled every `everyMs`), or rejects after `timeoutMs`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 5, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Deterministic pseudo-random bytes (so that "old" and "new" versions are known). */
const bytesCache = new Map<string, Buffer>();
export function bytes(size: number, seed: string): Buffer {
  const key = `${size}:${seed}`;
  const hit = bytesCache.get(key);
  if (hit) return hit;
  const out = Buffer.alloc(size);
  bytesCache.set(key, out);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** seedPair: `a` pushes `files`, then a second working copy `b` pulls them — where most fault scenarios start. */
export async function seedPair(remote: Remote, files: Record<string, string | Buffer>): Promise<{ a: WorkingCopy; b: WorkingCopy }> {
  const a = workingCopy(remote);
  for (const [rel, content] of Object.entries(files)) a.write(rel, content);
  assertOk(await a.run(['put-results']), 'seed put-results');
  const b = workingCopy(remote);
  assertOk(await b.run(['get-results']), 'seed get-results');
  return { a, b };
}
