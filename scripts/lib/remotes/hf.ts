// A Hugging Face Hub dataset repo as a versioned remote. A space is a branch of the repo
// (named like the git branch, created from main on first push); a push is one commit (or a
// reported sequence when the Hub's limits require it) carrying every addition and deletion,
// with parentCommit = the head this working copy last synced, so a teammate's push in
// between is a 412 and a clear conflict, never a silent overwrite.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { commit, createBranch, createRepo, deleteBranch, downloadFile, listCommits, listFiles, type CommitOperation, type RepoDesignation } from '@huggingface/hub';
import type { Config } from '../config/load.js';
import { ConflictError, StrataError } from '../errors.js';
import { hashFile } from '../listing/digest.js';
import type { Entry } from '../listing/entry.js';
import type { Digests } from '../listing/state.js';
import type { Plan } from '../plan/plan.js';
import type { Space } from '../space.js';
import { screenKeys } from '../listing/keys.js';
import { backendNote } from '../ui/reporter.js';
import { retryingFetch } from './retry-fetch.js';
import type { Backend, ChangeRecord, LogEntry, PushContext, PushResult, RemoteListing } from './types.js';
import type { RemoteUrl } from './url.js';

/** Operations per commit. The Hub's HTTP commit has a 60 s budget; LFS content is uploaded before it. */
export const OPS_PER_COMMIT = 1000;
/** The Hub's recommended maximum of files in one folder. */
export const FILES_PER_FOLDER = 10_000;

type HubUrl = Extract<RemoteUrl, { scheme: 'hf' }>;

export function hubToken(env: Record<string, string | undefined>): string | undefined {
  if (env.HF_TOKEN) return env.HF_TOKEN.trim();
  const home = env.HF_HOME ?? path.join(os.homedir(), '.cache', 'huggingface');
  try {
    return fs.readFileSync(path.join(home, 'token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

const enc = (p: string) => p.split('/').map(encodeURIComponent).join('/');

export class HubBackend implements Backend {
  readonly kind = 'hf' as const;
  readonly hubUrl: string;
  readonly repo: RepoDesignation;
  private readonly token: string | undefined;
  readonly fetch: typeof fetch;
  /** Heads read by head(): listings and downloads read that exact commit (a consistent snapshot). */
  private readonly heads = new Map<string, string>();

  constructor(
    readonly remote: HubUrl,
    config: Config,
  ) {
    this.hubUrl = (config.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
    this.repo = { type: 'dataset', name: remote.repo };
    this.token = hubToken(config.env);
    this.fetch = retryingFetch({ timeoutMs: config.httpTimeoutMs, onRetry: (r) => backendNote(`the Hub answered ${r.status}; retrying in ${(r.waitMs / 1000).toFixed(1)} s`) });
  }

  private credentials() {
    if (!this.token) {
      throw new StrataError(`No Hugging Face token for ${this.remote.url}.`, 'Log in with `hf auth login`, or put HF_TOKEN=hf_… in .env (a token with write access to the dataset).', 2);
    }
    return { accessToken: this.token as `hf_${string}`, hubUrl: this.hubUrl, fetch: this.fetch };
  }

  /** explain turns Hub errors a user can act on into StrataErrors; never includes the token. */
  private explain(what: string, e: unknown): Error {
    if (e instanceof StrataError) return e;
    const status = (e as { statusCode?: number }).statusCode;
    const msg = (e as Error).message ?? String(e);
    const code = (e as { cause?: { code?: string } }).cause?.code;
    if (code && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) {
      return new StrataError(`Cannot ${what}: the Hub at ${this.hubUrl} is not reachable (${code}).`, 'Check HF_ENDPOINT (if set) and your network; then run again.', 2);
    }
    if (status === 401) return new StrataError(`Cannot ${what}: the Hub refused the token (401).`, 'Log in again with `hf auth login`, or check HF_TOKEN in .env.', 2);
    if (status === 403) return new StrataError(`Cannot ${what}: this token may not write to ${this.remote.repo} (403).`, 'Ask a maintainer for write access, or use a token with write scope.', 2);
    if (status === 412) return new ConflictError(`Cannot ${what}: someone pushed to the Hub branch since your last sync (412). Nothing was changed.`, 'Run `just status`, take their changes with `just get-results --keep`, then push again.');
    return new Error(`${what}: ${msg}${status ? ` (HTTP ${status})` : ''}`);
  }

  private async api(method: string, route: string, body?: unknown): Promise<Response> {
    const res = await this.fetchOrExplain(route, `${this.hubUrl}/api/datasets/${this.remote.repo}${route}`, {
      method,
      headers: { Authorization: `Bearer ${this.credentials().accessToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return res;
  }

  private async fetchOrExplain(route: string, url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetch(url, init);
    } catch (e) {
      throw this.explain(`reach ${this.remote.url} (${route})`, e);
    }
  }

  /** revisionSha: the commit a branch, tag or commit id points at, or null when it does not exist. */
  async revisionSha(rev: string): Promise<string | null> {
    const res = await this.api('GET', `/revision/${encodeURIComponent(rev)}`);
    if (res.status === 404) return null;
    if (!res.ok) throw this.explain(`read ${this.remote.url}@${rev}`, Object.assign(new Error(await res.text()), { statusCode: res.status }));
    return ((await res.json()) as { sha: string }).sha;
  }

  async head(space: Space): Promise<string | null> {
    const sha = await this.revisionSha(space.revision ?? space.branch);
    if (sha) this.heads.set(space.id, sha);
    else this.heads.delete(space.id);
    return sha;
  }

  async exists(space: Space): Promise<boolean> {
    return (await this.head(space)) !== null;
  }

  async list(space: Space, scope = ''): Promise<RemoteListing> {
    const rev = this.heads.get(space.id) ?? (await this.head(space));
    if (!rev) return { entries: [], refused: [] };
    const base = space.root;
    const dir = scope ? `${base}/${scope}` : base;
    const raw: { key: string; size: number; tag: string; digests: Digests }[] = [];
    try {
      for await (const f of listFiles({ repo: this.repo, revision: rev, path: enc(dir), recursive: true, ...this.credentials() })) {
        if (f.type !== 'file') continue;
        const key = f.path.slice(base.length + 1);
        const digests: Digests = f.lfs ? { sha256: f.lfs.oid } : f.oid ? { gitsha1: f.oid } : {};
        raw.push({ key, size: f.size, tag: f.oid ?? '', digests });
      }
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return { entries: [], refused: [] };
      throw this.explain(`list ${this.remote.url}/${dir}`, e);
    }
    return screenKeys(raw);
  }

  async openRead(space: Space, entry: Entry): Promise<Readable> {
    const rev = this.heads.get(space.id) ?? space.revision ?? space.branch;
    let blob: Blob | null;
    try {
      // NOTE: downloadFile does not encode the path itself.
      blob = await downloadFile({ repo: this.repo, path: enc(`${space.root}/${entry.name ?? entry.key}`), revision: rev, xet: false, ...this.credentials() });
    } catch (e) {
      throw this.explain(`download ${space.root}/${entry.key}`, e);
    }
    if (!blob) throw new Error(`${space.root}/${entry.key} is not on ${this.remote.url}@${rev}`);
    return Readable.fromWeb(blob.stream() as import('node:stream/web').ReadableStream);
  }

  async push(space: Space, plan: Plan, ctx: PushContext): Promise<PushResult> {
    const creds = this.credentials();
    let parent = ctx.expectedHead;
    let created: string | undefined;
    if (parent === null) parent = created = await this.startSpace(space, ctx);
    // Every commit of this push carries its id, so a re-run after a lost answer knows the head is its own.
    const pushId = crypto.randomUUID();
    await ctx.onClaim?.({ seq: -1, id: pushId });

    // Hash what we upload (the Hub will list LFS SHA-256 or git blob SHA-1), so the next sync needs no re-hash.
    const written = new Map<string, Digests>();
    const uploads = plan.items.filter((i) => i.kind === 'upload' || i.kind === 'copy');
    const deletes = plan.items.filter((i) => i.kind === 'delete');
    for (const folder of crowdedFolders(plan)) ctx.events.info(`${folder} holds more than ${FILES_PER_FOLDER.toLocaleString('en')} files: the Hub recommends fewer per folder`);
    const ops: { op: CommitOperation; item: (typeof uploads)[number] }[] = [];
    for (const item of uploads) {
      const file = path.join(ctx.localRoot, ...(item.local!.name ?? item.key).split('/'));
      written.set(item.key, { ...item.local!.digests, ...(await hashFile(file, ['sha256', 'gitsha1', 'md5'])) });
      ops.push({ op: { operation: 'addOrUpdate', path: `${space.root}/${item.key}`, content: await fs.openAsBlob(file) }, item });
    }
    for (const item of deletes) ops.push({ op: { operation: 'delete', path: `${space.root}/${item.remote!.name ?? item.key}` }, item });

    const batches: (typeof ops)[] = [];
    for (let i = 0; i < ops.length; i += OPS_PER_COMMIT) batches.push(ops.slice(i, i + OPS_PER_COMMIT));
    if (batches.length > 1) ctx.events.info(`pushing in ${batches.length} commits of at most ${OPS_PER_COMMIT} files (the Hub's per-commit limit)`);
    let head = parent!;
    for (const [n, batch] of batches.entries()) {
      for (const { item } of batch) ctx.events.start(item);
      const suffix = batches.length > 1 ? ` (${n + 1}/${batches.length})` : '';
      try {
        const out = await commit({
          repo: this.repo,
          branch: space.branch,
          parentCommit: head,
          title: commitTitle(ctx.record) + suffix,
          description: `${commitDescription(ctx.record, plan)}\nstrata-push-id: ${pushId}`,
          operations: batch.map((b) => b.op),
          useXet: false,
          ...creds,
        });
        if (out?.commit.oid) head = out.commit.oid;
      } catch (e) {
        const err = this.explain(`commit to ${this.remote.url}@${space.branch}`, e);
        if (err instanceof ConflictError) throw err;
        const failed = batches.slice(n).flat().map(({ item }) => ({ key: item.key, error: err.message }));
        for (const { item } of batches.slice(n).flat()) ctx.events.failed(item, err);
        return { head, written, tags: new Map(), failed, deletesSkipped: 0, created: n === 0 ? created : undefined };
      }
      for (const { item } of batch) {
        if (item.kind === 'upload') ctx.events.bytes(item.bytes);
        ctx.events.done(item, written.get(item.key));
      }
    }
    this.heads.set(space.id, head);
    return { head, written, tags: new Map(), failed: [], deletesSkipped: 0 };
  }

  /** ownsHead: the branch head is a commit of this working copy's unfinished push (its id is in the description). */
  async ownsHead(space: Space, pending: { seq: number; id: string }, head: string): Promise<boolean> {
    for await (const c of listCommits({ repo: this.repo, revision: head, batchSize: 1, ...this.credentials() })) {
      return c.message.includes(`strata-push-id: ${pending.id}`);
    }
    return false;
  }

  /** startSpace creates the repo (private) or the branch (from main's head) on first push. */
  private async startSpace(space: Space, ctx: PushContext): Promise<string> {
    const creds = this.credentials();
    const mainHead = await this.revisionSha(ctx.mainBranch ?? 'main');
    if (!mainHead) {
      // NOTE: a repo that does not exist yet is created private; the first commit adds .gitattributes.
      try {
        await createRepo({ repo: this.repo, private: true, ...creds } as Parameters<typeof createRepo>[0]);
        ctx.events.info(`created the private dataset repo ${this.remote.repo} on the Hub`);
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 409) throw this.explain(`create ${this.remote.url}`, e);
      }
      const sha = await this.revisionSha(ctx.mainBranch ?? 'main');
      if (!sha) throw new StrataError(`${this.remote.url} has no ${ctx.mainBranch ?? 'main'} branch after creating it.`);
      if (space.isMain) return sha;
      return this.startSpace(space, ctx);
    }
    if (space.isMain) return mainHead;
    const base = ctx.seedHead ?? mainHead;
    try {
      await createBranch({ repo: this.repo, branch: space.branch, revision: base, ...creds });
      ctx.events.info(`created Hub branch "${space.branch}" from ${ctx.mainBranch ?? 'main'}`);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 409) {
        throw new ConflictError(`Someone created the Hub branch "${space.branch}" at the same moment. Nothing was changed.`, 'Pull it (`just get-results`), then push again.');
      }
      throw this.explain(`create branch ${space.branch}`, e);
    }
    return base;
  }

  /** tag puts a tag on a branch's current head. */
  async tag(branch: string, name: string, message: string): Promise<string> {
    const sha = await this.revisionSha(branch);
    if (!sha) throw new StrataError(`The Hub branch "${branch}" does not exist yet.`, 'Push first (`just put-results`).', 2);
    const res = await this.api('POST', `/tag/${encodeURIComponent(sha)}`, { tag: name, message });
    if (res.status === 409) throw new StrataError(`The tag "${name}" already exists on ${this.remote.url}.`, 'Tags never move: choose another name (e.g. paper-v2).', 3);
    if (!res.ok) throw this.explain(`tag ${name}`, Object.assign(new Error(await res.text()), { statusCode: res.status }));
    return sha;
  }

  /**
   * commitState makes `layerPath` at `targetRev` equal to `source` (a listing of another
   * revision, read at `sourceRev`), server side: LFS files are referenced by SHA-256 (nothing
   * re-uploaded), small regular files are copied from the source revision, extra files
   * deleted. Operations go in commits of at most OPS_PER_COMMIT (the Hub's limit), each
   * one's small files fetched just before it is sent, so memory holds one commit's worth.
   */
  async commitState(opts: {
    targetRev: string;
    parentCommit: string;
    layerPath: string;
    source: Entry[];
    sourceRev: string;
    target: Entry[];
    title: string;
    description: string;
    /** Open a pull request carrying the first commit (the Hub's create_pr): one request, so a failure leaves no empty PR. */
    createPr?: boolean;
  }): Promise<{ oid: string; changed: number; pullRequest?: { num: number; url: string } }> {
    const targetByKey = new Map(opts.target.map((e) => [e.key, e]));
    const sourceKeys = new Set(opts.source.map((e) => e.key));
    // same git blob: same content
    const writes = opts.source.filter((e) => targetByKey.get(e.key)?.tag !== e.tag);
    const deletes = opts.target.filter((t) => !sourceKeys.has(t.key));
    const ops: ({ write: Entry } | { del: Entry })[] = [...writes.map((write) => ({ write })), ...deletes.map((del) => ({ del }))];
    const changed = ops.length;
    if (changed === 0) return { oid: opts.parentCommit, changed };
    const batches = Math.ceil(ops.length / OPS_PER_COMMIT);
    let parent = opts.parentCommit;
    let rev = opts.targetRev;
    let pullRequest: { num: number; url: string } | undefined;
    for (let b = 0; b < batches; b++) {
      const batch = ops.slice(b * OPS_PER_COMMIT, (b + 1) * OPS_PER_COMMIT);
      // Each commit's own counts, which `just log` shows (one line per commit).
      const written = batch.flatMap((op) => ('write' in op ? [op.write] : []));
      const counts = `written: ${written.length}\ndeleted: ${batch.length - written.length}\nbytes: ${written.reduce((n, e) => n + e.size, 0)}`;
      const summary = batches > 1 ? `${opts.title} (${b + 1}/${batches})` : opts.title;
      const lines = [JSON.stringify({ key: 'header', value: { summary, description: `${opts.description}\n${counts}`, parentCommit: parent } })];
      for (const op of batch) {
        if ('del' in op) {
          lines.push(JSON.stringify({ key: 'deletedFile', value: { path: `${opts.layerPath}/${op.del.name ?? op.del.key}` } }));
          continue;
        }
        const e = op.write;
        const p = `${opts.layerPath}/${e.name ?? e.key}`;
        if (e.digests.sha256) lines.push(JSON.stringify({ key: 'lfsFile', value: { path: p, algo: 'sha256', oid: e.digests.sha256, size: e.size } }));
        else {
          const blob = await downloadFile({ repo: this.repo, path: enc(p), revision: opts.sourceRev, xet: false, ...this.credentials() });
          lines.push(JSON.stringify({ key: 'file', value: { path: p, content: Buffer.from(await blob!.arrayBuffer()).toString('base64'), encoding: 'base64' } }));
        }
      }
      const createPr = opts.createPr && b === 0;
      const res = await this.fetch(`${this.hubUrl}/api/datasets/${this.remote.repo}/commit/${encodeURIComponent(rev)}${createPr ? '?create_pr=1' : ''}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.credentials().accessToken}`, 'Content-Type': 'application/x-ndjson' },
        body: lines.join('\n') + '\n',
      });
      if (!res.ok) throw this.explain(`commit to ${rev}${batches > 1 ? ` (${b + 1}/${batches})` : ''}`, Object.assign(new Error(await res.text()), { statusCode: res.status }));
      const body = (await res.json()) as { commitOid: string; pullRequestUrl?: string };
      parent = body.commitOid;
      if (createPr) {
        const num = Number(/\/discussions\/(\d+)/.exec(body.pullRequestUrl ?? '')?.[1]);
        if (body.pullRequestUrl && num) {
          pullRequest = { num, url: body.pullRequestUrl };
          rev = `refs/pr/${num}`; // the rest of the change goes on the pull request's own ref
        }
      }
    }
    return { oid: parent, changed, pullRequest };
  }

  /** listAt lists a layer at a revision (for PRs and promote). */
  async listAt(layerPath: string, rev: string): Promise<Entry[]> {
    const fake = { id: `${this.remote.url}@${rev}/${layerPath}`, root: layerPath, branch: rev, revision: rev } as Space;
    await this.head(fake);
    return (await this.list(fake)).entries;
  }

  async log(space: Space, limit: number): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    try {
      for await (const c of listCommits({ repo: this.repo, revision: encodeURIComponent(space.branch), batchSize: Math.min(limit, 100), ...this.credentials() })) {
        out.push(parseCommit(c.oid, c.title, c.message, c.date, c.authors.map((a) => a.username).join(', ')));
        if (out.length >= limit) break;
      }
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return [];
      throw this.explain(`read the history of ${this.remote.url}@${space.branch}`, e);
    }
    return out;
  }

  async removeSpace(space: Space): Promise<number> {
    if (space.isMain) throw new StrataError('The main branch is never removed.');
    const files = (await this.list(space)).entries.length;
    try {
      await deleteBranch({ repo: this.repo, branch: space.branch, ...this.credentials() });
    } catch (e) {
      throw this.explain(`delete branch ${space.branch}`, e);
    }
    return files;
  }
}

function crowdedFolders(plan: Plan): string[] {
  const counts = new Map<string, number>();
  for (const i of plan.items) {
    if (!i.local) continue;
    const dir = i.key.includes('/') ? i.key.slice(0, i.key.lastIndexOf('/')) : '.';
    counts.set(dir, (counts.get(dir) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n > FILES_PER_FOLDER).map(([d]) => d);
}

/** commitTitle names the recipe, the layer and the short git SHA (SPEC: SHA-tagged commits). */
export function commitTitle(r: ChangeRecord): string {
  return `${r.recipe} ${r.layer} @ ${r.gitSha ? r.gitSha.slice(0, 8) + (r.dirty ? '+dirty' : '') : 'no commit'}`;
}

export function commitDescription(r: ChangeRecord, plan?: Plan): string {
  const lines = [
    'Pushed with Strata.',
    '',
    `git-sha: ${r.gitSha ?? 'none'}`,
    `dirty: ${r.dirty}`,
    `branch: ${r.branch}`,
    `recipe: ${r.recipe}`,
    `layer: ${r.layer}`,
    `user: ${r.user}`,
    `host: ${r.host}`,
    `tool: ${r.tool}`,
  ];
  if (plan) {
    const w = plan.items.filter((i) => i.kind === 'upload' || i.kind === 'copy');
    lines.push(`written: ${w.length}`, `deleted: ${plan.items.filter((i) => i.kind === 'delete').length}`, `bytes: ${w.reduce((n, i) => n + i.bytes, 0)}`);
  }
  return lines.join('\n');
}

/** parseCommit reads a Strata commit back into a log line; other commits keep their title and author. */
export function parseCommit(oid: string, title: string, message: string, date: Date | string, authors: string): LogEntry {
  const field = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(message)?.[1];
  const sha = field('git-sha');
  return {
    id: oid.slice(0, 8),
    time: new Date(date).toISOString(),
    title,
    status: 'done',
    recipe: field('recipe') ?? title,
    layer: field('layer') ?? '',
    branch: field('branch') ?? '',
    gitSha: sha && sha !== 'none' ? sha : null,
    dirty: field('dirty') === 'true',
    user: field('user') ?? authors,
    host: field('host') ?? 'the Hub',
    tool: field('tool') ?? '',
    uploaded: Number(field('written') ?? 0),
    deleted: Number(field('deleted') ?? 0),
    bytes: Number(field('bytes') ?? 0),
  };
}
