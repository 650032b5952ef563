// A space is where one layer's data lives remotely for one branch (SPEC §4). On S3 and
// plain folders, main keeps today's rclone layout PREFIX/<layer>/ and other branches live
// under PREFIX/branches/<branch>/<layer>/; on the Hub a space is a branch of the dataset repo.
import type { Layer } from './config/layers.js';
import { StrataError } from './errors.js';
import { parseRemoteUrl, type RemoteUrl } from './remotes/url.js';

export interface Space {
  layer: Layer;
  remote: RemoteUrl;
  /** The branch this space belongs to (main for inputs, always). */
  branch: string;
  isMain: boolean;
  /** Path of the layer's folder inside the store: "PREFIX/processed" or "PREFIX/branches/x/processed" (S3, file); "processed" (Hub). */
  root: string;
  /** Where this space's journal records live (S3, file): "PREFIX/.strata/journal/<branch>/<layer>". */
  journalRoot: string;
  /** A stable id for the state record: the URL of the space's folder. */
  id: string;
  /** Versioned layers: read this revision (commit, tag or branch) instead of the branch head. */
  revision?: string;
}

/** atRevision is a read-only view of a versioned space at a past revision or tag. */
export function atRevision(space: Space, revision: string): Space {
  return { ...space, revision, id: `${space.remote.url}@${revision}/${space.layer.path}` };
}

function branchIsValid(branch: string): boolean {
  return !(branch.split('/').some((s) => s === '' || s === '.' || s === '..') || /[\\\u0000-\u001f]/.test(branch));
}

/**
 * branchCollides: branch "x/processed" would keep its spaces inside branch "x"'s processed
 * space (PREFIX/branches/x/processed/…), so a segment after the first must not be a layer path.
 */
export function branchCollides(branch: string, layerPaths: string[]): string | null {
  const segments = branch.split('/');
  const hit = segments.slice(1).find((s) => layerPaths.some((p) => p.split('/')[0] === s));
  return hit ? `its part "${hit}" is also a layer folder, so its remote space would lie inside another branch's` : null;
}

const join = (...parts: string[]) => parts.filter(Boolean).join('/');

function remoteOf(layer: Layer): RemoteUrl {
  const remote = parseRemoteUrl(layer.remote);
  if (typeof remote === 'string') throw new StrataError(`layers.${layer.name}.remote: ${remote}`);
  return remote;
}

/** The folder inside the store that the remote's URL names: PREFIX on S3, the root of a plain folder. */
function storePrefix(remote: RemoteUrl): string {
  return remote.scheme === 's3' ? remote.prefix : '';
}

/**
 * branchSpacesRoot: the folder (S3, plain folders) under which every branch other than main
 * keeps its spaces, PREFIX/branches: branch B's space of a layer is <this>/B/<layer.path>.
 */
export function branchSpacesRoot(layer: Layer): string {
  return branchesIn(remoteOf(layer));
}

function branchesIn(remote: RemoteUrl): string {
  return join(storePrefix(remote), 'branches');
}

/** spaceFor names the space of `layer` on `branch`. Input layers always live on main. */
export function spaceFor(layer: Layer, branch: string, mainBranch: string): Space {
  const remote = remoteOf(layer);
  const effective = layer.kind === 'input' ? mainBranch : branch;
  if (!branchIsValid(effective)) throw new StrataError(`The branch name "${effective}" cannot name a remote space.`, 'Rename the git branch (git branch -m NEW).');
  const isMain = effective === mainBranch;
  if (remote.scheme === 'hf') {
    return { layer, remote, branch: effective, isMain, root: layer.path, journalRoot: '', id: `${remote.url}@${effective}/${layer.path}` };
  }
  const prefix = storePrefix(remote);
  const root = isMain ? join(prefix, layer.path) : join(branchesIn(remote), effective, layer.path);
  const journalRoot = join(prefix, '.strata', 'journal', effective, layer.path);
  return { layer, remote, branch: effective, isMain, root, journalRoot, id: `${remote.url}/${isMain ? '' : `branches/${effective}/`}${layer.path}` };
}

/** describeSpace names a space for people: the URL of its folder, and the branch. */
export function describeSpace(space: Space): string {
  if (space.remote.scheme === 'hf') return `${space.remote.url}/${space.root} (${space.revision ? `at ${space.revision}` : `branch ${space.branch}`})`;
  return `${space.id}/`;
}
