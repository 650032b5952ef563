// The Hub's history: a page of a branch's commits (`just log`, older pages from a commit
// id), which commit last changed each file (`just which`) and the commits that changed a
// file or folder (`just log --path`). The Hub knows each path's last
// commit at any revision (paths-info with expand); a commit's message is Strata's record of
// the push (who, which git commit, branch, recipe), read back with parseCommit.
import { listCommits, pathsInfo, type CommitData } from '@huggingface/hub';
import pLimit from 'p-limit';
import { StrataError } from '../errors.js';
import type { Entry } from '../listing/entry.js';
import { isStrataCommit, parseCommit } from './hub-commit-message.js';
import type { HubRepo } from './hub-repo.js';
import type { LogEntry, LogPage, LogQuery, Origin } from './types.js';

/** Paths per paths-info request: looking up last commits is costly for the Hub, which pages such tree listings at 50. */
const PATHS_PER_REQUEST = 50;
/** Commits read from the head in one page; a file's last commit older than that is asked for by its id. */
const COMMITS_PAGE = 100;

const statusOf = (e: unknown) => (e as { statusCode?: number }).statusCode;

/** The first `n` commits of the history from `revision` (a commit id), newest first. */
async function firstCommits(hub: HubRepo, revision: string, n: number): Promise<CommitData[]> {
  const out: CommitData[] = [];
  if (n < 1) return out;
  for await (const c of listCommits({ repo: hub.repo, revision, batchSize: Math.min(n, COMMITS_PAGE), ...hub.credentials() })) {
    out.push(c);
    if (out.length >= n) break;
  }
  return out;
}

/** asOrigin: a commit as the push behind a file; `foreign` when another tool made it. */
function asOrigin(c: CommitData): Origin {
  const push = parseCommit(c.oid, c.title, c.message, c.date, c.authors.map((a) => a.username).join(', '));
  if (isStrataCommit(c.message)) return { push };
  return { push, foreign: 'another tool (the hf CLI, the web editor) made the commit that last changed it; its message has no Strata record' };
}

/**
 * hubOrigins: for each file of the listing at `head`, the commit that last changed it. One
 * paths-info request per PATHS_PER_REQUEST files, then the head's newest COMMITS_PAGE commits
 * in one request for their messages; a last commit older than those is asked for by its id.
 */
export async function hubOrigins(hub: HubRepo, head: string | null, root: string, files: readonly Entry[]): Promise<Map<string, Origin>> {
  const out = new Map<string, Origin>();
  if (!head || !files.length) return out;
  const keyOf = new Map(files.map((f) => [`${root}/${f.name ?? f.key}`, f.key]));
  const lastCommit = new Map<string, string>();
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += PATHS_PER_REQUEST) batches.push([...keyOf.keys()].slice(i, i + PATHS_PER_REQUEST));
  const limit = pLimit(4);
  try {
    await Promise.all(
      batches.map((paths) =>
        limit(async () => {
          for (const info of await pathsInfo({ repo: hub.repo, revision: head, paths, expand: true, ...hub.credentials() })) {
            const key = keyOf.get(info.path);
            if (key !== undefined && info.lastCommit) lastCommit.set(key, info.lastCommit.id);
          }
        }),
      ),
    );
    const wanted = new Set(lastCommit.values());
    const commits = new Map<string, CommitData>();
    let seen = 0;
    for await (const c of listCommits({ repo: hub.repo, revision: head, batchSize: COMMITS_PAGE, ...hub.credentials() })) {
      if (wanted.has(c.oid)) commits.set(c.oid, c);
      if (commits.size === wanted.size || ++seen >= COMMITS_PAGE) break;
    }
    const older = [...wanted].filter((id) => !commits.has(id));
    await Promise.all(older.map((id) => limit(async () => (await firstCommits(hub, id, 1)).forEach((c) => commits.set(c.oid, c)))));
    for (const f of files) {
      const c = commits.get(lastCommit.get(f.key) ?? '');
      out.set(f.key, c ? asOrigin(c) : { foreign: 'the Hub names no commit that changed it' });
    }
  } catch (e) {
    throw hub.explain(`read the history of ${hub.remote.url}@${head.slice(0, 8)}`, e);
  }
  return out;
}

/** hubLog: a page of the commits on `branch`, newest first (or older than `before`): one page of the Hub's commit listing. */
export async function hubLog(hub: HubRepo, branch: string, root: string, query: LogQuery): Promise<LogPage> {
  if (query.path !== undefined) return hubPathLog(hub, branch, root, query.path, query);
  const skip = query.before === undefined ? 0 : 1;
  const commits: CommitData[] = [];
  try {
    // From `before` itself (a commit id lists its own history), which is then left out.
    const from = query.before === undefined ? encodeURIComponent(branch) : await commitOf(hub, branch, query.before);
    // One more than the page: it says whether there is an older page.
    commits.push(...(await firstCommits(hub, from, query.limit + 1 + skip)));
  } catch (e) {
    if (e instanceof StrataError) throw e;
    // A missing branch has no history; a missing commit is a wrong --before.
    if (statusOf(e) === 404 && query.before !== undefined) throw noCommit(hub, branch, query.before);
    if (statusOf(e) === 404) return { entries: [], older: null };
    throw hub.explain(`read the history of ${hub.remote.url}@${branch}`, e);
  }
  const page = commits.slice(skip);
  const shown = page.slice(0, query.limit);
  return { entries: shown.map((c) => asOrigin(c).push!), older: page.length > query.limit ? shown[shown.length - 1]!.oid : null };
}

/**
 * hubPathLog: the newest `limit` commits on `branch` (or older than `before`) that changed
 * `path` (a file or folder, layer-relative; '' for the whole layer). The Hub lists no history
 * by path, so it is followed back: the path's last commit at the branch head, then its last
 * commit at that commit's parent, and so on — two requests a line. Through a merge, the line
 * followed is the one the Hub lists next. A path no longer at the branch head shows no history.
 */
async function hubPathLog(hub: HubRepo, branch: string, root: string, path: string, query: LogQuery): Promise<LogPage> {
  const target = path ? `${root}/${path}` : root;
  const out: LogEntry[] = [];
  let revision: string | undefined = branch;
  let last: string | null = null;
  try {
    if (query.before !== undefined) revision = (await firstCommits(hub, await commitOf(hub, branch, query.before), 2))[1]?.oid;
    while (revision && out.length < query.limit) {
      const [info] = await pathsInfo({ repo: hub.repo, revision, paths: [target], expand: true, ...hub.credentials() });
      if (!info?.lastCommit) break;
      const [commit, parent] = await firstCommits(hub, info.lastCommit.id, 2);
      if (!commit) break;
      out.push(asOrigin(commit).push!);
      last = commit.oid;
      revision = parent?.oid;
    }
  } catch (e) {
    if (e instanceof StrataError) throw e;
    if (statusOf(e) === 404 && !out.length && query.before !== undefined && revision === branch) throw noCommit(hub, branch, query.before);
    if (statusOf(e) === 404 && !out.length) return { entries: [], older: null };
    throw hub.explain(`read the history of ${target} on ${hub.remote.url}@${branch}`, e);
  }
  // A full page with history left before it offers the next; finding one more would cost two requests a line.
  return { entries: out, older: out.length >= query.limit && revision ? last : null };
}

/**
 * commitOf reads `--before` on the Hub: a whole commit id as it is; a short one (as `just log`
 * shows it) looked for in the branch's history, a page of 100 commits a request.
 */
async function commitOf(hub: HubRepo, branch: string, before: string): Promise<string> {
  const id = before.trim().toLowerCase();
  if (/^[0-9a-f]{40}$/.test(id)) return id;
  if (/^[0-9a-f]{4,39}$/.test(id)) {
    for await (const c of listCommits({ repo: hub.repo, revision: encodeURIComponent(branch), batchSize: COMMITS_PAGE, ...hub.credentials() })) {
      if (c.oid.startsWith(id)) return c.oid;
    }
  }
  throw noCommit(hub, branch, before);
}

function noCommit(hub: HubRepo, branch: string, before: string): StrataError {
  return new StrataError(
    `--before ${before} names no commit on branch "${branch}" of ${hub.remote.url}.`,
    'Give a commit id from `just log` (the `older:` line names the whole id), e.g. --before 1a2b3c4d.',
    2,
  );
}
