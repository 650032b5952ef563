// A throwaway lab project for end-to-end tests (changesets' testdir): in one temp folder, a
// bare git "origin" and three working copies of a Cookiecutter-style lab project — a
// maintainer (mia) and two analysts (ana, ben) — whose Justfile imports this repository's
// strata.just and whose strata.yaml points at a remote: a plain folder (file://) or a fresh
// bucket on the test S3 server. Recipes run as real `just` processes, as a person would.
//
//   describe.each(REMOTE_KINDS)('%s remote', (kind) => {
//     const lab = useLab(kind);            // a fresh lab per test, removed after it
//     it('…', async () => {
//       const { mia, remote } = lab();
//       mia.write('data/external/plate-map.csv', 'well\nA01\n');
//       assertOk(await mia.just('put-inputs'));
//       expect(await remote.files('external')).toEqual(hashed({ 'plate-map.csv': 'well\nA01\n' }));
//     });
//   });
//
// Faults for failure scenarios: remote.blockWrite(key) makes the upload of one key fail on
// either backend (a folder in the file's place; an S3 bucket policy denying that key).

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, inject } from 'vitest';
import {
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { cephS3Client, createBucket, type S3Access } from './ceph.js';
import { childEnv } from './env.js';
import { run, type RunResult } from './run.js';
import { fileKeys, sha256, texts, tree } from './tree.js';

export { assertFailed, assertOk, describeRun, type RunResult } from './run.js';
export { hashed } from './tree.js';

/** The Strata checkout under test (its strata.just, dist/ and node_modules/.bin/just). */
export const STRATA_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const JUST = path.join(STRATA_ROOT, 'node_modules', '.bin', 'just');
export const RCLONE = '/usr/bin/rclone';

export type RemoteKind = 'file' | 's3';

/** What a test needs to reach the S3 server (what globalSetup provides as `s3`). */
export type S3Server = S3Access;

export type Role = 'analyst' | 'maintainer';

export interface RunOptions {
  role?: Role;
  user?: string;
  /** Extra environment variables (override everything else). */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** The environment of every child: the test runner's, minus anything that could steer Strata or git elsewhere. */
function cleanEnv(): NodeJS.ProcessEnv {
  return childEnv();
}

async function git(cwd: string, args: string[]): Promise<string> {
  const r = await run('git', args, { cwd, env: cleanEnv() });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')} in ${cwd} failed: ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

// ─── Working copies ────────────────────────────────────────────────────────────────────

/** One person's git checkout of the lab project. */
export class WorkingCopy {
  constructor(
    readonly lab: Lab,
    readonly name: string,
    readonly dir: string,
    /** STRATA_USER for this person's runs. */
    readonly user: string,
    /** STRATA_ROLE for this person's runs (unless a run says otherwise). */
    readonly role: Role,
  ) {}

  /** The environment of a recipe run: role, user and the S3 settings. */
  env(opts: RunOptions = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...cleanEnv(),
      STRATA_ROLE: opts.role ?? this.role,
      STRATA_USER: opts.user ?? this.user,
      ...this.lab.s3Env(),
    };
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  /** just RECIPE ARGS… in this working copy, as this person. */
  just(...args: string[]): Promise<RunResult> {
    return this.justWith({}, ...args);
  }

  /** just RECIPE ARGS… with another role, user or extra environment. */
  justWith(opts: RunOptions, ...args: string[]): Promise<RunResult> {
    return run(JUST, args, { cwd: this.dir, env: this.env(opts), timeoutMs: opts.timeoutMs });
  }

  /** git ARGS… in this working copy; throws on failure, returns stdout. */
  git(...args: string[]): Promise<string> {
    return git(this.dir, args);
  }

  /** The current commit's SHA (full). */
  head(): Promise<string> {
    return this.git('rev-parse', 'HEAD');
  }

  path(rel: string): string {
    return path.join(this.dir, ...rel.split('/'));
  }

  write(rel: string, content: string | Buffer): void {
    const file = this.path(rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }

  read(rel: string): string {
    return fs.readFileSync(this.path(rel), 'utf8');
  }

  readBytes(rel: string): Buffer {
    return fs.readFileSync(this.path(rel));
  }

  exists(rel: string): boolean {
    return fs.existsSync(this.path(rel));
  }

  /** Removes a file or a folder (recursively); no error when it is missing. */
  remove(rel: string): void {
    fs.rmSync(this.path(rel), { recursive: true, force: true });
  }

  /** Keys of the files under `rel` (forward slashes, relative to it), .gitkeep left out. */
  keys(rel: string): string[] {
    return fileKeys(this.path(rel), { withTemp: true });
  }

  /** key → sha256 of every file under `rel` (.gitkeep left out). */
  files(rel: string): Record<string, string> {
    return tree(this.path(rel), { withTemp: true });
  }

  /** key → text of every file under `rel` (.gitkeep left out). */
  texts(rel: string): Record<string, string> {
    return texts(this.path(rel), { withTemp: true });
  }

  /**
   * Everything a recipe may change in this working copy, as path → sha256: the data folders
   * (recycle folder included) and Strata's state records. For "nothing changed" checks.
   */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const top of ['data', '.strata/state']) {
      for (const [k, v] of Object.entries(this.files(top))) out[`${top}/${k}`] = v;
    }
    return out;
  }

  /** The recycle folders (data/_recycle/<stamp>), sorted. */
  recycleStamps(): string[] {
    const dir = this.path('data/_recycle');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).sort();
  }
}

// ─── Remotes ───────────────────────────────────────────────────────────────────────────

/** A view of the lab's remote for assertions: keys relative to PREFIX. */
export interface RemoteView {
  readonly kind: RemoteKind;
  /** The URL in strata.yaml. */
  readonly url: string;
  /** key → sha256 of every object under PREFIX/sub (recursive; keys relative to PREFIX/sub). */
  files(sub?: string): Promise<Record<string, string>>;
  /** The keys under PREFIX/sub. */
  keys(sub?: string): Promise<string[]>;
  /** The bytes at PREFIX/key, or null when absent. */
  read(key: string): Promise<Buffer | null>;
  /** Writes PREFIX/key directly (as another tool would). */
  write(key: string, content: string | Buffer): Promise<void>;
  /** An rclone path for PREFIX/sub (a local path or an on-the-fly `:s3,…:` remote). */
  rclonePath(sub?: string): string;
  /**
   * Makes every write of PREFIX/key fail until unblockWrites(), the way a server or share
   * refuses one object: a folder where the file should go (file://), a bucket policy that
   * denies PutObject on that one key (S3). Listings are unaffected.
   */
  blockWrite(key: string): Promise<void>;
  unblockWrites(): Promise<void>;
  /** S3 only: the listed ETag of PREFIX/key (quotes removed), or null when absent. */
  etag?(key: string): Promise<string | null>;
  cleanup(): Promise<void>;
}

const joinKey = (...parts: string[]) => parts.filter(Boolean).join('/');

class FolderRemote implements RemoteView {
  readonly kind = 'file' as const;
  readonly url: string;
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.url = `file://${dir}`;
  }
  abs(key: string) {
    return path.join(this.dir, ...key.split('/').filter(Boolean));
  }
  async keys(sub = '') {
    return fileKeys(this.abs(sub), { withTemp: true, withGitkeep: true });
  }
  async files(sub = '') {
    return tree(this.abs(sub), { withTemp: true, withGitkeep: true });
  }
  async read(key: string) {
    try {
      return fs.readFileSync(this.abs(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }
  async write(key: string, content: string | Buffer) {
    fs.mkdirSync(path.dirname(this.abs(key)), { recursive: true });
    fs.writeFileSync(this.abs(key), content);
  }
  rclonePath(sub = '') {
    return this.abs(sub);
  }
  private blocked: string[] = [];
  async blockWrite(key: string) {
    // rename(2) of a file onto an existing folder fails (EISDIR); an empty folder lists as nothing.
    fs.mkdirSync(this.abs(key), { recursive: true });
    this.blocked.push(key);
  }
  async unblockWrites() {
    for (const key of this.blocked) fs.rmSync(this.abs(key), { recursive: true, force: true });
    this.blocked = [];
  }
  async cleanup() {
    // The lab's temp folder holds it; removed with the lab.
  }
}

class BucketRemote implements RemoteView {
  readonly kind = 's3' as const;
  readonly url: string;
  readonly client: S3Client;
  constructor(
    readonly server: S3Server,
    readonly bucket: string,
    readonly prefix: string,
  ) {
    this.url = `s3://${bucket}/${prefix}`;
    this.client = cephS3Client(server);
  }
  async create() {
    await createBucket(this.server, this.bucket);
  }
  private async listAll(full: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }
  async keys(sub = '') {
    const full = joinKey(this.prefix, sub) + '/';
    return (await this.listAll(full)).map((k) => k.slice(full.length)).sort();
  }
  async files(sub = '') {
    const out: Record<string, string> = {};
    for (const k of await this.keys(sub)) out[k] = sha256((await this.read(joinKey(sub, k)))!);
    return out;
  }
  async read(key: string) {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: joinKey(this.prefix, key) }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (e) {
      if ((e as Error).name === 'NoSuchKey' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw e;
    }
  }
  async etag(key: string) {
    const full = joinKey(this.prefix, key);
    const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, MaxKeys: 1 }));
    const hit = (page.Contents ?? []).find((o) => o.Key === full);
    return hit ? (hit.ETag ?? '').replace(/"/g, '') : null;
  }
  async write(key: string, content: string | Buffer) {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: joinKey(this.prefix, key), Body: content }));
  }
  rclonePath(sub = '') {
    const q = (v: string) => `'${v}'`;
    const opts = [
      's3',
      'provider=Other',
      'env_auth=false',
      `access_key_id=${q(this.server.accessKeyId)}`,
      `secret_access_key=${q(this.server.secretAccessKey)}`,
      `endpoint=${q(this.server.endpoint)}`,
      `region=${q(this.server.region)}`,
      'force_path_style=true',
    ];
    return `:${opts.join(',')}:${joinKey(this.bucket, this.prefix, sub)}`;
  }
  private blocked: string[] = [];
  async blockWrite(key: string) {
    this.blocked.push(joinKey(this.prefix, key));
    const Statement = this.blocked.map((k) => ({ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${this.bucket}/${k}` }));
    await this.client.send(new PutBucketPolicyCommand({ Bucket: this.bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement }) }));
  }
  async unblockWrites() {
    if (this.blocked.length) await this.client.send(new DeleteBucketPolicyCommand({ Bucket: this.bucket }));
    this.blocked = [];
  }
  async cleanup() {
    try {
      const keys = await this.listAll('');
      for (let i = 0; i < keys.length; i += 1000) {
        await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
      }
      await this.client.send(new DeleteBucketCommand({ Bucket: this.bucket }));
    } finally {
      this.client.destroy();
    }
  }
}

// ─── The lab ───────────────────────────────────────────────────────────────────────────

export interface LabOptions {
  kind: RemoteKind;
  /** Required for kind 's3'. */
  s3?: S3Server;
  /** Extra lines for strata.yaml (after `remote:`). */
  config?: string;
}

export class Lab {
  readonly mia: WorkingCopy;
  readonly ana: WorkingCopy;
  readonly ben: WorkingCopy;
  constructor(
    readonly root: string,
    readonly origin: string,
    readonly remote: RemoteView,
    readonly s3?: S3Server,
  ) {
    this.mia = new WorkingCopy(this, 'maintainer', path.join(root, 'mia'), 'mia', 'maintainer');
    this.ana = new WorkingCopy(this, 'analyst A', path.join(root, 'ana'), 'ana', 'analyst');
    this.ben = new WorkingCopy(this, 'analyst B', path.join(root, 'ben'), 'ben', 'analyst');
  }

  /** The S3 settings recipes get from the environment (none for a folder remote). */
  s3Env(): Record<string, string> {
    if (!this.s3) return {};
    return {
      AWS_ENDPOINT_URL_S3: this.s3.endpoint,
      AWS_ACCESS_KEY_ID: this.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.s3.secretAccessKey,
      AWS_REGION: this.s3.region,
    };
  }

  /** rclone ARGS… with no config file and no inherited AWS settings (AWS_CA_BUNDLE unset). */
  rclone(...args: string[]): Promise<RunResult> {
    const env = cleanEnv();
    env.RCLONE_CONFIG = path.join(this.root, 'rclone.conf'); // absent: on-the-fly remotes only
    return run(RCLONE, args, { cwd: this.root, env, timeoutMs: 120_000 });
  }

  async cleanup(): Promise<void> {
    try {
      await this.remote.cleanup();
    } finally {
      fs.rmSync(this.root, { recursive: true, force: true });
    }
  }
}

const LAYER_FOLDERS = ['data/external', 'data/raw/profiles', 'data/interim', 'data/processed'];

/**
 * createLab builds the project: origin.git (bare), mia's working copy with the template's
 * files committed and pushed on main, then ana's and ben's clones. A bucket is created per
 * lab on S3; the remote prefix is projects/<name>/datastore, as the lab's buckets are laid out.
 */
export async function createLab(opts: LabOptions): Promise<Lab> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-e2e-'));
  const id = randomBytes(4).toString('hex');
  let remote: RemoteView;
  try {
    if (opts.kind === 's3') {
      if (!opts.s3) throw new Error('createLab: kind "s3" needs the s3 server');
      const bucket = new BucketRemote(opts.s3, `e2e-${id}`, `projects/cell-paint-${id}/datastore`);
      await bucket.create();
      remote = bucket;
    } else {
      remote = new FolderRemote(path.join(root, 'lab-share', 'projects', `cell-paint-${id}`, 'datastore'));
    }
  } catch (e) {
    fs.rmSync(root, { recursive: true, force: true });
    throw e;
  }
  const lab = new Lab(root, path.join(root, 'origin.git'), remote, opts.kind === 's3' ? opts.s3 : undefined);
  try {
    await git(root, ['init', '-q', '--bare', '-b', 'main', lab.origin]);
    await git(root, ['clone', '-q', lab.origin, lab.mia.dir]);
    const m = lab.mia;
    await m.git('checkout', '-q', '-B', 'main');
    for (const d of LAYER_FOLDERS) m.write(`${d}/.gitkeep`, '');
    m.write('.gitignore', 'data/**\n!data/**/\n!data/**/.gitkeep\ndata/_recycle/\n.strata/\n.env\n');
    m.write('strata.yaml', `# Where this project's data lives.\nremote: ${remote.url}\n${opts.config ?? ''}`);
    m.write('Justfile', `import '${path.join(STRATA_ROOT, 'strata.just')}'\n`);
    m.write('README.md', '# Cell painting project\n');
    await m.git('add', '-A');
    await m.git('commit', '-q', '-m', 'New lab project');
    await m.git('push', '-q', 'origin', 'main');
    await git(root, ['clone', '-q', lab.origin, lab.ana.dir]);
    await git(root, ['clone', '-q', lab.origin, lab.ben.dir]);
  } catch (e) {
    await lab.cleanup().catch(() => {});
    throw e;
  }
  return lab;
}

/** The remotes every scenario runs against. */
export const REMOTE_KINDS: RemoteKind[] = ['file', 's3'];

/**
 * useLab registers hooks that build a fresh lab before each test of the enclosing describe
 * and remove it after (STRATA_E2E_KEEP=1 keeps the folder of a failed test); returns a getter.
 */
export function useLab(kind: RemoteKind, opts: Omit<LabOptions, 'kind' | 's3'> = {}): () => Lab {
  let lab: Lab | undefined;
  beforeEach(async () => {
    lab = await createLab({ ...opts, kind, s3: kind === 's3' ? inject('s3') : undefined });
  });
  afterEach(async (ctx) => {
    const failed = ctx.task.result?.state === 'fail';
    if (lab && failed && process.env.STRATA_E2E_KEEP) {
      process.stderr.write(`[lab] kept ${lab.root} (remote ${lab.remote.url})\n`);
    } else await lab?.cleanup();
    lab = undefined;
  });
  return () => {
    if (!lab) throw new Error('useLab: no lab outside a test');
    return lab;
  };
}
