// The safety rules (SPEC §6), as data. Every rule looks at a prepared layer (or, for roles, at
// a recipe) and returns a Refusal or null; nothing here throws or prints. Three callers render
// the same list: `checkPull` and `checkPush` throw the first refusal that --force does not pass
// (naming the others), and `status` prints them all as "would be refused" lines. Recipes run
// the checks for every layer before any layer moves.
import type { Layer } from './config/layers.js';
import type { RunContext } from './context.js';
import { ConflictError, RefusedError } from './errors.js';
import { renameHint } from './listing/keys.js';
import { changes, type Plan } from './plan/plan.js';
import { describeSpace } from './space.js';
import type { Prepared } from './sync.js';

export type Rule =
  | 'role'
  | 'remote-missing'
  | 'held-elsewhere'
  | 'unshared-work'
  | 'too-many-recycles'
  | 'held-revision'
  | 'unpushable-names'
  | 'someone-pushed'
  | 'pushed-while-planning'
  | 'empty-layer'
  | 'unreadable-folder'
  | 'too-many-deletes';

export interface Refusal {
  rule: Rule;
  /** One line: what the run would do and why it does not. */
  reason: string;
  /** The files concerned, one per line (already capped), shown under the reason. */
  details: string[];
  /** What to do instead. */
  hint: string;
  /** 3: a safety rule said no; 4: someone else's push came first (a conflict). */
  exitCode: 3 | 4;
  /** --force passes this rule; with `forcedNote` said instead when it does. */
  forceable: boolean;
  forcedNote?: string;
}

/** How a maintainer gets a maintainers' recipe through, said once for every role refusal. */
export const MAINTAINER_HINT = 'If you are a maintainer of this project, set STRATA_ROLE=maintainer in .env, or add --role maintainer to this one command.';

const LIST_AT_MOST = 20;

function listKeys(keys: string[]): string[] {
  const shown = keys.slice(0, LIST_AT_MOST).map((k) => `    ${k}`);
  if (keys.length > LIST_AT_MOST) shown.push(`    … and ${keys.length - LIST_AT_MOST} more`);
  return shown;
}

function refusal(rule: Rule, reason: string, hint: string, more: Partial<Refusal> = {}): Refusal {
  return { rule, reason, details: [], hint, exitCode: 3, forceable: true, ...more };
}

/** refusalText: the reason with its details, as a message shows it. */
export function refusalText(r: Refusal): string {
  return [r.reason, ...r.details].join('\n');
}

/** refusalLines: a list of refusals as every caller shows it — the first in full, then one line for each other. */
export function refusalLines(refusals: Refusal[]): string[] {
  const [first, ...others] = refusals;
  if (!first) return [];
  return [first.reason, ...first.details, ...others.map((r) => `also: ${r.reason}`)];
}

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
  const localFiles = plan.items.filter((i) => i.local).length;
  const recycled = plan.items.filter((i) => i.kind === 'recycle').length;
  if (recycled === 0 || recycled <= threshold * localFiles) return null;
  return refusal(
    'too-many-recycles',
    `The pull would recycle ${recycled} of your ${localFiles} local files (more than ${Math.round(threshold * 100)} %, the delete_threshold): the remote no longer has them. Nothing was changed.`,
    `Run with --dry-run to see the list and check the remote (${where}). If that is what you want, run again with --force: the files go to ${recycleDir}/, never deleted.`,
  );
}

/** unpushableNames: local names that a pull would refuse (SPEC §6.13), each with how to fix it; --force does not pass it. */
function unpushableNames(plan: Plan, layerFolder: string): Refusal | null {
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

/** emptyLocalLayer: a push from a missing or empty folder would delete the remote files. */
export function emptyLocalLayer(plan: Plan, localExists: boolean, layerFolder: string, scope = ''): Refusal | null {
  const remoteFiles = plan.items.filter((i) => i.remote).length;
  const localFiles = plan.items.filter((i) => i.local).length;
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
  const remoteFiles = plan.items.filter((i) => i.remote).length;
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
  const basis = p.state.basis;
  if (!basis || basis === p.space.id || p.state.revision) return null;
  // Another branch of the same remote; a space of another remote means the remote changed (a typo, a move).
  const url = p.space.remote.url;
  if (!basis.startsWith(`${url}/`) && !basis.startsWith(`${url}@`)) return null;
  return basis.endsWith(`/${p.layer.path}`) ? basis.slice(0, -p.layer.path.length - 1).replace(/\/branches\/(.+)$/, ' branch $1').replace(/^(.*)@(.+)$/, '$1 branch $2') : basis;
}

/** A folder pulled at a past revision, pushed as it is, would roll the branch back to it. */
function heldRevision(p: Prepared): Refusal | null {
  const held = p.state.revision;
  if (!held) return null;
  return refusal(
    'held-revision',
    `${p.layer.local}/ holds revision ${held.rev}${held.commit ? ` (commit ${held.commit.slice(0, 8)})` : ''}, pulled with get-results-at; pushing it would roll ${describeSpace(p.space)} back to that revision. Nothing was changed.`,
    'To return the folder to the branch head: just get-results. To really make the branch equal that revision, run again with --force.',
  );
}

/** A folder that could not be read lists nothing, so its remote files would look deleted here. */
function unreadableFolders(p: Prepared): Refusal | null {
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
async function someonePushed(p: Prepared, warn: (m: string) => void): Promise<{ base: string | null; refusal: Refusal | null }> {
  const record = p.state.spaces[p.space.id];
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

// ---- The lists -----------------------------------------------------------------------------

/** pullRefusals: every pull rule that says no for this layer, in the order a user should hear them. */
export function pullRefusals(ctx: RunContext, p: Prepared): Refusal[] {
  const where = describeSpace(p.space);
  const { recycleDir, deleteThreshold } = ctx.config;
  const found: (Refusal | null)[] = [];
  const missing = remoteMissing(p.plan, p.head !== null || p.remote.entries.length > 0 || p.remote.refused.length > 0, where, recycleDir);
  const elsewhere = missing && heldElsewhere(p);
  if (elsewhere) {
    // Not a typo: the folder holds another space's files (get-results-from), and this one is empty.
    found.push(
      refusal(
        'held-elsewhere',
        `${p.layer.local}/ holds the files of ${elsewhere} (pulled with get-results-from), and ${where} holds none yet: pulling it would recycle all ${p.plan.items.filter((i) => i.kind === 'recycle').length} of them. Nothing was changed.`,
        `To empty the folder for this branch, run again with --force (the files go to ${recycleDir}/; they are still on that space).`,
      ),
    );
  } else found.push(missing);
  found.push(unsharedWork(p.plan), tooManyRecycles(p.plan, deleteThreshold, where, recycleDir));
  return found.filter((r): r is Refusal => r !== null);
}

/**
 * pushRefusals: every push rule that says no for this layer, and the head to build on.
 * The head comes early: a working copy that is behind must hear "someone pushed" first, and
 * then nothing about deletes that only being behind would cause.
 * With `force`, the second reading of the head is skipped (nothing would act on it).
 */
export async function pushRefusals(ctx: RunContext, p: Prepared, force: boolean, warn: (m: string) => void): Promise<{ refusals: Refusal[]; base: string | null }> {
  const found: (Refusal | null)[] = [heldRevision(p), unpushableNames(p.plan, p.layer.local)];
  const head = await someonePushed(p, warn);
  found.push(head.refusal);
  if (!head.refusal && !force && changes(p.plan).length > 0) {
    // A plan made from a listing taken while someone else's push was landing would be
    // refused for the wrong reason, or carry their half-written state: read the head again.
    // (Skipped when there is nothing to push, so a no-op costs no extra request.)
    const again = await p.backend.head(p.space);
    if (again !== p.head) {
      found.push(refusal('pushed-while-planning', `someone else pushed to ${describeSpace(p.space)} while this push was being planned. Nothing was changed.`, 'Wait a moment, take their changes with `just get-results --keep`, then push again.', { exitCode: 4 }));
    }
  }
  const conflict = found.some((r) => r?.exitCode === 4);
  // Behind someone else's push, the plan deletes their new files: rules that count the plan's
  // deletes would only repeat that, and their "--force" would skip the conflict too.
  if (!conflict) found.push(emptyLocalLayer(p.plan, p.local.exists, p.layer.local, p.scope), unreadableFolders(p), tooManyDeletes(p.plan, ctx.config.deleteThreshold));
  return { refusals: found.filter((r): r is Refusal => r !== null), base: head.base };
}

/**
 * refuse throws the first refusal that `force` does not pass, naming the others on the
 * following lines; with --force, says each note of a refusal it passes.
 */
export function refuse(prefix: string, refusals: Refusal[], force: boolean, warn: (m: string) => void = () => undefined): void {
  const blocking = force ? refusals.filter((r) => !r.forceable) : refusals;
  if (blocking.length) {
    const first = blocking[0]!;
    const message = prefix + refusalLines(blocking).join('\n');
    throw first.exitCode === 4 ? new ConflictError(message, first.hint) : new RefusedError(message, first.hint);
  }
  for (const r of refusals) if (r.forcedNote) warn(r.forcedNote);
}

/** checkPull: the pull guards for one layer; --force passes them all. */
export function checkPull(ctx: RunContext, p: Prepared, force: boolean): void {
  if (force) return;
  refuse(`${p.layer.name}: `, pullRefusals(ctx, p), force);
}

/** checkPush: the push guards for one layer; returns the head to build on. */
export async function checkPush(ctx: RunContext, p: Prepared, force: boolean, warn: (m: string) => void): Promise<string | null> {
  const { refusals, base } = await pushRefusals(ctx, p, force, warn);
  refuse(`${p.layer.name}: `, refusals, force, warn);
  return base;
}
