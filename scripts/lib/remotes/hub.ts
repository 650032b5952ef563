// A Hugging Face Hub dataset repo as a versioned remote. A space is a branch of the repo
// (named like the git branch, created from main on first push); a push is one commit (or a
// reported sequence when the Hub's limits require it) carrying every addition and deletion,
// with parentCommit = the head this working copy last synced, so a teammate's push in
// between is a 412 and a clear conflict, never a silent overwrite. What only a versioned
// remote can do (tags, pull requests, server-side state commits) is in hub-versions.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { commit, createBranch, createRepo, deleteBranch, listCommits, type CommitOperation } from '@huggingface/hub';
import type { Config } from '../config/load.js';
import { ConflictError, StrataError } from '../errors.js';
import { removalsMayRun } from '../apply/removals-last.js';
import { hashFile } from '../listing/digest.js';
import type { Entry } from '../listing/entry.js';
import type { Digests } from '../listing/state.js';
import { assertUnchanged, stampOf, type FileStamp } from '../listing/unchanged.js';
import type { Plan, PlanItem } from '../plan/plan.js';
import type { Space } from '../space.js';
import { commitDescription, commitTitle, parseCommit, pushIdLine } from './hub-commit-message.js';
import { HubRepo, OPS_PER_COMMIT, type HubUrl } from './hub-repo.js';
import { HubVersions } from './hub-versions.js';
import type { Backend, Baseline, LogEntry, PushContext, PushResult, RemoteListing } from './types.js';

/** The Hub's recommended maximum of files in one folder. */
export const FILES_PER_FOLDER = 10_000;

export class HubBackend implements Backend {
  readonly kind = 'hf' as const;
  readonly hub: HubRepo;
  readonly versioned: HubVersions;
  /** Heads read by head(): listings and downloads read that exact commit (a consistent snapshot). */
  private readonly heads = new Map<string, string>();

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

  async exists(space: Space): Promise<boolean> {
    return (await this.head(space)) !== null;
  }

  async list(space: Space, scope = ''): Promise<RemoteListing> {
    const rev = this.heads.get(space.id) ?? (await this.head(space));
    if (!rev) return { entries: [], refused: [] };
    return this.hub.listAt(rev, space.root, scope);
  }

  async openRead(space: Space, entry: Entry): Promise<Readable> {
    const rev = this.heads.get(space.id) ?? space.revision ?? space.branch;
    let blob: Blob | null;
    try {
      blob = await this.hub.download(`${space.root}/${entry.name ?? entry.key}`, rev);
    } catch (e) {
      throw this.hub.explain(`download ${space.root}/${entry.key}`, e);
    }
    if (!blob) throw new Error(`${space.root}/${entry.key} is not on ${this.remote.url}@${rev}`);
    return Readable.fromWeb(blob.stream() as import('node:stream/web').ReadableStream);
  }

  async push(space: Space, plan: Plan, ctx: PushContext): Promise<PushResult> {
    const creds = this.hub.credentials();
    let parent = ctx.expectedHead;
    let created: string | undefined;
    if (parent === null) parent = created = await this.startSpace(space, ctx);
    // Every commit of this push carries its id, so a re-run after a lost answer knows the head is its own.
    const pushId = crypto.randomUUID();
    await ctx.onClaim?.({ seq: -1, id: pushId });

    // Hash what we upload (the Hub will list LFS SHA-256 or git blob SHA-1), so the next sync needs no re-hash.
    const written = new Map<string, Digests>();
    const failed: { key: string; error: string }[] = [];
    const fail = (item: PlanItem, e: Error) => {
      failed.push({ key: item.key, error: e.message });
      ctx.events.failed(item, e);
    };
    const uploads = plan.items.filter((i) => i.kind === 'upload' || i.kind === 'copy');
    const deletes = plan.items.filter((i) => i.kind === 'delete');
    for (const folder of crowdedFolders(plan)) ctx.events.info(`${folder} holds more than ${FILES_PER_FOLDER.toLocaleString('en')} files: the Hub recommends fewer per folder`);
    const ops: Op[] = [];
    for (const item of uploads) {
      const file = path.join(ctx.localRoot, ...(item.local!.name ?? item.key).split('/'));
      // As on S3 and folders (listing/unchanged.ts): what was hashed is what is sent, or the file is not sent.
      const stamp = stampOf(file);
      const digests = { ...item.local!.digests, ...(await hashFile(file, ['sha256', 'gitsha1', 'md5'])) };
      const content = await fs.openAsBlob(file);
      const changed = changedSince(file, stamp, 'while being hashed');
      if (changed) {
        ctx.events.start(item);
        fail(item, changed);
        continue;
      }
      written.set(item.key, digests);
      ops.push({ op: { operation: 'addOrUpdate', path: `${space.root}/${item.key}`, content }, item, file, stamp });
    }
    // Deletions ride in the commits with the uploads: after a failed file they stay out (apply/removals-last.ts).
    let deletesSkipped = 0;
    const removalsAllowed = () => removalsMayRun(failed.length, deletes.length, { removing: 'deleting', side: 'remote', transfer: 'transfer' }, (m) => ctx.events.info(m));
    if (removalsAllowed()) for (const item of deletes) ops.push({ op: { operation: 'delete', path: `${space.root}/${item.remote!.name ?? item.key}` }, item });
    else deletesSkipped = deletes.length;

    const batches: Op[][] = [];
    for (let i = 0; i < ops.length; i += OPS_PER_COMMIT) batches.push(ops.slice(i, i + OPS_PER_COMMIT));
    if (batches.length > 1) ctx.events.info(`pushing in ${batches.length} commits of at most ${OPS_PER_COMMIT} files (the Hub's per-commit limit)`);
    let head = parent!;
    let landed = false;
    for (let n = 0; n < batches.length; n++) {
      for (const { item } of batches[n]) ctx.events.start(item);
      const suffix = batches.length > 1 ? ` (${n + 1}/${batches.length})` : '';
      while (batches[n].length) {
        try {
          const out = await commit({
            repo: this.hub.repo,
            branch: space.branch,
            parentCommit: head,
            title: commitTitle(ctx.record) + suffix,
            description: `${commitDescription(ctx.record, { ...plan, items: batches.flat().map((o) => o.item) })}\n${pushIdLine(pushId)}`,
            operations: batches[n].map((b) => b.op),
            useXet: false,
            ...creds,
          });
          if (out?.commit.oid) head = out.commit.oid;
          landed = true;
          break;
        } catch (e) {
          // Node refuses to read a file that changed after it was opened, before the commit is
          // sent: such files fail as on S3, and the rest of the commit goes without them (and
          // without deletions, which never follow a failure).
          const changed = unreadable(e) ? batches[n].flatMap((o) => (o.file ? [{ o, error: changedSince(o.file, o.stamp!, 'while being uploaded') }] : [])) : [];
          const left = new Set<Op>();
          for (const { o, error } of changed) {
            if (!error) continue;
            written.delete(o.item.key);
            fail(o.item, error);
            left.add(o);
          }
          if (left.size) {
            const pending = batches.slice(n).flat();
            if (pending.some((o) => o.op.operation === 'delete') && !removalsAllowed()) {
              for (const o of pending) if (o.op.operation === 'delete') left.add(o);
              deletesSkipped = deletes.length;
            }
            for (let k = n; k < batches.length; k++) batches[k] = batches[k].filter((o) => !left.has(o));
            continue;
          }
          const err = this.hub.explain(`commit to ${this.remote.url}@${space.branch}`, e);
          if (err instanceof ConflictError) throw err;
          for (const { item } of batches.slice(n).flat()) fail(item, err);
          return { head, written, tags: new Map(), failed, deletesSkipped, created: landed ? undefined : created };
        }
      }
      for (const { item } of batches[n]) {
        if (item.kind === 'upload') ctx.events.bytes(item.bytes);
        ctx.events.done(item, written.get(item.key));
      }
    }
    this.heads.set(space.id, head);
    // A push that lost files before any commit landed leaves the space as created (main's files).
    return { head, written, tags: new Map(), failed, deletesSkipped, created: failed.length && !landed ? created : undefined };
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

  async log(space: Space, limit: number): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    try {
      for await (const c of listCommits({ repo: this.hub.repo, revision: encodeURIComponent(space.branch), batchSize: Math.min(limit, 100), ...this.hub.credentials() })) {
        out.push(parseCommit(c.oid, c.title, c.message, c.date, c.authors.map((a) => a.username).join(', ')));
        if (out.length >= limit) break;
      }
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return [];
      throw this.hub.explain(`read the history of ${this.remote.url}@${space.branch}`, e);
    }
    return out;
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

/** One operation of a push's commits; an upload keeps its file and the stamp it was hashed at. */
interface Op {
  op: CommitOperation;
  item: PlanItem;
  file?: string;
  stamp?: FileStamp;
}

/** changedSince: why `file` no longer is the file stamped (listing/unchanged.ts's words), or null. */
function changedSince(file: string, stamp: FileStamp, when: string): Error | null {
  try {
    assertUnchanged(file, stamp, when);
    return null;
  } catch (e) {
    return e as Error;
  }
}

/** unreadable: the error is Node's refusal to read a file-backed Blob whose file changed. */
function unreadable(e: unknown): boolean {
  for (let x = e as { name?: string; cause?: unknown } | undefined; x; x = x.cause as typeof x) if (x.name === 'NotReadableError') return true;
  return false;
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
