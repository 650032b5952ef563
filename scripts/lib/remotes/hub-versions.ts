// What only a versioned remote can do, on a Hub dataset repo: resolve a revision, tag a
// branch's head, list a layer at a revision, and commit a layer's whole state from another
// revision server side (promote, pull requests) — nothing re-uploaded from disk.
import { StrataError } from '../errors.js';
import type { Entry } from '../listing/entry.js';
import { commitCounts } from './hub-commit-message.js';
import { OPS_PER_COMMIT, type HubRepo } from './hub-repo.js';
import { readTimes, timesContent, timesPath } from './hub-times.js';
import type { StateCommit, VersionedBackend } from './types.js';

export class HubVersions implements VersionedBackend {
  constructor(private readonly hub: HubRepo) {}

  /** revisionSha: the commit a branch, tag or commit id points at, or null when it does not exist. */
  revisionSha(rev: string): Promise<string | null> {
    return this.hub.revisionSha(rev);
  }

  /** refs: the repo's branches and tags (none when the repo does not exist yet). */
  async refs(): Promise<{ branches: string[]; tags: string[] }> {
    const res = await this.hub.api('GET', '/refs');
    if (res.status === 404) return { branches: [], tags: [] };
    if (!res.ok) throw await this.hub.failure(`list the branches of ${this.hub.remote.url}`, res);
    const refs = (await res.json()) as { branches?: { name: string }[]; tags?: { name: string }[] };
    return { branches: (refs.branches ?? []).map((b) => b.name), tags: (refs.tags ?? []).map((t) => t.name) };
  }

  /** tag puts a tag on a branch's current head. */
  async tag(branch: string, name: string, message: string): Promise<string> {
    const sha = await this.hub.revisionSha(branch);
    if (!sha) throw new StrataError(`The Hub branch "${branch}" does not exist yet.`, 'Push first (`just put-results`).', 2);
    const res = await this.hub.api('POST', `/tag/${encodeURIComponent(sha)}`, { tag: name, message });
    if (res.status === 409) throw new StrataError(`The tag "${name}" already exists on ${this.hub.remote.url}.`, 'Tags never move: choose another name (e.g. paper-v2).', 3);
    if (!res.ok) throw await this.hub.failure(`tag ${name}`, res);
    return sha;
  }

  /** listAt lists a layer at a revision (for PRs and promote). */
  async listAt(layerPath: string, rev: string): Promise<Entry[]> {
    const sha = await this.hub.revisionSha(rev);
    if (!sha) return [];
    return (await this.hub.listAt(sha, layerPath)).entries;
  }

  /**
   * commitState makes `layerPath` at `targetRev` equal to `source` (a listing of another
   * revision, read at `sourceRev`), server side: LFS files are referenced by SHA-256 (nothing
   * re-uploaded), small regular files are copied from the source revision, extra files
   * deleted. Operations go in commits of at most OPS_PER_COMMIT (the Hub's limit), each
   * one's small files fetched just before it is sent, so memory holds one commit's worth.
   */
  async commitState(opts: StateCommit): Promise<{ oid: string; changed: number; pullRequest?: { num: number; url: string } }> {
    const targetByKey = new Map(opts.target.map((e) => [e.key, e]));
    const sourceKeys = new Set(opts.source.map((e) => e.key));
    // same git blob: same content
    const writes = opts.source.filter((e) => targetByKey.get(e.key)?.tag !== e.tag);
    const deletes = opts.target.filter((t) => !sourceKeys.has(t.key));
    const ops: ({ write: Entry } | { del: Entry })[] = [...writes.map((write) => ({ write })), ...deletes.map((del) => ({ del }))];
    const changed = ops.length;
    if (changed === 0) return { oid: opts.parentCommit, changed };
    // One operation of the last commit is the record of times.
    const perCommit = OPS_PER_COMMIT - 1;
    const batches = Math.ceil(ops.length / perCommit);
    let parent = opts.parentCommit;
    let rev = opts.targetRev;
    let pullRequest: { num: number; url: string } | undefined;
    for (let b = 0; b < batches; b++) {
      const batch = ops.slice(b * perCommit, (b + 1) * perCommit);
      // Each commit's own counts, which `just log` shows (one line per commit).
      const written = batch.flatMap((op) => ('write' in op ? [op.write] : []));
      const counts = commitCounts(written.length, batch.length - written.length, written.reduce((n, e) => n + e.size, 0));
      const summary = batches > 1 ? `${opts.title} (${b + 1}/${batches})` : opts.title;
      const lines = [JSON.stringify({ key: 'header', value: { summary, description: `${opts.description}\n${counts}`, parentCommit: parent } })];
      if (b === batches - 1) {
        // The layer's times come along with its files (hub-times.ts).
        const source = await readTimes(this.hub, opts.layerPath, opts.sourceRev);
        const kept = Object.fromEntries(Object.entries(source).filter(([k]) => sourceKeys.has(k)));
        lines.push(JSON.stringify({ key: 'file', value: { path: timesPath(opts.layerPath), content: Buffer.from(timesContent(kept)).toString('base64'), encoding: 'base64' } }));
      }
      for (const op of batch) {
        if ('del' in op) {
          lines.push(JSON.stringify({ key: 'deletedFile', value: { path: `${opts.layerPath}/${op.del.name ?? op.del.key}` } }));
          continue;
        }
        const e = op.write;
        const p = `${opts.layerPath}/${e.name ?? e.key}`;
        if (e.digests.sha256) lines.push(JSON.stringify({ key: 'lfsFile', value: { path: p, algo: 'sha256', oid: e.digests.sha256, size: e.size } }));
        else {
          const blob = await this.hub.download(p, opts.sourceRev);
          lines.push(JSON.stringify({ key: 'file', value: { path: p, content: Buffer.from(await blob!.arrayBuffer()).toString('base64'), encoding: 'base64' } }));
        }
      }
      const createPr = opts.createPr && b === 0;
      const res = await this.hub.fetch(`${this.hub.hubUrl}/api/datasets/${this.hub.remote.repo}/commit/${encodeURIComponent(rev)}${createPr ? '?create_pr=1' : ''}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.hub.credentials().accessToken}`, 'Content-Type': 'application/x-ndjson' },
        body: lines.join('\n') + '\n',
      });
      if (!res.ok) throw await this.hub.failure(`commit to ${rev}${batches > 1 ? ` (${b + 1}/${batches})` : ''}`, res);
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
}
