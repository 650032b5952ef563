// A push's git commit as a link, where the project's git remote is on GitHub or GitLab
// (hosted-git-info reads the remote's URL in each of its spellings: https, ssh, git@).
import hostedGitInfo from 'hosted-git-info';

/** commitLinker: for a git remote URL, a function from a commit SHA to its web page; null when the host is not known. */
export function commitLinker(remote: string | null): ((sha: string) => string) | null {
  if (!remote) return null;
  const info = hostedGitInfo.fromUrl(remote);
  if (!info || (info.type !== 'github' && info.type !== 'gitlab')) return null;
  const base = info.browse().replace(/\/+$/, '');
  // GitLab's commit pages live under /-/commit/; GitHub's under /commit/.
  const path = info.type === 'gitlab' ? '/-/commit/' : '/commit/';
  return (sha) => `${base}${path}${encodeURIComponent(sha)}`;
}
