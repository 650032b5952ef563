// A Hugging Face Hub dataset repo as a versioned remote. A space is a branch of the repo
// (named like the git branch, created from main on first push); a push is one commit (or a
// reported sequence when the Hub's limits require it) carrying every addition and deletion,
// with parentCommit = the head this working copy last synced, so a teammate's push in
// between is a 412 and a clear conflict, never a silent overwrite. The commits are made by
// hub-push.ts; what only a versioned remote can do (tags, pull requests, server-side state
// commits) is in hub-versions.ts; the history of paths (`just which`, `just log --path`) is
// in hub-path-history.ts.
import { Readable } from 'node:stream';
import { createBranch, createRepo, deleteBranch, listCommits } from '@huggingface/hub';
import type { Config } from '../config/load.js';
import type { Layer } from '../config/layers.js';
import { ConflictError, StrataError } from '../errors.js';
import { compareKeys, type Entry } from '../listing/entry.js';
import type { Plan } from '../plan/plan.js';
import type { Space } from '../space.js';
import { pushIdLine } from './hub-commit-message.js';
import { hubLog, hubOrigins } from './hub-path-history.js';
import { commitPlan } from './hub-push.js';
import { HubRepo, type HubUrl } from './hub-repo.js';
import { lastChangeMs, readTimes, type Times } from './hub-times.js';
import { HUB_LIMITS } from './hub-limits.js';
import { HubVersions } from './hub-versions.js';
import { clampRange, rangeFileMissing } from './read-range.js';
import type { Backend, Baseline, LogPage, LogQuery, Origin, PushContext, PushResult, RemoteListing, RemoteRead } from './types.js';

export class HubBackend implements Backend {
  readonly kind = 'hf' as const;
  readonly limits = HUB_LIMITS;
  readonly hub: HubRepo;
  readonly versioned: HubVersions;
  /** Heads read by head(): listings and downloads read that exact commit (a consistent snapshot). */
  private readonly heads = new Map<string, string>();
  /** Each layer's record of modification times, by `layer@commit` (hub-times.ts). */
  private readonly times = new Map<string, Promise<Times>>();

  constructor(remote: HubUrl, config: Config) {
    this.hub = new HubRepo(remote, config);
    this.versioned = new HubVersions(this.hub);
  }

  private get remote() {
    return this.hub.remote;
  }

  async head(space: Space): Promise<string | null> {
    const sha = await this.hub.revisionSha(space.revision ?? space.branch);
    if (sha) this.heads.set(space.id, sha);
    else this.heads.delete(space.id);
    return sha;
  }

  /** A new branch is created from main's head, so its push is planned against main's files. */
  async baseline(_space: Space, mainSpace: Space, scope: string): Promise<Baseline> {
    const seedHead = await this.head(mainSpace);
    return seedHead ? { seedHead, remote: await this.list(mainSpace, scope) } : { seedHead };
  }

  /**
   * branches: the repo's branches but main. A branch is the space of every layer on the repo
   * (created from main, it holds main's files until a push changes them), so a branch with no
   * file under this layer's path counts too; layer paths tell nothing apart here.
   */
  async branches(_layer: Layer, mainBranch: string): Promise<string[]> {
    return (await this.versioned.refs()).branches.filter((b) => b !== mainBranch).sort(compareKeys);
  }

  async exists(space: Space): Promise<boolean> {
    return (await this.head(space)) !== null;
  }

  async list(space: Space, scope = ''): Promise<RemoteListing> {
    const rev = this.heads.get(space.id) ?? (await this.head(space));
    if (!rev) return { entries: [], refused: [] };
    return this.hub.listAt(rev, space.root, scope);
  }

  async openRead(space: Space, entry: Entry): Promise<RemoteRead> {
    const rev = this.heads.get(space.id) ?? space.revision ?? space.branch;
    let body: ReadableStream<Uint8Array> | null;
    try {
      body = await this.hub.readOnce(`${space.root}/${entry.name ?? entry.key}`, rev);
    } catch (e) {
      throw this.hub.explain(`download ${space.root}/${entry.key}`, e);
    }
    if (!body) throw new Error(`${space.root}/${entry.key} is not on ${this.remote.url}@${rev}`);
    const file = `${space.root}/${entry.name ?? entry.key}`;
    const mtimeMs = (await this.timesAt(space.root, rev))[entry.key] ?? (await lastChangeMs(this.hub, file, rev).catch(() => undefined));
    return { body: Readable.fromWeb(body as import('node:stream/web').ReadableStream), mtimeMs };
  }

  /** readRange: the file at the head this run read (as openRead), through HubRepo.readRange. */
  async readRange(space: Space, entry: Entry, start: number, end: number): Promise<Uint8Array> {
    const range = clampRange(entry, start, end);
    if (!range) return new Uint8Array(0);
    const rev = this.heads.get(space.id) ?? space.revision ?? space.branch;
    const file = `${space.root}/${entry.name ?? entry.key}`;
    let bytes: Uint8Array | null;
    try {
      bytes = await this.hub.readRange(file, rev, range.start, range.end);
    } catch (e) {
      throw this.hub.explain(`read ${file} from ${this.remote.url}@${rev}`, e);
    }
    if (!bytes) throw rangeFileMissing(space, entry);
    return bytes;
  }

  /** The layer's record of times at a commit, read once per pull (only a pull that downloads reads it). */
  private timesAt(layerRoot: string, rev: string): Promise<Times> {
    const key = `${layerRoot}@${rev}`;
    let times = this.times.get(key);
    if (!times) {
      times = readTimes(this.hub, layerRoot, rev).catch(() => ({}));
      this.times.set(key, times);
    }
    return times;
  }

  async push(space: Space, plan: Plan, ctx: PushContext): Promise<PushResult> {
    let parent = ctx.expectedHead;
    let created: string | undefined;
    if (parent === null) parent = created = await this.startSpace(space, ctx);
    const result = await commitPlan(this.hub, space, plan, ctx, parent, created);
    if (result.head !== parent || !result.failed.length) this.heads.set(space.id, result.head);
    return result;
  }

  /** ownsHead: the branch head is a commit of this working copy's unfinished push (its id is in the description). */
  async ownsHead(space: Space, pending: { seq: number; id: string }, head: string): Promise<boolean> {
    for await (const c of listCommits({ repo: this.hub.repo, revision: head, batchSize: 1, ...this.hub.credentials() })) {
      return c.message.includes(pushIdLine(pending.id));
    }
    return false;
  }

  /** startSpace creates the repo (private) or the branch (from main's head) on first push. */
  private async startSpace(space: Space, ctx: PushContext): Promise<string> {
    const creds = this.hub.credentials();
    const mainHead = await this.hub.revisionSha(ctx.mainBranch ?? 'main');
    if (!mainHead) {
      // NOTE: a repo that does not exist yet is created private; the first commit adds .gitattributes.
      try {
        await createRepo({ repo: this.hub.repo, private: true, ...creds } as Parameters<typeof createRepo>[0]);
        ctx.events.info(`created the private dataset repo ${this.remote.repo} on the Hub`);
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 409) throw this.hub.explain(`create ${this.remote.url}`, e);
      }
      const sha = await this.hub.revisionSha(ctx.mainBranch ?? 'main');
      if (!sha) throw new StrataError(`${this.remote.url} has no ${ctx.mainBranch ?? 'main'} branch after creating it.`);
      if (space.isMain) return sha;
      return this.startSpace(space, ctx);
    }
    if (space.isMain) return mainHead;
    const base = ctx.seedHead ?? mainHead;
    try {
      await createBranch({ repo: this.hub.repo, branch: space.branch, revision: base, ...creds });
      ctx.events.info(`created Hub branch "${space.branch}" from ${ctx.mainBranch ?? 'main'}`);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 409) {
        throw new ConflictError(`Someone created the Hub branch "${space.branch}" at the same moment. Nothing was changed.`, 'Pull it (`just get-results`), then push again.');
      }
      throw this.hub.explain(`create branch ${space.branch}`, e);
    }
    return base;
  }

  log(space: Space, query: LogQuery): Promise<LogPage> {
    return hubLog(this.hub, space.branch, space.root, query);
  }

  /** The commit that last changed each file, as the Hub knows it at `head`. */
  origins(space: Space, head: string | null, files: readonly Entry[]): Promise<Map<string, Origin>> {
    return hubOrigins(this.hub, head, space.root, files);
  }

  async removeSpace(space: Space): Promise<number> {
    if (space.isMain) throw new StrataError('The main branch is never removed.');
    const files = (await this.list(space)).entries.length;
    try {
      await deleteBranch({ repo: this.hub.repo, branch: space.branch, ...this.hub.credentials() });
    } catch (e) {
      throw this.hub.explain(`delete branch ${space.branch}`, e);
    }
    return files;
  }
}
