// The git context every recipe needs: which branch we are on (it picks the remote space),
// and which commit produced the data (it tags every remote change).
import { simpleGit } from 'simple-git';
import { StrataError } from './errors.js';

export interface GitContext {
  /** Current branch, or null on a detached HEAD. */
  branch: string | null;
  /** Full commit SHA, or null in a repository with no commit yet. */
  sha: string | null;
  shortSha: string | null;
  /** Uncommitted changes to the code (tracked or untracked, .gitignore honoured; the data folders left out). */
  dirty: boolean;
  detached: boolean;
  mainBranch: string;
}

/**
 * readGit: the branch, the commit and the dirty flag. `dataFolders` (the layer and recycle
 * folders, relative to `dir`) are data, not the code a push is recorded against: they are
 * left out of the dirty check, and git does not walk them — at a million data files, looking
 * through them for untracked files took up to 10 s with a cold disk cache.
 */
export async function readGit(dir: string, mainBranch: string, dataFolders: readonly string[] = []): Promise<GitContext> {
  // One git process for all of it (four took a tenth of a no-op sync's time): the branch,
  // the commit (also on an unborn branch or a detached HEAD) and whether the tree is dirty.
  // Strata's own folder never makes the tree dirty, even where .gitignore forgets it.
  let status: string;
  try {
    const skip = ['.strata', ...dataFolders].map((f) => `:(exclude,literal)${f}`);
    status = await simpleGit({ baseDir: dir }).raw(['status', '--porcelain=v2', '--branch', '--', '.', ...skip]);
  } catch {
    throw new StrataError(`${dir} is not inside a git repository.`, 'Strata follows the git branch: run it inside the project\'s git checkout (git init, then commit once).', 2);
  }
  let branch: string | null = null;
  let sha: string | null = null;
  let dirty = false;
  for (const line of status.split('\n')) {
    if (line.startsWith('# branch.head ')) {
      const name = line.slice('# branch.head '.length);
      branch = name === '(detached)' ? null : name;
    } else if (line.startsWith('# branch.oid ')) {
      const oid = line.slice('# branch.oid '.length);
      sha = oid === '(initial)' ? null : oid;
    } else if (line && !line.startsWith('#')) dirty = true;
  }
  return { branch, sha, shortSha: sha ? sha.slice(0, 8) : null, dirty, detached: branch === null, mainBranch };
}

/** describeCommit is how a record names the commit: "1a2b3c4d", "1a2b3c4d+dirty" or "no commit". */
export function describeCommit(git: GitContext): string {
  if (!git.shortSha) return 'no commit';
  return git.dirty ? `${git.shortSha}+dirty` : git.shortSha;
}

/** remoteUrl: the URL of the git remote `origin` (or the first one), null when there is none. */
export async function remoteUrl(dir: string): Promise<string | null> {
  try {
    const remotes = await simpleGit({ baseDir: dir }).getRemotes(true);
    const r = remotes.find((x) => x.name === 'origin') ?? remotes[0];
    return r?.refs.fetch || null;
  } catch {
    return null;
  }
}
