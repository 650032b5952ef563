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
  // One git process for all of it (four took a tenth of a no-op sync's time): the branch,
  // the commit (also on an unborn branch or a detached HEAD) and whether the tree is dirty.
  // Strata's own folder never makes the tree dirty, even where .gitignore forgets it.
  let status: string;
  try {
    status = await simpleGit({ baseDir: dir }).raw(['status', '--porcelain=v2', '--branch', '--', '.', ':(exclude).strata']);
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
