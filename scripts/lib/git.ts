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
  /** Uncommitted changes (tracked or untracked, .gitignore honoured). */
  dirty: boolean;
  detached: boolean;
  mainBranch: string;
}

export async function readGit(dir: string, mainBranch: string): Promise<GitContext> {
  const git = simpleGit({ baseDir: dir });
  let inside = false;
  try {
    inside = (await git.raw(['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
  } catch {
    inside = false;
  }
  if (!inside) {
    throw new StrataError(`${dir} is not inside a git repository.`, 'Strata follows the git branch: run it inside the project\'s git checkout (git init, then commit once).', 2);
  }
  // symbolic-ref fails on a detached HEAD, and works on an unborn branch (no commit yet).
  let branch: string | null = null;
  try {
    branch = (await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD'])).trim() || null;
  } catch {
    branch = null;
  }
  let sha: string | null = null;
  try {
    sha = (await git.raw(['rev-parse', '--verify', '--quiet', 'HEAD'])).trim() || null;
  } catch {
    sha = null;
  }
  // Strata's own folder never makes the tree dirty, even where .gitignore forgets it.
  const status = await git.raw(['status', '--porcelain', '--', '.', ':(exclude).strata']);
  return {
    branch,
    sha,
    shortSha: sha ? sha.slice(0, 8) : null,
    dirty: status.trim().length > 0,
    detached: branch === null,
    mainBranch,
  };
}

/** describeCommit is how a record names the commit: "1a2b3c4d", "1a2b3c4d+dirty" or "no commit". */
export function describeCommit(git: GitContext): string {
  if (!git.shortSha) return 'no commit';
  return git.dirty ? `${git.shortSha}+dirty` : git.shortSha;
}
