// state-clean [BRANCH…]: the state record keeps, per space, what the remote held at the last
// sync. Spaces of deleted branches, of remotes no longer configured, and past revisions read
// once are never needed again: forget them (prune.ts decides). Named BRANCHes are forgotten
// even if they still exist. --dry-run lists.
import { simpleGit } from 'simple-git';
import { openProject, withLock, type RunContext } from '../context.js';
import { StrataError } from '../errors.js';
import type { Args } from '../cli.js';
import { spaceFor } from '../space.js';
import { decide, liveKey, REVISION_DAYS } from '../state/prune.js';
import { openStore } from '../state/store.js';
import { Reporter } from '../ui/reporter.js';

export async function runStateClean(args: Args): Promise<void> {
  const ctx = await openProject(process.cwd());
  const out = new Reporter({ quiet: args.quiet });
  const days = Number(args['older-than'] ?? REVISION_DAYS);
  if (!Number.isFinite(days) || days < 0) throw new StrataError(`--older-than must be a number of days, not "${args['older-than']}".`, 'For example: just state-clean --older-than 7', 2);
  await withLock(ctx, (m) => out.warn(m), async () => {
    const store = openStore(ctx.config.projectRoot);
    const decisions = decide(store.spaces(), {
      now: new Date(),
      revisionDays: days,
      folders: store.folders(),
      live: await liveSpaces(ctx),
      named: namedSpaces(ctx, args._),
    });
    const forget = decisions.filter((d) => d.forget);
    for (const d of decisions) {
      const files = store.files(d.space.layer, d.space.name);
      if (d.forget) out.say(`${args.dryRun ? 'would forget' : 'forgetting'} ${d.space.layer}: ${d.space.name} (${files} files): ${d.reason}`);
      else if (args._.length) out.say(`keeping ${d.space.layer}: ${d.space.name}: ${d.reason}`);
    }
    if (!args.dryRun) store.forget(forget.map((d) => d.space));
    out.say(`${args.dryRun ? 'Dry run: would forget' : 'Forgot'} ${forget.length} space(s); ${decisions.length - forget.length} kept.`);
  });
}

/** The spaces today's branches (git's local branches, and the one checked out) sync with under today's strata.yaml. */
async function liveSpaces(ctx: RunContext): Promise<Set<string>> {
  const listed = await simpleGit({ baseDir: ctx.config.projectRoot }).raw(['for-each-ref', '--format=%(refname:short)', 'refs/heads/']);
  const branches = new Set([ctx.config.mainBranch, ...(ctx.git.branch ? [ctx.git.branch] : []), ...listed.split('\n').filter(Boolean)]);
  const live = new Set<string>();
  for (const layer of ctx.config.layers) for (const b of branches) live.add(liveKey(layer.name, spaceFor(layer, b, ctx.config.mainBranch).id));
  return live;
}

/** branchSpaces: the names of the spaces the branches' result layers sync with. */
export function branchSpaces(ctx: RunContext, branches: string[]): Set<string> {
  const out = new Set<string>();
  for (const b of branches) for (const layer of ctx.config.layers.filter((l) => l.kind === 'result')) out.add(spaceFor(layer, b, ctx.config.mainBranch).id);
  return out;
}

/** forgetNamed forgets the named spaces, by prune.ts's rules (never one a folder holds, nor an unfinished push). */
export function forgetNamed(projectRoot: string, named: Set<string>): void {
  const store = openStore(projectRoot);
  const decisions = decide(store.spaces().filter((s) => named.has(s.name)), { now: new Date(), revisionDays: REVISION_DAYS, folders: store.folders(), named });
  store.forget(decisions.filter((d) => d.forget).map((d) => d.space));
}

function namedSpaces(ctx: RunContext, branches: string[]): Set<string> {
  const main = branches.find((b) => b === ctx.config.mainBranch);
  if (main) throw new StrataError(`state-clean never forgets ${main}'s spaces: every layer syncs with them.`, 'Name the branches to forget, or none to forget what is no longer needed.', 2);
  return branchSpaces(ctx, branches);
}
