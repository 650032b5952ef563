// Thin wrappers around the `git` binary and the object formats the emulator relies on.
// Everything a repo "is" lives in a real bare repository, so that blob SHA-1s, trees,
// commits, refs and LFS pointer files are exactly what git (and therefore the Hub) produces.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile, unlink } from 'node:fs/promises';
import { devNull } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';

export const ZERO_OID = '0'.repeat(40);
export const EMPTY_BLOB_OID = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';
export const LFS_POINTER_VERSION = 'version https://git-lfs.github.com/spec/v1';

export class GitError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

// The caller's environment may carry GIT_DIR / GIT_INDEX_FILE (e.g. when tests run from a
// git hook) and the user's config may set hooks, signing or templates: none of that may leak
// into the emulator's repositories.
function gitEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('GIT_')) env[k] = v;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: devNull,
    GIT_TERMINAL_PROMPT: '0',
    // Paths come from HTTP clients: never let git interpret them as globs or magic pathspecs.
    GIT_LITERAL_PATHSPECS: '1',
    LC_ALL: 'C',
    ...extra,
  };
}

export function runGit(
  gitDir: string | undefined,
  args: string[],
  opts: { input?: Buffer | string; env?: Record<string, string>; okCodes?: number[] } = {},
): Promise<GitResult> {
  const fullArgs = gitDir ? ['--git-dir', gitDir, ...args] : args;
  return new Promise((resolve, reject) => {
    const child = spawn('git', fullArgs, { env: gitEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    // git may exit before reading all of stdin (e.g. on a bad argument): ignore EPIPE, the
    // exit code tells the real story.
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      const result = { code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') };
      const ok = opts.okCodes ?? [0];
      if (ok.includes(result.code)) resolve(result);
      else reject(new GitError(`git ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`, result.code, result.stderr));
    });
    child.stdin.end(opts.input ?? '');
  });
}

export async function gitText(gitDir: string, args: string[], opts?: Parameters<typeof runGit>[2]): Promise<string> {
  return (await runGit(gitDir, args, opts)).stdout.toString('utf8');
}

export function gitObjectId(type: 'blob' | 'tree' | 'commit' | 'tag', content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

// Writes a loose object the way `git hash-object -w` does. Done in-process because a sync of a
// folder with thousands of small files would otherwise spawn git once per file.
export async function writeBlob(gitDir: string, content: Buffer): Promise<string> {
  const oid = gitObjectId('blob', content);
  const file = join(gitDir, 'objects', oid.slice(0, 2), oid.slice(2));
  if (existsSync(file)) return oid;
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, deflateSync(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content])), { mode: 0o444 });
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    if (!existsSync(file)) throw e;
  }
  return oid;
}

export interface LfsPointer {
  oid: string;
  size: number;
  pointerSize: number;
}

export function lfsPointerText(oid: string, size: number): string {
  return `${LFS_POINTER_VERSION}\noid sha256:${oid}\nsize ${size}\n`;
}

export function parseLfsPointer(content: Buffer): LfsPointer | null {
  if (content.length > 1024) return null;
  const text = content.toString('utf8');
  if (!text.startsWith(`${LFS_POINTER_VERSION}\n`)) return null;
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1];
  const size = /^size (\d+)$/m.exec(text)?.[1];
  if (!oid || size === undefined) return null;
  return { oid, size: Number(size), pointerSize: content.length };
}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  oid: string;
  /** Blob size in git (the pointer's size for LFS files); 0 for trees. */
  size: number;
  path: string;
}

// Parses `git ls-tree -z -l` output: "<mode> <type> <oid> <size>\t<path>\0".
export function parseLsTree(out: Buffer, prefix = ''): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const rec of out.toString('utf8').split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid, size] = rec.slice(0, tab).split(/ +/);
    entries.push({
      mode: mode!,
      type: type as TreeEntry['type'],
      oid: oid!,
      size: size === '-' || size === undefined ? 0 : Number(size),
      path: prefix + rec.slice(tab + 1),
    });
  }
  return entries;
}

// Reads many objects with one `git cat-file --batch` process.
export async function readObjects(gitDir: string, oids: string[]): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  if (oids.length === 0) return result;
  const { stdout } = await runGit(gitDir, ['cat-file', '--batch'], { input: oids.join('\n') + '\n' });
  let pos = 0;
  while (pos < stdout.length) {
    const nl = stdout.indexOf(0x0a, pos);
    const header = stdout.subarray(pos, nl).toString('utf8');
    const [oid, type, size] = header.split(' ');
    pos = nl + 1;
    if (type === 'missing' || size === undefined) continue;
    const n = Number(size);
    result.set(oid!, stdout.subarray(pos, pos + n));
    pos += n + 1;
  }
  return result;
}
