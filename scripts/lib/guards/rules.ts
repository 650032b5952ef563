// The safety rules (SPEC §6), one function each: a role, a plan, or a prepared layer in, a
// Refusal (refusal.ts) or null out. Nothing here throws or prints; checks.ts puts them in
// the order a user should hear them.
import type { Layer } from '../config/layers.js';
import type { RunContext } from '../context.js';
import { renameHint } from '../listing/keys.js';
import type { Plan } from '../plan/plan.js';
import type { Prepared } from '../prepare.js';
import type { RemoteLimits } from '../remotes/types.js';
import { describeSpace } from '../space.js';
import { listKeys, refusal, type Refusal } from './refusal.js';

/** How a maintainer gets a maintainers' recipe through, said once for every role refusal. */
export const MAINTAINER_HINT = 'If you are a maintainer of this project, set STRATA_ROLE=maintainer in .env, or add --role maintainer to this one command.';

// ---- Roles (SPEC §6.8): which recipe may push which layer from where -----------------------

/** A put recipe as the role rule sees it. */
export interface PutRecipe {
  recipe: string;
  /** Inputs go to main; results follow the branch. */
  toMain: boolean;
  maintainersOnly: boolean;
}

/** roleRule: may this role run this put recipe for these layers from here? */
export function roleRule(ctx: RunContext, put: PutRecipe, layers: Layer[]): Refusal | null {
  const { config, git } = ctx;
  if (config.role === 'maintainer') return null;
  if (put.maintainersOnly) {
    return refusal('role', `${put.recipe} is for maintainers: it rewrites the team's ${layers.map((l) => l.name).join(', ')}${put.toMain ? ` on ${config.mainBranch}` : ''}.`, MAINTAINER_HINT, { forceable: false });
  }
  if (put.toMain) return null;
  if (git.detached) return refusal('role', 'refused on a detached HEAD: there is no branch to push to.', 'Create a branch for your work: git switch -c my-analysis', { forceable: false });
  if (git.branch === config.mainBranch) {
    return refusal('role', `refused on ${config.mainBranch}: analysts push results from a branch, and maintainers promote them.`, 'Create a branch for your work: git switch -c my-analysis, then push again.', { forceable: false });
  }
  return null;
}


// ---- Plan rules (pure: a plan in, a refusal out) --------------------------------------------

/**
 * remoteMissing: the remote space holds nothing and has no Strata record, yet a pull would
 * recycle local files — a mistyped URL, a wrong-case prefix or dataset, an unmounted share
 * look exactly like this. A pull never empties a folder on a remote's say-so alone.
 */
export function remoteMissing(plan: Plan, remoteExists: boolean, where: string, recycleDir: string): Refusal | null {
  const recycled = plan.items.filter((i) => i.kind === 'recycle').length;
  if (remoteExists || recycled === 0) return null;
  return refusal(
    'remote-missing',
    `${where} holds no files and no Strata record (a mistyped remote? an unmounted share?), and pulling it would recycle all ${recycled} local file${recycled === 1 ? '' : 's'}. Nothing was changed.`,
    `Check the remote in \`just config\` (a typo, letter case, the bucket or dataset name) and that the share is mounted. If the remote really is empty, run again with --force: your files go to ${recycleDir}/, never deleted.`,
  );
}

/** unsharedWork: a pull would replace or remove local files changed since the last sync, or restore ones deleted here. */
export function unsharedWork(plan: Plan): Refusal | null {
  const changed = plan.items.filter((i) => i.unshared && !i.deletedHere).map((i) => i.key);
  const deleted = plan.items.filter((i) => i.unshared && i.deletedHere).map((i) => i.key);
  const lines: string[] = [];
  if (changed.length) lines.push(`${changed.length} local file${changed.length === 1 ? ' is' : 's are'} unshared work (created or changed since the last sync) and would be replaced or removed:`, ...listKeys(changed));
  if (deleted.length) lines.push(`${deleted.length} file${deleted.length === 1 ? ' was' : 's were'} deleted here since the last sync (unshared work) and would be restored:`, ...listKeys(deleted));
  if (!lines.length) return null;
  return refusal(
    'unshared-work',
    lines[0]!,
    "Keep your versions (and your deletions) and take the rest with --keep (then push), push that work first, or run again with --force to take the remote's version (replaced files go to the recycle folder, never deleted).",
    { details: lines.slice(1) },
  );
}

/** tooManyRecycles mirrors tooManyDeletes for pulls: the plan recycles more than `threshold` of the local files in scope. */
export function tooManyRecycles(plan: Plan, threshold: number, where: string, recycleDir: string): Refusal | null {
  const { localFiles } = plan;
  const recycled = plan.items.filter((i) => i.kind === 'recycle').length;
  if (recycled === 0 || recycled <= threshold * localFiles) return null;
  return refusal(
    'too-many-recycles',
    `The pull would recycle ${recycled} of your ${localFiles} local files (more than ${Math.round(threshold * 100)} %, the delete_threshold): the remote no longer has them. Nothing was changed.`,
    `Run with --dry-run to see the list and check the remote (${where}). If that is what you want, run again with --force: the files go to ${recycleDir}/, never deleted.`,
  );
}

/** unpushableNames: local names that a pull would refuse (SPEC §6.13), each with how to fix it; --force does not pass it. */
export function unpushableNames(plan: Plan, layerFolder: string): Refusal | null {
  if (plan.direction !== 'push' || !plan.refused.length) return null;
  const n = plan.refused.length;
  const lines = plan.refused.map((r) => `${layerFolder}/${JSON.stringify(r.key).slice(1, -1)}: ${r.reason}; ${renameHint(r.reason)}`);
  return refusal(
    'unpushable-names',
    `${n} local name${n === 1 ? '' : 's'} cannot be pushed: a teammate's pull would refuse ${n === 1 ? 'it' : 'them'}.`,
    'Rename each file as shown (or, to keep it only here, add a pattern for it under "exclude:" in strata.yaml), then push again. Nothing was changed; --force does not push these names.',
    { details: listKeys(lines), forceable: false },
  );
}

/**
 * remoteLimits: a push the remote would refuse for its size (the Hub: files per repo, per
 * folder, bytes per file), found on the plan before anything moves, with what to do; --force
 * does not pass it (the remote would refuse anyway). Files above the recommended size are
 * `warn`ed about and pushed.
 */
export function remoteLimits(plan: Plan, limits: RemoteLimits | undefined, layerFolder: string, warn: (m: string) => void = () => {}): Refusal | null {
  if (!limits || plan.direction !== 'push') return null;
  const n = (x: number) => x.toLocaleString('en-US');
  const gb = (x: number) => `${(x / 1e9).toFixed(x < 1e10 ? 1 : 0)} GB`;
  const problems: string[] = [];
  if (plan.localFiles > limits.filesPerRepo) problems.push(`${layerFolder}/ would hold ${n(plan.localFiles)} files; ${limits.where} allows at most ${n(limits.filesPerRepo)} in a repository.`);
  const crowded = [...plan.folders].filter(([, count]) => count > limits.filesPerFolder).sort((a, b) => b[1] - a[1]);
  for (const [dir, count] of crowded) problems.push(`${layerFolder}/${dir === '.' ? '' : `${dir}/`} would hold ${n(count)} files; ${limits.where} allows at most ${n(limits.filesPerFolder)} in one folder.`);
  for (const i of plan.items) {
    const size = i.kind === 'upload' ? (i.local?.size ?? 0) : 0;
    if (size > limits.fileBytes) problems.push(`${layerFolder}/${i.key} is ${gb(size)}; ${limits.where} takes files of at most ${gb(limits.fileBytes)}.`);
    else if (size > limits.recommendedFileBytes) warn(`${layerFolder}/${i.key} is ${gb(size)}: ${limits.where} recommends files under ${gb(limits.recommendedFileBytes)}.`);
  }
  if (!problems.length) return null;
  return refusal('remote-limits', problems[0]!, `Split large folders into subfolders (by plate, by run) and large files into parts, or keep this layer on S3 or a folder (its "remote:" in strata.yaml). Nothing was changed.`, {
    details: listKeys(problems.slice(1)),
    forceable: false,
  });
}

/** emptyLocalLayer: a push from a missing or empty folder would delete the remote files. */
export function emptyLocalLayer(plan: Plan, localExists: boolean, layerFolder: string, scope = ''): Refusal | null {
  const { remoteFiles, localFiles } = plan;
  if (remoteFiles === 0 || localFiles > 0) return null;
  const reason = scope
    ? `The run folder ${scope}/ is empty or missing here, and pushing it would delete all ${remoteFiles} remote files in it.`
    : localExists
      ? `The local folder is empty, and pushing it would delete all ${remoteFiles} remote files.`
      : `The local folder does not exist (unmounted share, or the wrong project?), and pushing it would delete all ${remoteFiles} remote files.`;
  return refusal('empty-layer', reason, `Check that ${layerFolder}/ holds the data (is the share mounted? right project?). To really empty the remote, run again with --force.`);
}

/** tooManyDeletes: the plan deletes more than `threshold` of the remote files in scope. */
export function tooManyDeletes(plan: Plan, threshold: number): Refusal | null {
  const { remoteFiles } = plan;
  const deletes = plan.items.filter((i) => i.kind === 'delete').length;
  if (deletes === 0 || deletes <= threshold * remoteFiles) return null;
  return refusal(
    'too-many-deletes',
    `The push would delete ${deletes} of ${remoteFiles} remote files (more than ${Math.round(threshold * 100)} %, the delete_threshold).`,
    'Run with --dry-run to see the list. If that is what you want, run again with --force.',
  );
}


// ---- Rules that need the prepared layer --------------------------------------------------------

/** heldElsewhere names the space the folder was last made equal to, when that is not the one being pulled. */
export function heldElsewhere(p: Prepared): string | null {
  const { basis, revision } = p.state.folder;
  if (!basis || basis === p.space.id || revision) return null;
  // Another branch of the same remote; a space of another remote means the remote changed (a typo, a move).
  const url = p.space.remote.url;
  if (!basis.startsWith(`${url}/`) && !basis.startsWith(`${url}@`)) return null;
  return basis.endsWith(`/${p.layer.path}`) ? basis.slice(0, -p.layer.path.length - 1).replace(/\/branches\/(.+)$/, ' branch $1').replace(/^(.*)@(.+)$/, '$1 branch $2') : basis;
}

/** A folder pulled at a past revision, pushed as it is, would roll the branch back to it. */
export function heldRevision(p: Prepared): Refusal | null {
  const held = p.state.folder.revision;
  if (!held) return null;
  return refusal(
    'held-revision',
    `${p.layer.local}/ holds revision ${held.rev}${held.commit ? ` (commit ${held.commit.slice(0, 8)})` : ''}, pulled with get-results-at; pushing it would roll ${describeSpace(p.space)} back to that revision. Nothing was changed.`,
    'To return the folder to the branch head: just get-results. To really make the branch equal that revision, run again with --force.',
  );
}

/** A folder that could not be read lists nothing, so its remote files would look deleted here. */
export function unreadableFolders(p: Prepared): Refusal | null {
  const unreadable = p.local.skipped.filter((s) => s.reason.startsWith('cannot read folder')).map((s) => s.key);
  const blind = p.plan.items.filter((i) => i.kind === 'delete' && unreadable.some((d) => d === '.' || i.key.startsWith(d + '/')));
  if (!blind.length) return null;
  return refusal(
    'unreadable-folder',
    `${unreadable.map((d) => `${p.layer.local}/${d}`).join(', ')} cannot be read, and pushing would delete the ${blind.length} remote file(s) in it.`,
    'Make the folder readable (or check the disk), then push again. --force pushes anyway and deletes them.',
  );
}

/** shortHead shows a Hub commit id as `just log` does (8 characters); journal numbers stay whole. */
function shortHead(head: string | null): string {
  return head && /^[0-9a-f]{40}$/.test(head) ? head.slice(0, 8) : String(head);
}

/**
 * someonePushed (SPEC §6.7): the space must be where this working copy last saw it, unless
 * its head is this working copy's own unfinished push. Returns the head to build on.
 */
export async function someonePushed(p: Prepared, warn: (m: string) => void): Promise<{ base: string | null; refusal: Refusal | null }> {
  const record = p.state.space(p.space.id);
  const scoped = p.scope && record?.scopeHeads && p.scope in record.scopeHeads;
  const seen = scoped ? record!.scopeHeads![p.scope]! : (record?.head ?? null);
  if (p.head === seen) return { base: seen, refusal: null };
  if (record?.pending && p.head !== null && (await p.backend.ownsHead?.(p.space, record.pending, p.head))) {
    warn(`${p.layer.name}: continuing this working copy's interrupted push${p.backend.kind === 'hf' ? '' : ` (journal record ${record.pending.seq})`}.`);
    return { base: p.head, refusal: null };
  }
  const where = describeSpace(p.space);
  return {
    base: p.head,
    refusal: refusal(
      'someone-pushed',
      record
        ? `${where} changed since this working copy last synced it (someone else pushed: remote head ${shortHead(p.head)}, you last saw ${seen ? shortHead(seen) : 'nothing'}). Nothing was changed.`
        : `${where} already has history that this working copy has never synced. Nothing was changed.`,
      'Run `just status` to see what changed; take their changes with `just get-results --keep` (your unshared files stay as they are), then push again. --force makes the remote exactly your folder.',
      {
        exitCode: 4,
        forcedNote: `${p.layer.name}: ${where} changed since your last sync; pushing anyway (--force): the remote becomes exactly your folder — files they added or changed are replaced or deleted.`,
      },
    ),
  };
}

