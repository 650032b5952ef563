// The recipes of versioned layers (a Hub dataset): tag, pr-create, and promote (which also
// works for S3 and folder layers by copying inside the store).
import type { Layer } from '../config/layers.js';
import { changeRecord, openProject, withLock, type RunContext } from '../context.js';
import { RefusedError, StrataError } from '../errors.js';
import type { Args } from '../cli.js';
import type { Digests } from '../state/record.js';
import { describeCommit } from '../git.js';
import { changes } from '../plan/plan.js';
import { promotePlan } from '../plan/promote.js';
import { openBackend } from '../remotes/index.js';
import type { VersionedBackend } from '../remotes/types.js';
import { commitDescription, commitTitle } from '../remotes/hub-commit-message.js';
import { describeSpace, spaceFor, type Space } from '../space.js';
import { prepare } from '../prepare.js';
import { Reporter } from '../ui/reporter.js';
import { MAINTAINER_HINT, roleFlag } from './sync-recipes.js';

function versionedLayers(ctx: RunContext): Layer[] {
  const layers = ctx.config.layers.filter((l) => l.remote.startsWith('hf://'));
  if (!layers.length) throw new StrataError('No layer of this project is on a Hub dataset, so it has no versions to tag or review.', 'Set "hub: hf://datasets/ORG/NAME" in strata.yaml (processed/ then goes there).', 2);
  return layers;
}

function branchOf(ctx: RunContext): string {
  if (!ctx.git.branch) throw new RefusedError('This recipe needs a branch (HEAD is detached).', 'git switch BRANCH');
  return ctx.git.branch;
}

/** versionsOf: the versioned side of a layer's remote (tags, revisions, state commits). */
async function versionsOf(ctx: RunContext, space: Space): Promise<VersionedBackend> {
  const versioned = (await openBackend(space.remote, ctx.config)).versioned;
  if (!versioned) throw new StrataError(`${space.remote.url} keeps no versions: it has no tags or pull requests.`, 'Only layers on a Hub dataset keep history.', 2);
  return versioned;
}

/** refuseUnpushed: tags and PRs describe the remote branch, so the local layer must equal it. */
async function refuseUnpushed(ctx: RunContext, layer: Layer, branch: string, recipe: string) {
  const p = await prepare(ctx, layer, 'push', { branch });
  const pending = changes(p.plan);
  if (pending.length) {
    throw new RefusedError(
      `${layer.local}/ has ${pending.length} change(s) not pushed to branch "${branch}" (e.g. ${pending[0].key}); the ${recipe === 'tag' ? 'tag' : 'pull request'} would not show them.`,
      'Push first (`just put-results`), or discard the local changes (`just get-results --force`).',
    );
  }
  if (p.head === null) throw new RefusedError(`branch "${branch}" has never been pushed to ${p.space.remote.url}.`, 'Push first: `just put-results`.');
}

export async function runTag(args: Args): Promise<void> {
  const name = args._[0]!;
  if (!/^[\w.-]+$/.test(name)) throw new StrataError(`"${name}" is not a valid tag name (letters, digits, . _ -).`, undefined, 2);
  const ctx = await openProject(process.cwd());
  const out = new Reporter({ quiet: args.quiet });
  const branch = branchOf(ctx);
  await withLock(ctx, (m) => out.warn(m), async () => {
    for (const layer of versionedLayers(ctx)) {
      await refuseUnpushed(ctx, layer, branch, 'tag');
      const space = spaceFor(layer, branch, ctx.config.mainBranch);
      const hub = await versionsOf(ctx, space);
      if (args.dryRun) {
        out.say(`would tag ${space.remote.url}@${branch} as "${name}"`);
        continue;
      }
      const sha = await hub.tag(branch, name, `${name}: tagged by ${ctx.config.user} from git ${describeCommit(ctx.git)}`);
      out.say(`Tagged ${space.remote.url}@${branch} (${sha.slice(0, 8)}) as "${name}". Read it back with: just get-results-at ${name}`);
    }
  });
}

export async function runPrCreate(args: Args): Promise<void> {
  const title = args._.join(' ').trim();
  if (!title) throw new StrataError('pr-create needs a title.', 'Usage: just pr-create "Cell counts for plates 1–4"', 2);
  const ctx = await openProject(process.cwd());
  const out = new Reporter({ quiet: args.quiet });
  const branch = branchOf(ctx);
  if (branch === ctx.config.mainBranch) throw new RefusedError(`pr-create opens a review of a branch against ${ctx.config.mainBranch}; you are on ${branch}.`);
  await withLock(ctx, (m) => out.warn(m), async () => {
    for (const layer of versionedLayers(ctx)) {
      await refuseUnpushed(ctx, layer, branch, 'pr-create');
      const space = spaceFor(layer, branch, ctx.config.mainBranch);
      const hub = await versionsOf(ctx, space);
      const source = await hub.listAt(layer.path, branch);
      const sourceRev = (await hub.revisionSha(branch))!;
      const target = await hub.listAt(layer.path, ctx.config.mainBranch);
      const mainHead = (await hub.revisionSha(ctx.config.mainBranch))!;
      if (args.dryRun) {
        out.say(`would open a pull request "${title}" carrying ${layer.path}/ of branch "${branch}" (${sourceRev.slice(0, 8)}): ${source.length} files`);
        continue;
      }
      const record = changeRecord(ctx, 'pr-create', layer.name, branch);
      // One request: the commit and the pull request carrying it (create_pr), so a failed
      // commit never leaves an empty pull request behind.
      const c = await hub.commitState({
        targetRev: ctx.config.mainBranch,
        createPr: true,
        parentCommit: mainHead,
        layerPath: layer.path,
        source,
        sourceRev,
        target,
        title,
        description: `${commitDescription(record)}\nsource-commit: ${sourceRev}\nsource: ${layer.path}/ from branch ${branch} @ ${sourceRev.slice(0, 8)}`,
      });
      if (!c.pullRequest) {
        out.say(`${layer.path}/ on branch "${branch}" already equals ${ctx.config.mainBranch}'s: nothing to review, no pull request opened.`);
        continue;
      }
      const pr = c.pullRequest;
      out.say(`Opened pull request #${pr.num} with ${c.changed} change(s) to ${layer.path}/ (the state of branch "${branch}" on the Hub, nothing uploaded from disk): ${pr.url}`);
    }
  });
}

export async function runPromote(args: Args): Promise<void> {
  const branch = args._[0]!;
  const ctx = await openProject(process.cwd(), roleFlag(args));
  const out = new Reporter({ quiet: args.quiet });
  const main = ctx.config.mainBranch;
  if (ctx.config.role !== 'maintainer') throw new RefusedError(`promote rewrites ${main}'s results: it is for maintainers.`, MAINTAINER_HINT);
  if (branch === main) throw new RefusedError(`promote copies a branch onto ${main}; "${branch}" is ${main} itself.`);
  await withLock(ctx, (m) => out.warn(m), async () => {
    for (const layer of ctx.config.layers.filter((l) => l.kind === 'result')) {
      const from = spaceFor(layer, branch, main);
      const to = spaceFor(layer, main, main);
      const backend = await openBackend(from.remote, ctx.config);
      if (!(await backend.exists(from))) {
        out.say(`${layer.name}: branch "${branch}" has no space; nothing to promote`);
        continue;
      }
      const record = changeRecord(ctx, `promote from ${branch}`, layer.name, main);
      if (backend.versioned) {
        const hub = backend.versioned;
        const source = await hub.listAt(layer.path, branch);
        const sourceRev = (await hub.revisionSha(branch))!;
        const target = await hub.listAt(layer.path, main);
        const mainHead = (await hub.revisionSha(main))!;
        if (args.dryRun) {
          out.say(`${layer.name}: would make ${main}'s ${layer.path}/ equal branch "${branch}" (${source.length} files, ${target.length} on ${main} now)`);
          continue;
        }
        const c = await hub.commitState({ targetRev: main, parentCommit: mainHead, layerPath: layer.path, source, sourceRev, target, title: commitTitle(record), description: `${commitDescription(record)}\nsource-commit: ${sourceRev}` });
        out.say(`${layer.name}: ${main} now equals branch "${branch}" (${c.changed} change(s), commit ${c.oid.slice(0, 8)})`);
        continue;
      }
      // S3 and folders: a copy inside the store for every file that differs, then deletes.
      const source = (await backend.list(from)).entries;
      const target = (await backend.list(to)).entries;
      const plan = promotePlan({ layer: layer.name, branch, space: to.id, source, target, tagsMeanContent: backend.kind === 's3' });
      const moving = changes(plan);
      out.say(`${layer.name}: ${describeSpace(from)} → ${describeSpace(to)}: ${moving.filter((i) => i.kind === 'copy').length} copied, ${moving.filter((i) => i.kind === 'delete').length} deleted`);
      if (args.dryRun || !moving.length) continue;
      const head = await backend.head(to);
      // A promote keeps no state record: what the copies hold is only for the journal's done mark.
      const copied = new Map<string, Digests>();
      const result = await backend.push(to, plan, {
        localRoot: ctx.config.projectRoot,
        record,
        expectedHead: head,
        seedSpace: from,
        mainBranch: main,
        transfers: ctx.config.transfers,
        events: out.events(layer.name, () => undefined),
        written: { add: (item, digests) => copied.set(item.key, digests), read: () => copied },
      });
      if (result.failed.length) throw new StrataError(`${layer.name}: ${result.failed.length} copies failed; ${main} was not fully promoted (deletes skipped).`, 'Run promote again: it converges.', 5);
    }
  });
  if (args.dryRun) out.say('Dry run: nothing was changed.');
}
