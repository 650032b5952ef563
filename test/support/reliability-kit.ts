// Helpers for the reliability tests (test/reliability): throwaway remotes (a bucket on the
// test Ceph RGW, a plain folder, a dataset repo on the Hub emulator), working copies (a git
// repo with strata.yaml), and Strata runs as real child processes — `node
// dist/scripts/strata.js RECIPE`, the command the Justfile calls — so a test can kill -9 the
// very process that moves the data. Every run's output is kept (see `allOutput`) so that a
// test can grep everything Strata printed for secrets.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { downloadFile, listFiles } from '@huggingface/hub';
import { childEnv } from './env.js';

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

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

// ─── Output capture (for the secret grep) ────────────────────────────────────────────────

const captured: string[] = [];
/** Everything every Strata run printed in this test file so far. */
export function allOutput(): string {
  return captured.join('\n');
}

export function describeRun(r: RunResult, what = 'strata'): string {
  return `${what}: exit ${r.exitCode}${r.signal ? ` (${r.signal})` : ''} after ${r.ms} ms\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}
export function assertOk(r: RunResult, what?: string): RunResult {
  if (r.exitCode !== 0) throw new Error(`expected success: ${describeRun(r, what)}`);
  return r;
}
export function assertFailed(r: RunResult, what?: string): RunResult {
  if (r.exitCode === 0 || r.exitCode === null) throw new Error(`expected a non-zero exit: ${describeRun(r, what)}`);
  return r;
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

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** key → sha256 of every file under dir (recursive), with forward-slash keys. */
export function tree(dir: string, opts: { includeTemp?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(d, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const e of dirents) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else if (e.isFile()) {
        if (!opts.includeTemp && e.name.endsWith('.strata-tmp')) continue;
        if (e.name === '.gitkeep') continue;
        out[r] = sha256(fs.readFileSync(path.join(d, e.name)));
      }
    }
  };
  walk(dir, '');
  return out;
}

/** Paths (relative to dir) of Strata temp files left under dir. */
export function tempFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of dirents) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else if (e.name.endsWith('.strata-tmp')) out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
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
    listRaw: async (p = '') => Object.keys(tree(path.join(dir, p), { includeTemp: true })).map((k) => (p ? `${p.replace(/\/$/, '')}/${k}` : k)),
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

/** A running Strata process: kill it, or wait for it. */
export interface Running {
  child: ChildProcess;
  pid: number;
  result: Promise<RunResult>;
  /** Output so far. */
  output(): string;
  /** kill -9, now; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Whether kill9() was called. */
  killed: boolean;
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
    return execFileSync('git', args, { cwd: this.dir, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  }

  /** Starts `strata RECIPE ARGS…` in this working copy. */
  start(args: string[], opts: RunOptions = {}): Running {
    const env = this.env(opts.env);
    const cmd = opts.asUser ? 'setpriv' : process.execPath;
    const argv = opts.asUser
      ? [`--reuid=${opts.asUser}`, `--regid=${opts.asUser === 'nobody' ? 'nogroup' : opts.asUser}`, '--clear-groups', process.execPath, STRATA_JS, ...args]
      : [STRATA_JS, ...args];
    const started = Date.now();
    const child = spawn(cmd, argv, { cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const result = new Promise<RunResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        stderr += `\n[kit] strata ${args.join(' ')} timed out after ${timeoutMs} ms; killed\n`;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        captured.push(`$ strata ${args.join(' ')} (${this.user})\n${stdout}\n${stderr}`);
        resolve({ exitCode: code, signal, stdout, stderr, ms: Date.now() - started });
      });
    });
    const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
    const running: Running = {
      child,
      pid: child.pid!,
      result,
      killed: false,
      output: () => stdout + stderr,
      kill9: async () => {
        running.killed = true;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
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
