// A lab project as a newcomer handles it, for the tests of the ways into Strata (the lab
// template, the rclone switch, a Cookiecutter Data Science project): git, the one install
// step, `npx just` recipes, the documented shell blocks run as written, and what a bucket
// prefix holds. Strata is installed from this checkout in place of the URL the docs name.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { cephS3Client, type S3Access } from './ceph.js';
import { childEnv } from './env.js';
import { assertOk, run, type RunResult } from './run.js';

export const STRATA_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The Strata source the docs name; the tests install this checkout instead. */
export const DOCUMENTED_SOURCE = 'git+https://github.com/YOUR-LAB/strata.git';

/** A pull or push that moved nothing. */
export const NOTHING_MOVED = /Summary: up 0 \(0 B\), down 0 \(0 B\)/;

/**
 * The environment of every child (test/support/env.ts; vitest under `npm test` inherits
 * npm_config_* settings, which the rule drops), with npm kept quiet.
 */
export function projectEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return childEnv({
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    ...extra,
  });
}

/** The S3 settings a lab member would put in .env, for the test server. */
export function s3Env(s3: S3Access): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
  };
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  return assertOk(await run('git', args, { cwd, env: projectEnv() }), `git ${args.join(' ')}`).stdout.trim();
}

/** Writes dir/rel (a forward-slash path), making its folders. */
export function write(dir: string, rel: string, content: string | Buffer): void {
  const file = path.join(dir, ...rel.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/**
 * The environment of an install into a project whose Strata source is this checkout. npm links
 * a local folder (node_modules/strata → the checkout) and may run its `prepare` script (the
 * build) in place: that would rebuild dist/ under the running suite. The suite runs after
 * `npm run build`, so the checkout is built already; installs from a git URL build in npm's
 * own temporary clone instead.
 */
export const INSTALL_ENV = { npm_config_ignore_scripts: 'true' };

/** The one install step, as documented. */
export async function npmInstall(dir: string, what: string): Promise<RunResult> {
  return assertOk(await run('npm', ['install'], { cwd: dir, env: projectEnv(INSTALL_ENV), timeoutMs: 300_000 }), `${what}: npm install`);
}

/** `npx just ARGS…` in a project, as the docs say to run it. */
export function npxJust(dir: string, env: Record<string, string>, ...args: string[]): Promise<RunResult> {
  return run('npx', ['--no-install', 'just', ...args], { cwd: dir, env: projectEnv(env), timeoutMs: 120_000 });
}

/** The commands of the sh block a doc marks `<!-- MARKER …-->`, one per line, comments left out. */
export function documentedBlock(doc: string, marker: string): string[] {
  const text = fs.readFileSync(path.join(STRATA_ROOT, ...doc.split('/')), 'utf8');
  const m = new RegExp(`<!-- ${marker}[^>]*-->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(text);
  if (!m) throw new Error(`${doc} has no <!-- ${marker} --> block`);
  return m[1]
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** Runs one documented shell line in dir, with this checkout as the Strata source. */
export async function step(dir: string, line: string, env: Record<string, string> = {}): Promise<RunResult> {
  const cmd = line.replace(DOCUMENTED_SOURCE, STRATA_ROOT);
  const r = assertOk(await run('bash', ['-c', cmd], { cwd: dir, env: projectEnv({ ...INSTALL_ENV, ...env }), timeoutMs: 300_000 }), `documented step: ${cmd}`);
  if (process.env.STRATA_TEST_VERBOSE) console.log(`=== ${cmd}\n${r.stdout}${r.stderr}`);
  return r;
}

/** key (relative to prefix) → ETag of every object under s3://bucket/prefix/. */
export async function bucketListing(s3: S3Access, bucket: string, prefix: string): Promise<Record<string, string>> {
  const client = cephS3Client(s3);
  const out: Record<string, string> = {};
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + '/', ContinuationToken: token }));
      for (const o of page.Contents ?? []) out[o.Key!.slice(prefix.length + 1)] = (o.ETag ?? '').replace(/"/g, '');
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return out;
}

/** A bucket listing without Strata's own records (the journal under .strata/). */
export const withoutStrataRecords = (listing: Record<string, string>) => Object.fromEntries(Object.entries(listing).filter(([k]) => !k.startsWith('.strata/')));
