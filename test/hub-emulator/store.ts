// Repository state for the Hub emulator: one bare git repository per Hub repo, an LFS object
// store next to it, and a small JSON file for what git cannot hold (repo id, discussions/PRs).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_DATASET_GITATTRIBUTES,
  DEFAULT_MODEL_GITATTRIBUTES,
  isLfsTracked,
  parseGitattributes,
} from './gitattributes.js';
import {
  GitError,
  ZERO_OID,
  gitText,
  lfsPointerText,
  parseLfsPointer,
  parseLsTree,
  readObjects,
  runGit,
  writeBlob,
  type LfsPointer,
  type TreeEntry,
} from './git.js';

export type RepoType = 'model' | 'dataset' | 'space';

export interface RepoKey {
  type: RepoType;
  /** `namespace/name` */
  id: string;
}

/** An error the emulator answers with, shaped like the Hub's (`{error}` body + X-Error-Code). */
export class HubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const repoNotFound = (): HubError =>
  // UNCERTAIN: exact text; huggingface_hub only relies on X-Error-Code.
  new HubError(404, 'Repository not found', 'RepoNotFound');
export const revisionNotFound = (rev: string): HubError =>
  // The Hub answers "Invalid rev id: <rev>" (seen in huggingface_hub RevisionNotFoundError reports).
  new HubError(404, `Invalid rev id: ${rev}`, 'RevisionNotFound');
export const entryNotFound = (path: string): HubError =>
  // UNCERTAIN: exact text.
  new HubError(404, `Entry not found: ${path}`, 'EntryNotFound');
const badRequest = (msg: string, extra?: Record<string, unknown>): HubError => new HubError(400, msg, undefined, extra);

export type DiscussionStatus = 'draft' | 'open' | 'closed' | 'merged';

export interface DiscussionEvent {
  id: string;
  type: 'comment' | 'status-change' | 'commit' | 'title-change';
  createdAt: string;
  author: string;
  data: Record<string, unknown>;
}

export interface Discussion {
  num: number;
  title: string;
  isPullRequest: boolean;
  status: DiscussionStatus;
  author: string;
  createdAt: string;
  /** Full ref the PR targets, e.g. `refs/heads/main`. */
  base?: string;
  mergeCommitId?: string;
  events: DiscussionEvent[];
}

interface RepoMeta {
  _id: string;
  type: RepoType;
  id: string;
  private: boolean;
  createdAt: string;
  nextNum: number;
  discussions: Discussion[];
}

export interface Repo {
  key: RepoKey;
  gitDir: string;
  meta: RepoMeta;
}

export interface StoreOptions {
  root: string;
  baseUrl: () => string;
  /** Uploads larger than this get a multipart LFS action. */
  lfsMultipartThreshold: number;
  lfsMultipartChunkSize: number;
  /** Regular (non-LFS) files above this size are refused, as the Hub refuses them. */
  regularFileMaxSize: number;
  /** The Xet file (registered in the CAS by a shard) whose content has this sha256, if any. */
  xetFileBySha256?: (sha256: string) => { hash: string; size: number } | undefined;
}

export interface ApiTreeEntry {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: LfsPointer;
  /** Set for files stored in Xet: their Xet file hash, as the Hub lists it. */
  xetHash?: string;
  lastCommit?: { id: string; title: string; date: string };
  securityFileStatus?: { status: string; avScan: { status: string; virusNames: null }; pickleImportScan: { status: string; pickleImports: null } };
}

export interface RefInfo {
  name: string;
  ref: string;
  targetCommit: string;
}

export interface CommitInfo {
  id: string;
  title: string;
  message: string;
  authors: { user: string; avatar: string }[];
  date: string;
}

type CommitOp =
  | { kind: 'add'; path: string; oid: string }
  | { kind: 'deleteFile'; path: string }
  | { kind: 'deleteFolder'; path: string };

export const DEFAULT_BRANCH = 'main';
const META_FILE = 'hub-emulator.json';
// Same number of bytes as the client's preupload `sample`, so the binary test at commit time
// can never disagree with the answer preupload gave for the same file.
const BINARY_SAMPLE_BYTES = 512;

const REPO_NAME_RE = /^(?!.*(?:--|\.\.))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;

export function repoKeyString(key: RepoKey): string {
  return `${key.type}s/${key.id}`;
}

export function repoUrlPath(key: RepoKey): string {
  return key.type === 'model' ? key.id : `${key.type}s/${key.id}`;
}

function isValidRepoId(id: string): boolean {
  const parts = id.split('/');
  return parts.length === 2 && parts.every((p) => REPO_NAME_RE.test(p) && !p.endsWith('.git'));
}

// Revisions come straight from URLs; anything git would read as revision syntax (`main~1`,
// `a..b`, `@{1}`) must not resolve, because the Hub only knows ref names and commit ids.
function isPlainRefName(rev: string): boolean {
  return (
    rev.length > 0 &&
    rev.length <= 255 &&
    !/[\x00-\x20\x7f~^:?*[\\]/.test(rev) &&
    !rev.includes('..') &&
    !rev.includes('@{') &&
    !rev.includes('//') &&
    !rev.startsWith('-') &&
    !rev.startsWith('/') &&
    !rev.endsWith('/') &&
    !rev.endsWith('.') &&
    !rev.endsWith('.lock')
  );
}

export function checkRepoPath(path: unknown, what = 'path'): string {
  if (typeof path !== 'string' || path.length === 0) throw badRequest(`Invalid ${what}: must be a non-empty string`);
  if (path.length > 4096 || path.includes('\0')) throw badRequest(`Invalid ${what}: ${JSON.stringify(path)}`);
  const segs = path.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..') || segs[0] === '.git' || segs.includes('.git')) {
    // UNCERTAIN: exact text and whether the Hub normalises such paths instead of refusing them.
    throw badRequest(`Invalid ${what}: ${JSON.stringify(path)}`);
  }
  return path;
}

function nowIso(): string {
  return new Date().toISOString();
}

function hexId(bytes = 12): string {
  return randomBytes(bytes).toString('hex');
}

export class RepoStore {
  private readonly metaCache = new Map<string, RepoMeta>();
  private readonly locks = new Map<string, Promise<unknown>>();
  // Content-addressed, so one cache serves all repos and never goes stale.
  private readonly pointerCache = new Map<string, LfsPointer | null>();

  constructor(readonly opts: StoreOptions) {}

  get tmpDir(): string {
    return join(this.opts.root, 'tmp');
  }

  gitDirOf(key: RepoKey): string {
    const [ns, name] = key.id.split('/');
    return join(this.opts.root, 'repos', `${key.type}s`, ns!, `${name}.git`);
  }

  lfsObjectPath(repo: Repo | RepoKey, oid: string): string {
    const gitDir = 'gitDir' in repo ? repo.gitDir : this.gitDirOf(repo);
    return join(gitDir, 'lfs', 'objects', oid.slice(0, 2), oid.slice(2, 4), oid);
  }

  /** Serialises writes per repo: git's ref CAS would catch races, this keeps answers deterministic. */
  async withLock<T>(key: RepoKey, fn: () => Promise<T>): Promise<T> {
    const k = repoKeyString(key);
    const prev = this.locks.get(k) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.catch(() => undefined);
    this.locks.set(k, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(k) === tail) this.locks.delete(k);
    }
  }

  // ---------------------------------------------------------------- repos

  async getRepo(key: RepoKey): Promise<Repo> {
    if (!isValidRepoId(key.id)) throw repoNotFound();
    const gitDir = this.gitDirOf(key);
    const k = repoKeyString(key);
    let meta = this.metaCache.get(k);
    if (!meta) {
      if (!existsSync(join(gitDir, META_FILE))) throw repoNotFound();
      meta = JSON.parse(await readFile(join(gitDir, META_FILE), 'utf8')) as RepoMeta;
      this.metaCache.set(k, meta);
    }
    if (!existsSync(gitDir)) {
      this.metaCache.delete(k);
      throw repoNotFound();
    }
    return { key, gitDir, meta };
  }

  private async saveMeta(repo: Repo): Promise<void> {
    const file = join(repo.gitDir, META_FILE);
    const tmp = `${file}.tmp-${hexId(4)}`;
    await writeFile(tmp, JSON.stringify(repo.meta, null, 2));
    await rename(tmp, file);
  }

  async createRepo(
    key: RepoKey,
    opts: { private?: boolean; user: string; files?: { path: string; content: Buffer }[] },
  ): Promise<Repo> {
    if (!isValidRepoId(key.id)) {
      // Text of the Hub's answer for invalid names, as reported by users.
      throw badRequest(
        "Only regular characters and '-', '_', '.' are accepted. '--' and '..' are forbidden. '-' and '.' cannot start or end the name. The name cannot end with \".git\". Max length is 96.",
      );
    }
    return this.withLock(key, async () => {
      const gitDir = this.gitDirOf(key);
      if (existsSync(gitDir)) {
        // UNCERTAIN: the Hub's wording is "You already created this <type> repo"; url is included.
        throw new HubError(409, `You already created this ${key.type} repo`, undefined, {
          url: `${this.opts.baseUrl()}/${repoUrlPath(key)}`,
        });
      }
      await mkdir(gitDir, { recursive: true });
      await runGit(undefined, ['init', '--quiet', '--bare', `--initial-branch=${DEFAULT_BRANCH}`, gitDir]);
      await runGit(gitDir, ['config', 'gc.auto', '0']);
      const meta: RepoMeta = {
        _id: hexId(),
        type: key.type,
        id: key.id,
        private: opts.private ?? true,
        createdAt: nowIso(),
        nextNum: 1,
        discussions: [],
      };
      const repo: Repo = { key, gitDir, meta };
      // The Hub creates every repo with an "initial commit" holding its default .gitattributes.
      const files = new Map<string, string>();
      const attrs = key.type === 'dataset' ? DEFAULT_DATASET_GITATTRIBUTES : DEFAULT_MODEL_GITATTRIBUTES;
      files.set('.gitattributes', await writeBlob(gitDir, Buffer.from(attrs)));
      for (const f of opts.files ?? []) files.set(checkRepoPath(f.path), await writeBlob(gitDir, f.content));
      const tree = await this.writeTree(repo, files);
      const commit = await this.commitTree(repo, tree, [], 'initial commit', opts.user);
      await runGit(gitDir, ['update-ref', `refs/heads/${DEFAULT_BRANCH}`, commit, ZERO_OID]);
      await this.saveMeta(repo);
      this.metaCache.set(repoKeyString(key), meta);
      return repo;
    });
  }

  async deleteRepo(key: RepoKey): Promise<void> {
    await this.getRepo(key);
    await this.withLock(key, async () => {
      this.metaCache.delete(repoKeyString(key));
      await rm(this.gitDirOf(key), { recursive: true, force: true });
    });
  }

  // ---------------------------------------------------------------- refs and revisions

  private async refSha(repo: Repo, ref: string): Promise<string | null> {
    const r = await runGit(repo.gitDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { okCodes: [0, 1, 128] });
    return r.code === 0 ? r.stdout.toString().trim() : null;
  }

  private async isCommit(repo: Repo, oid: string): Promise<boolean> {
    const r = await runGit(repo.gitDir, ['cat-file', '-t', oid], { okCodes: [0, 1, 128] });
    return r.code === 0 && r.stdout.toString().trim() === 'commit';
  }

  /** Branch, tag, `refs/...` name, `HEAD` or a full commit id → commit id. */
  async resolveRevision(repo: Repo, rev: string): Promise<{ sha: string; ref?: string }> {
    if (/^[0-9a-f]{40}$/.test(rev)) {
      if (await this.isCommit(repo, rev)) return { sha: rev };
      throw revisionNotFound(rev);
    }
    if (!isPlainRefName(rev)) throw revisionNotFound(rev);
    const candidates =
      rev === 'HEAD'
        ? [`refs/heads/${DEFAULT_BRANCH}`]
        : rev.startsWith('refs/')
          ? [rev]
          : [`refs/heads/${rev}`, `refs/tags/${rev}`];
    for (const ref of candidates) {
      const sha = await this.refSha(repo, ref);
      if (sha) return { sha, ref };
    }
    throw revisionNotFound(rev);
  }

  /** Every ref name (short for branches and tags, full for PRs), longest first, for lenient URL parsing. */
  async refNames(repo: Repo): Promise<string[]> {
    const refs = await this.listRefs(repo, true);
    return [...refs.branches, ...refs.tags, ...(refs.pullRequests ?? [])].map((r) => r.name).sort((a, b) => b.length - a.length);
  }

  async listRefs(
    repo: Repo,
    includePrs: boolean,
  ): Promise<{ branches: RefInfo[]; converts: RefInfo[]; tags: RefInfo[]; pullRequests?: RefInfo[] }> {
    const out = await gitText(repo.gitDir, ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(*objectname)']);
    const branches: RefInfo[] = [];
    const tags: RefInfo[] = [];
    const converts: RefInfo[] = [];
    const pullRequests: RefInfo[] = [];
    for (const line of out.split('\n')) {
      if (!line) continue;
      const [ref, oid, peeled] = line.split('\0') as [string, string, string];
      const targetCommit = peeled || oid;
      if (ref.startsWith('refs/heads/')) branches.push({ name: ref.slice(11), ref, targetCommit });
      else if (ref.startsWith('refs/tags/')) tags.push({ name: ref.slice(10), ref, targetCommit });
      else if (ref.startsWith('refs/convert/')) converts.push({ name: ref.slice(13), ref, targetCommit });
      // UNCERTAIN: whether the Hub names PR refs "refs/pr/1" or "1" in `name`.
      else if (ref.startsWith('refs/pr/')) pullRequests.push({ name: ref, ref, targetCommit });
    }
    pullRequests.sort((a, b) => Number(a.ref.slice(8)) - Number(b.ref.slice(8)));
    return includePrs ? { branches, converts, tags, pullRequests } : { branches, converts, tags };
  }

  private async checkRefFormat(ref: string): Promise<boolean> {
    const r = await runGit(undefined, ['check-ref-format', ref], { okCodes: [0, 1] });
    return r.code === 0;
  }

  async createBranch(
    repo: Repo,
    branch: string,
    opts: { startingPoint?: string; emptyBranch?: boolean; overwrite?: boolean; user: string },
  ): Promise<void> {
    if (branch.startsWith('refs/') || branch === 'HEAD' || !isPlainRefName(branch) || !(await this.checkRefFormat(`refs/heads/${branch}`))) {
      // Text seen from the Hub for `refs/pr/9`; UNCERTAIN for other invalid names.
      throw badRequest(`Invalid reference for a branch: ${branch}`);
    }
    await this.withLock(repo.key, async () => {
      const ref = `refs/heads/${branch}`;
      const existing = await this.refSha(repo, ref);
      if (existing && !opts.overwrite) {
        // UNCERTAIN: exact text.
        throw new HubError(409, `Reference already exists: ${ref}`);
      }
      let target: string;
      if (opts.emptyBranch) {
        // UNCERTAIN: what an "empty branch" is on the Hub; git needs a commit, so: an empty tree.
        target = await this.commitTree(repo, await this.writeTree(repo, new Map()), [], 'initial commit', opts.user);
      } else {
        target = (await this.resolveRevision(repo, opts.startingPoint ?? DEFAULT_BRANCH)).sha;
      }
      try {
        await runGit(repo.gitDir, ['update-ref', ref, target, existing ?? ZERO_OID]);
      } catch (e) {
        // D/F conflicts between `feat` and `feat/x` are a git limitation the Hub (gitaly) shares.
        // UNCERTAIN: status and text of the Hub's answer.
        if (e instanceof GitError) throw new HubError(409, `Cannot create branch ${branch}: ${e.stderr.trim()}`);
        throw e;
      }
    });
  }

  async deleteBranch(repo: Repo, branch: string): Promise<void> {
    await this.withLock(repo.key, async () => {
      const ref = `refs/heads/${branch}`;
      const sha = isPlainRefName(branch) ? await this.refSha(repo, ref) : null;
      if (!sha) throw revisionNotFound(branch);
      // UNCERTAIN: the Hub refuses to delete the default branch; status and text are guesses.
      if (branch === DEFAULT_BRANCH) throw new HubError(403, 'Cannot delete the default branch');
      await runGit(repo.gitDir, ['update-ref', '-d', ref, sha]);
    });
  }

  async createTag(repo: Repo, rev: string, tag: string, message: string | undefined, user: string): Promise<void> {
    if (!isPlainRefName(tag) || tag.startsWith('refs/') || !(await this.checkRefFormat(`refs/tags/${tag}`))) {
      throw badRequest(`Invalid tag name: ${tag}`);
    }
    await this.withLock(repo.key, async () => {
      const ref = `refs/tags/${tag}`;
      // UNCERTAIN: exact text.
      if (await this.refSha(repo, ref)) throw new HubError(409, `Tag already exists: ${tag}`);
      const { sha } = await this.resolveRevision(repo, rev);
      let target = sha;
      // UNCERTAIN: whether the Hub always makes annotated tags; here only when a message is given.
      if (message) {
        const epoch = Math.floor(Date.now() / 1000);
        const body = `object ${sha}\ntype commit\ntag ${tag}\ntagger ${user} <${user}@users.noreply.huggingface.co> ${epoch} +0000\n\n${message}\n`;
        target = (await gitText(repo.gitDir, ['mktag'], { input: body })).trim();
      }
      await runGit(repo.gitDir, ['update-ref', ref, target, ZERO_OID]);
    });
  }

  async deleteTag(repo: Repo, tag: string): Promise<void> {
    await this.withLock(repo.key, async () => {
      const ref = `refs/tags/${tag}`;
      const r = isPlainRefName(tag)
        ? await runGit(repo.gitDir, ['rev-parse', '--verify', '--quiet', ref], { okCodes: [0, 1, 128] })
        : null;
      if (!r || r.code !== 0) throw revisionNotFound(tag);
      await runGit(repo.gitDir, ['update-ref', '-d', ref, r.stdout.toString().trim()]);
    });
  }

  // ---------------------------------------------------------------- trees

  /** The entry at `path` (file or folder) in `commit`, or null. */
  async entryAt(repo: Repo, commit: string, path: string): Promise<TreeEntry | null> {
    const out = await runGit(repo.gitDir, ['ls-tree', '-z', '-l', '--full-tree', commit, '--', path]);
    return parseLsTree(out.stdout).find((e) => e.path === path) ?? null;
  }

  async listTree(repo: Repo, commit: string, path: string, recursive: boolean): Promise<TreeEntry[]> {
    let treeish = `${commit}^{tree}`;
    if (path) {
      const e = await this.entryAt(repo, commit, path);
      // UNCERTAIN: what the Hub answers for the tree of a path that is a file.
      if (!e || e.type !== 'tree') throw entryNotFound(path);
      treeish = e.oid;
    }
    const args = ['ls-tree', '-z', '-l', ...(recursive ? ['-r', '-t'] : []), treeish];
    return parseLsTree((await runGit(repo.gitDir, args)).stdout, path ? `${path}/` : '');
  }

  /** Path → {mode, oid} for every file of a commit. */
  private async flatTree(repo: Repo, commit: string): Promise<Map<string, { mode: string; oid: string }>> {
    const out = await runGit(repo.gitDir, ['ls-tree', '-r', '-z', '--full-tree', commit]);
    return new Map(parseLsTree(out.stdout).map((e) => [e.path, { mode: e.mode, oid: e.oid }]));
  }

  async lfsPointers(repo: Repo, entries: TreeEntry[]): Promise<Map<string, LfsPointer | null>> {
    const wanted = [
      ...new Set(entries.filter((e) => e.type === 'blob' && e.size <= 1024 && !this.pointerCache.has(e.oid)).map((e) => e.oid)),
    ];
    if (wanted.length) {
      const objects = await readObjects(repo.gitDir, wanted);
      for (const oid of wanted) this.pointerCache.set(oid, parseLfsPointer(objects.get(oid) ?? Buffer.alloc(0)));
    }
    const result = new Map<string, LfsPointer | null>();
    for (const e of entries) if (e.type === 'blob') result.set(e.oid, this.pointerCache.get(e.oid) ?? null);
    return result;
  }

  async toApiEntries(repo: Repo, commit: string, entries: TreeEntry[], expand: boolean): Promise<ApiTreeEntry[]> {
    const pointers = await this.lfsPointers(repo, entries);
    const result: ApiTreeEntry[] = [];
    for (const e of entries) {
      if (e.type === 'tree') {
        result.push({ type: 'directory', oid: e.oid, size: 0, path: e.path });
        continue;
      }
      if (e.type !== 'blob') continue;
      const lfs = pointers.get(e.oid) ?? null;
      const entry: ApiTreeEntry = { type: 'file', oid: e.oid, size: lfs ? lfs.size : e.size, path: e.path };
      if (lfs) {
        entry.lfs = lfs;
        const xet = await this.xetFile(repo, lfs);
        if (xet) entry.xetHash = xet.hash;
      }
      result.push(entry);
    }
    if (expand) {
      const last = await this.lastCommits(repo, commit, result.map((e) => e.path));
      for (const entry of result) {
        entry.lastCommit = last.get(entry.path) ?? (await this.lastCommit(repo, commit, entry.path));
        // The Hub's shape, scans included: huggingface_hub reads avScan and pickleImportScan unconditionally.
        if (entry.type === 'file') entry.securityFileStatus = { status: 'unscanned', avScan: { status: 'unscanned', virusNames: null }, pickleImportScan: { status: 'unscanned', pickleImports: null } };
      }
    }
    return result;
  }

  /**
   * lastCommits: the newest commit that touched each path (a file, or anything under a
   * folder), from one `git log --name-only` walk over them all instead of one git per path
   * (a page of 1,000 expanded entries took seconds). A path the walk does not name (a merge's
   * own change) is left to lastCommit.
   */
  private async lastCommits(repo: Repo, commit: string, paths: string[]): Promise<Map<string, { id: string; title: string; date: string }>> {
    const found = new Map<string, { id: string; title: string; date: string }>();
    if (!paths.length) return found;
    const out = await gitText(repo.gitDir, ['log', '--format=%x01%H%x00%s%x00%cI', '--name-only', '-z', commit, '--', ...paths]);
    const wanted = new Set(paths);
    for (const record of out.split('\x01').slice(1)) {
      const [head, ...names] = record.split('\0');
      const [id, title, date] = [head, names.shift()!, names.shift()!.split('\n')[0]] as [string, string, string];
      const info = { id, title, date: new Date(date).toISOString() };
      for (const raw of names) {
        const name = raw.replace(/^\n/, '');
        if (!name) continue;
        // The file itself, and each folder above it that was asked for.
        for (let p = name; p; p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') {
          if (wanted.has(p) && !found.has(p)) found.set(p, info);
        }
      }
      if (found.size === wanted.size) break;
    }
    return found;
  }

  private async lastCommit(repo: Repo, commit: string, path: string): Promise<{ id: string; title: string; date: string }> {
    const out = await gitText(repo.gitDir, ['log', '-1', '--format=%H%x00%s%x00%cI', commit, '--', path]);
    const [id, title, date] = out.trim().split('\0') as [string, string, string];
    return { id, title, date: new Date(date).toISOString() };
  }

  async readBlob(repo: Repo, oid: string): Promise<Buffer> {
    return (await runGit(repo.gitDir, ['cat-file', 'blob', oid])).stdout;
  }

  async siblings(repo: Repo, commit: string): Promise<string[]> {
    return [...(await this.flatTree(repo, commit)).keys()];
  }

  async commitDate(repo: Repo, commit: string): Promise<string> {
    return new Date((await gitText(repo.gitDir, ['log', '-1', '--format=%cI', commit])).trim()).toISOString();
  }

  // ---------------------------------------------------------------- LFS store

  async hasLfsObject(repo: Repo, oid: string, size?: number): Promise<boolean> {
    try {
      const s = await stat(this.lfsObjectPath(repo, oid));
      return size === undefined || s.size === size;
    } catch {
      return false;
    }
  }

  /**
   * The Xet file behind an LFS pointer, when the content is stored in Xet rather than in this
   * repo's LFS store (an object in the LFS store wins: it is served by the LFS redirect).
   * UNCERTAIN: which one the Hub serves when a repo holds the same content in both.
   */
  async xetFile(repo: Repo, pointer: { oid: string; size: number }): Promise<{ hash: string; size: number } | undefined> {
    const xet = this.opts.xetFileBySha256?.(pointer.oid);
    if (!xet || xet.size !== pointer.size) return undefined;
    return (await this.hasLfsObject(repo, pointer.oid, pointer.size)) ? undefined : xet;
  }

  /** Moves an already verified upload into the store. */
  async adoptLfsObject(repo: Repo, oid: string, tmpFile: string): Promise<void> {
    const dest = this.lfsObjectPath(repo, oid);
    await mkdir(join(dest, '..'), { recursive: true });
    await rename(tmpFile, dest);
  }

  // ---------------------------------------------------------------- preupload

  async preupload(
    repo: Repo,
    rev: string,
    files: { path: string; size: number; sample: string }[],
    gitAttributes?: string,
  ): Promise<{ files: { path: string; uploadMode: 'lfs' | 'regular'; shouldIgnore: boolean; oid?: string }[]; commitOid: string }> {
    const { sha } = await this.resolveRevision(repo, rev);
    let attrs = gitAttributes;
    if (attrs === undefined) {
      const e = await this.entryAt(repo, sha, '.gitattributes');
      attrs = e ? (await this.readBlob(repo, e.oid)).toString('utf8') : '';
    }
    const rules = parseGitattributes(attrs);
    const existing = await this.flatTree(repo, sha);
    const pointers = await this.lfsPointers(
      repo,
      files.flatMap((f) => {
        const e = existing.get(f.path);
        return e ? [{ mode: e.mode, type: 'blob' as const, oid: e.oid, size: 0, path: f.path }] : [];
      }),
    );
    return {
      commitOid: sha,
      files: files.map((f) => {
        checkRepoPath(f.path);
        const sample = Buffer.from(f.sample ?? '', 'base64');
        let mode: 'lfs' | 'regular';
        // UNCERTAIN: 0-byte files are answered 'regular' even when .gitattributes tracks them
        // (huggingface_hub sends empty files as regular blobs; the Hub's own rule is unknown).
        if (f.size === 0) mode = 'regular';
        else if (f.size > this.opts.regularFileMaxSize || sample.includes(0) || isLfsTracked(rules, f.path)) mode = 'lfs';
        else mode = 'regular';
        const e = existing.get(f.path);
        // huggingface_hub compares this `oid` with its local hash to skip unchanged files:
        // sha256 for LFS files, git blob SHA-1 for regular ones.
        const oid = e ? (pointers.get(e.oid)?.oid ?? e.oid) : undefined;
        return { path: f.path, uploadMode: mode, shouldIgnore: false, ...(oid ? { oid } : {}) };
      }),
    };
  }

  // ---------------------------------------------------------------- commits

  private async writeTree(repo: Repo, files: Map<string, string | { mode: string; oid: string }>): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    const index = join(this.tmpDir, `index-${hexId(8)}`);
    try {
      const lines = [...files].map(([path, v]) => {
        const { mode, oid } = typeof v === 'string' ? { mode: '100644', oid: v } : v;
        return `${mode} ${oid}\t${path}\0`;
      });
      const env = { GIT_INDEX_FILE: index };
      await runGit(repo.gitDir, ['update-index', '--add', '-z', '--index-info'], { input: lines.join(''), env });
      return (await gitText(repo.gitDir, ['write-tree'], { env })).trim();
    } finally {
      await rm(index, { force: true });
    }
  }

  private async commitTree(repo: Repo, tree: string, parents: string[], message: string, user: string): Promise<string> {
    const date = `${Math.floor(Date.now() / 1000)} +0000`;
    const email = `${user}@users.noreply.huggingface.co`;
    const env = {
      GIT_AUTHOR_NAME: user,
      GIT_AUTHOR_EMAIL: email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: user,
      GIT_COMMITTER_EMAIL: email,
      GIT_COMMITTER_DATE: date,
    };
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'];
    return (await gitText(repo.gitDir, args, { input: message, env })).trim();
  }

  /** Parses and validates the NDJSON body, writing blobs; nothing becomes visible until the ref moves. */
  private async parseCommitBody(
    repo: Repo,
    body: Buffer,
  ): Promise<{ summary: string; description: string; parentCommit?: string; ops: CommitOp[] }> {
    const lines = body.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    let header: { summary?: unknown; description?: unknown; parentCommit?: unknown } | undefined;
    const ops: CommitOp[] = [];
    for (const line of lines) {
      let obj: { key?: unknown; value?: Record<string, unknown> };
      try {
        obj = JSON.parse(line) as typeof obj;
      } catch {
        throw badRequest('Invalid NDJSON line in commit payload');
      }
      const v = obj.value ?? {};
      switch (obj.key) {
        case 'header':
          header = v;
          break;
        case 'file': {
          const path = checkRepoPath(v.path);
          const enc = v.encoding ?? 'base64';
          if (typeof v.content !== 'string') throw badRequest(`Missing content for ${path}`);
          const content = Buffer.from(v.content, enc === 'base64' ? 'base64' : 'utf8');
          // UNCERTAIN: the Hub's texts for these two refusals.
          if (content.length > this.opts.regularFileMaxSize) {
            throw badRequest(
              `Your push was rejected because it contains files larger than 10 MiB. Please use https://git-lfs.github.com/ to store large files. Offending file: ${path}`,
            );
          }
          if (content.subarray(0, BINARY_SAMPLE_BYTES).includes(0)) {
            throw badRequest(
              `Your push was rejected because it contains binary files. Please use https://huggingface.co/docs/hub/xet to store binary files. Offending file: ${path}`,
            );
          }
          ops.push({ kind: 'add', path, oid: await writeBlob(repo.gitDir, content) });
          break;
        }
        case 'lfsFile': {
          const path = checkRepoPath(v.path);
          const oid = v.oid;
          const size = v.size;
          if ((v.algo ?? 'sha256') !== 'sha256' || typeof oid !== 'string' || !/^[0-9a-f]{64}$/.test(oid)) {
            throw badRequest(`Invalid LFS oid for ${path}`);
          }
          if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw badRequest(`Invalid LFS size for ${path}`);
          // On the Hub the pointer may name content uploaded through Xet (registered by a shard)
          // as well as an object of the LFS store.
          // UNCERTAIN: the CAS is global here, so any registered file passes; the Hub may check
          // that the upload was made with a token for this repo.
          if (!(await this.hasLfsObject(repo, oid, size)) && this.opts.xetFileBySha256?.(oid)?.size !== size) {
            // UNCERTAIN: status (400 vs 422) and text; git-lfs servers call this a missing object.
            throw badRequest(
              `Your push was rejected because an LFS pointer pointed to a file that does not exist. Offending file: ${path}`,
            );
          }
          ops.push({ kind: 'add', path, oid: await writeBlob(repo.gitDir, Buffer.from(lfsPointerText(oid, size))) });
          break;
        }
        case 'deletedFile':
          ops.push({ kind: 'deleteFile', path: checkRepoPath(v.path) });
          break;
        case 'deletedFolder':
          ops.push({ kind: 'deleteFolder', path: checkRepoPath(String(v.path ?? '').replace(/\/+$/, ''), 'folder') });
          break;
        default:
          throw badRequest(`Unknown commit operation: ${String(obj.key)}`);
      }
    }
    if (!header) throw badRequest('Missing header in commit payload');
    // UNCERTAIN: whether the Hub refuses an empty summary; refusing catches callers that forget it.
    if (typeof header.summary !== 'string' || header.summary.trim() === '') throw badRequest('Commit summary is required');
    if (header.parentCommit !== undefined && header.parentCommit !== null && typeof header.parentCommit !== 'string') {
      throw badRequest('Invalid parentCommit');
    }
    return {
      summary: header.summary.trim(),
      description: typeof header.description === 'string' ? header.description : '',
      parentCommit: (header.parentCommit as string | null | undefined) ?? undefined,
      ops,
    };
  }

  private applyOps(files: Map<string, { mode: string; oid: string }>, ops: CommitOp[]): void {
    for (const op of ops) {
      if (op.kind === 'add') files.set(op.path, { mode: '100644', oid: op.oid });
      else if (op.kind === 'deleteFile') {
        if (!files.delete(op.path)) throw entryNotFound(op.path);
      } else {
        const prefix = `${op.path}/`;
        const doomed = [...files.keys()].filter((p) => p.startsWith(prefix));
        // UNCERTAIN: that deleting a missing folder fails the commit like a missing file does.
        if (doomed.length === 0) throw entryNotFound(op.path);
        for (const p of doomed) files.delete(p);
      }
    }
    for (const p of files.keys()) {
      for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
        // UNCERTAIN: the Hub's answer when a commit leaves a file and a folder with the same path.
        if (files.has(p.slice(0, i))) throw badRequest(`Path conflict: ${p.slice(0, i)} is both a file and a folder`);
      }
    }
  }

  async commit(
    repo: Repo,
    rev: string,
    createPr: boolean,
    body: Buffer,
    user: string,
  ): Promise<{ commitOid: string; commitUrl: string; pullRequestUrl?: string; pullRequestNum?: number }> {
    const pr = /^refs\/pr\/(\d+)$/.exec(rev);
    let ref: string;
    let discussion: Discussion | undefined;
    if (pr) {
      if (createPr) throw badRequest('Cannot open a pull request from a pull request ref');
      discussion = repo.meta.discussions.find((d) => d.num === Number(pr[1]) && d.isPullRequest);
      if (!discussion) throw revisionNotFound(rev);
      // UNCERTAIN: the Hub's answer when committing to a merged or closed PR.
      if (discussion.status === 'merged' || discussion.status === 'closed') {
        throw new HubError(403, `Pull request #${discussion.num} is ${discussion.status}`);
      }
      ref = rev;
    } else {
      const branch = rev.startsWith('refs/heads/') ? rev.slice(11) : rev;
      // UNCERTAIN: committing to a tag or a commit id; answered like a missing branch.
      if (!isPlainRefName(branch) || branch.startsWith('refs/')) throw revisionNotFound(rev);
      ref = `refs/heads/${branch}`;
    }
    const parsed = await this.parseCommitBody(repo, body);
    const message = parsed.description ? `${parsed.summary}\n\n${parsed.description}` : parsed.summary;
    const base = this.opts.baseUrl();

    return this.withLock(repo.key, async () => {
      const head = await this.refSha(repo, ref);
      if (!head) throw revisionNotFound(rev);
      let parent = head;
      if (parsed.parentCommit) {
        if (createPr) {
          // huggingface.js: "When opening a PR: will use parentCommit as the parent commit".
          if (!/^[0-9a-f]{40}$/.test(parsed.parentCommit) || !(await this.isCommit(repo, parsed.parentCommit))) {
            throw revisionNotFound(parsed.parentCommit);
          }
          parent = parsed.parentCommit;
        } else if (parsed.parentCommit !== head) {
          throw new HubError(412, 'A commit has happened since. Please refresh and try again.');
        }
      }
      const files = await this.flatTree(repo, parent);
      this.applyOps(files, parsed.ops);
      const tree = await this.writeTree(repo, files);
      // UNCERTAIN: a commit that changes nothing still creates a commit (git allows it; the
      // Python client avoids sending one, the Hub's own behaviour is unknown).
      const commit = await this.commitTree(repo, tree, [parent], message, user);
      const commitUrl = `${base}/${repoUrlPath(repo.key)}/commit/${commit}`;
      if (createPr) {
        const num = repo.meta.nextNum++;
        await runGit(repo.gitDir, ['update-ref', `refs/pr/${num}`, commit, ZERO_OID]);
        const d = this.newDiscussion(num, parsed.summary, parsed.description, true, 'open', user, ref);
        d.events.push(this.event('commit', user, { subject: parsed.summary, oid: commit }));
        repo.meta.discussions.push(d);
        await this.saveMeta(repo);
        return { commitOid: commit, commitUrl, pullRequestUrl: `${base}/${repoUrlPath(repo.key)}/discussions/${num}`, pullRequestNum: num };
      }
      try {
        await runGit(repo.gitDir, ['update-ref', ref, commit, head]);
      } catch (e) {
        if (e instanceof GitError) throw new HubError(412, 'A commit has happened since. Please refresh and try again.');
        throw e;
      }
      if (discussion) {
        // UNCERTAIN: that the first commit pushed to a draft PR publishes it.
        if (discussion.status === 'draft') discussion.status = 'open';
        discussion.events.push(this.event('commit', user, { subject: parsed.summary, oid: commit }));
        await this.saveMeta(repo);
      }
      return { commitOid: commit, commitUrl };
    });
  }

  async listCommits(repo: Repo, sha: string, page: number, limit: number): Promise<{ items: CommitInfo[]; total: number }> {
    const total = Number((await gitText(repo.gitDir, ['rev-list', '--count', sha])).trim());
    const out = await gitText(repo.gitDir, [
      'log',
      `--skip=${page * limit}`,
      `-n${limit}`,
      '--format=%H%x00%an%x00%aI%x00%s%x00%b%x1e',
      sha,
    ]);
    const items = out
      .split('\x1e')
      .map((r) => r.replace(/^\n/, ''))
      .filter((r) => r)
      .map((r) => {
        const [id, author, date, title, body] = r.split('\0') as [string, string, string, string, string];
        return {
          id,
          title,
          message: body.replace(/\n+$/, ''),
          authors: [{ user: author, avatar: `${this.opts.baseUrl()}/avatars/${encodeURIComponent(author)}.svg` }],
          date: new Date(date).toISOString(),
        };
      });
    return { items, total };
  }

  // ---------------------------------------------------------------- discussions and PRs

  private event(type: DiscussionEvent['type'], author: string, data: Record<string, unknown>): DiscussionEvent {
    return { id: hexId(), type, createdAt: nowIso(), author, data };
  }

  private newDiscussion(
    num: number,
    title: string,
    description: string,
    isPullRequest: boolean,
    status: DiscussionStatus,
    author: string,
    base?: string,
  ): Discussion {
    const createdAt = nowIso();
    return {
      num,
      title,
      isPullRequest,
      status,
      author,
      createdAt,
      ...(isPullRequest ? { base } : {}),
      events: [
        this.event('comment', author, {
          edited: false,
          hidden: false,
          latest: { raw: description, html: description, updatedAt: createdAt, author: { name: author } },
          numEdits: 0,
          editors: [author],
          reactions: [],
          isReport: false,
        }),
      ],
    };
  }

  getDiscussion(repo: Repo, num: number): Discussion {
    const d = repo.meta.discussions.find((x) => x.num === num);
    // UNCERTAIN: exact text.
    if (!d) throw new HubError(404, 'Discussion not found');
    return d;
  }

  async createDiscussion(repo: Repo, title: unknown, description: unknown, pullRequest: boolean, user: string): Promise<Discussion> {
    const t = typeof title === 'string' ? title.trim() : '';
    // huggingface_hub documents titles as 3 to 200 characters.
    if (t.length < 3 || t.length > 200) throw badRequest('Title must be between 3 and 200 characters');
    const desc = typeof description === 'string' ? description : '';
    return this.withLock(repo.key, async () => {
      const num = repo.meta.nextNum++;
      const base = `refs/heads/${DEFAULT_BRANCH}`;
      if (pullRequest) {
        const head = await this.refSha(repo, base);
        if (!head) throw revisionNotFound(DEFAULT_BRANCH);
        await runGit(repo.gitDir, ['update-ref', `refs/pr/${num}`, head, ZERO_OID]);
      }
      // huggingface_hub: "Pull Requests created programmatically will be in "draft" status."
      const d = this.newDiscussion(num, t, desc, pullRequest, pullRequest ? 'draft' : 'open', user, pullRequest ? base : undefined);
      repo.meta.discussions.push(d);
      await this.saveMeta(repo);
      return d;
    });
  }

  async pullRequestState(
    repo: Repo,
    d: Discussion,
  ): Promise<{ head?: string; baseHead?: string; filesWithConflicts: string[]; mergeBase?: string }> {
    if (!d.isPullRequest || !d.base) return { filesWithConflicts: [] };
    const head = (await this.refSha(repo, `refs/pr/${d.num}`)) ?? undefined;
    const baseHead = (await this.refSha(repo, d.base)) ?? undefined;
    if (!head || !baseHead || d.status === 'merged' || d.status === 'closed') return { head, baseHead, filesWithConflicts: [] };
    const mb = await runGit(repo.gitDir, ['merge-base', baseHead, head], { okCodes: [0, 1] });
    const mergeBase = mb.code === 0 ? mb.stdout.toString().trim() : undefined;
    if (mergeBase === baseHead) return { head, baseHead, mergeBase, filesWithConflicts: [] };
    const r = await this.mergeTree(repo, baseHead, head);
    return { head, baseHead, mergeBase, filesWithConflicts: r.conflicts };
  }

  async diff(repo: Repo, from: string, to: string): Promise<string> {
    return gitText(repo.gitDir, ['diff', '--no-color', '--no-ext-diff', from, to]);
  }

  private async mergeTree(repo: Repo, ours: string, theirs: string): Promise<{ tree: string; conflicts: string[] }> {
    const r = await runGit(repo.gitDir, ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', ours, theirs], {
      okCodes: [0, 1],
    });
    const parts = r.stdout.toString('utf8').split('\0').filter((s) => s);
    return { tree: parts[0]!, conflicts: r.code === 0 ? [] : [...new Set(parts.slice(1))] };
  }

  async mergePullRequest(repo: Repo, num: number, user: string, comment?: string): Promise<DiscussionEvent> {
    return this.withLock(repo.key, async () => {
      const d = this.getDiscussion(repo, num);
      if (!d.isPullRequest || !d.base) throw badRequest(`Discussion #${num} is not a pull request`);
      // UNCERTAIN: statuses and texts for PRs that cannot be merged.
      if (d.status === 'merged') throw new HubError(409, `Pull request #${num} is already merged`);
      if (d.status === 'closed') throw new HubError(409, `Pull request #${num} is closed`);
      const head = await this.refSha(repo, `refs/pr/${num}`);
      const baseHead = await this.refSha(repo, d.base);
      if (!head || !baseHead) throw revisionNotFound(head ? d.base : `refs/pr/${num}`);
      const ff = await runGit(repo.gitDir, ['merge-base', '--is-ancestor', baseHead, head], { okCodes: [0, 1] });
      let newHead: string;
      if (ff.code === 0) {
        // UNCERTAIN: whether the Hub fast-forwards or always writes a merge commit; either way
        // the target branch ends up with the PR's tree when it has not moved since.
        newHead = head;
      } else {
        const { tree, conflicts } = await this.mergeTree(repo, baseHead, head);
        if (conflicts.length) {
          throw new HubError(409, `Pull request #${num} has conflicts and cannot be merged`, undefined, {
            filesWithConflicts: conflicts,
          });
        }
        newHead = await this.commitTree(repo, tree, [baseHead, head], `Merge refs/pr/${num}: ${d.title}`, user);
      }
      try {
        await runGit(repo.gitDir, ['update-ref', d.base, newHead, baseHead]);
      } catch (e) {
        if (e instanceof GitError) throw new HubError(412, 'A commit has happened since. Please refresh and try again.');
        throw e;
      }
      d.status = 'merged';
      d.mergeCommitId = newHead;
      const ev = this.event('status-change', user, { status: 'merged' });
      if (comment) d.events.push(this.event('comment', user, { latest: { raw: comment, html: comment }, edited: false, hidden: false, editors: [user] }));
      d.events.push(ev);
      await this.saveMeta(repo);
      return ev;
    });
  }

  async changeStatus(repo: Repo, num: number, status: unknown, user: string, comment?: string): Promise<DiscussionEvent> {
    if (status !== 'open' && status !== 'closed') throw badRequest('Status must be "open" or "closed"');
    return this.withLock(repo.key, async () => {
      const d = this.getDiscussion(repo, num);
      if (d.status === 'merged') throw new HubError(409, `Pull request #${num} is already merged`);
      d.status = status;
      if (comment) d.events.push(this.event('comment', user, { latest: { raw: comment, html: comment }, edited: false, hidden: false, editors: [user] }));
      const ev = this.event('status-change', user, { status });
      d.events.push(ev);
      await this.saveMeta(repo);
      return ev;
    });
  }

  async comment(repo: Repo, num: number, comment: unknown, user: string): Promise<DiscussionEvent> {
    if (typeof comment !== 'string' || !comment.trim()) throw badRequest('Comment must be a non-empty string');
    return this.withLock(repo.key, async () => {
      const d = this.getDiscussion(repo, num);
      const ev = this.event('comment', user, {
        edited: false,
        hidden: false,
        latest: { raw: comment, html: comment, updatedAt: nowIso(), author: { name: user } },
        numEdits: 0,
        editors: [user],
      });
      d.events.push(ev);
      await this.saveMeta(repo);
      return ev;
    });
  }
}
