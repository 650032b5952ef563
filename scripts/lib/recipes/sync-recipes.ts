// The get-* and put-* recipes: which layers, which branch's space, which role may do it.
// Each one plans every layer first, prints the plan with --dry-run, else applies it.
import fs from 'node:fs';
import path from 'node:path';
import type { Layer } from '../config/layers.js';
import { openProject, withLock, type RunContext } from '../context.js';
import { RefusedError, StrataError } from '../errors.js';
import { placementDifferences, placementWarning } from '../config/main-placement.js';
import { describeCommit } from '../git.js';
import { describeSpace } from '../space.js';
import { checkPull, checkPush } from '../guards/checks.js';
import { refuse } from '../guards/refusal.js';
import { roleRule, type PutRecipe } from '../guards/rules.js';

export { MAINTAINER_HINT } from '../guards/rules.js';
import { prepare, type Prepared } from '../prepare.js';
import { keepUnshared, pull, push } from '../sync.js';
import { changes, unchangedFiles } from '../plan/plan.js';
import { planText } from '../ui/format.js';
import { Reporter } from '../ui/reporter.js';
import type { Args } from '../cli.js';

export type LayerPick = (layers: Layer[]) => Layer[];
export const inputLayers: LayerPick = (ls) => ls.filter((l) => l.kind === 'input');
export const resultLayers: LayerPick = (ls) => ls.filter((l) => l.kind === 'result');
/** The layers analysts push: results everyone writes (processed/ by default). */
export const sharedResultLayers: LayerPick = (ls) => ls.filter((l) => l.kind === 'result' && l.writers === 'everyone');
/** Layers with history (on a Hub dataset): the only ones with past revisions and tags. */
export const versionedLayers: LayerPick = (ls) => ls.filter((l) => l.remote.startsWith('hf://'));
const maintainerResultLayers: LayerPick = (ls) => ls.filter((l) => l.kind === 'result' && l.writers === 'maintainers');

function pickLayers(ctx: RunContext, pick: LayerPick, args: Args, none = 'No layer in this project is synced by this recipe.'): Layer[] {
  let layers = pick(ctx.config.layers);
  if (typeof args.layer === 'string') {
    layers = layers.filter((l) => l.name === args.layer);
    if (!layers.length) throw new StrataError(`This recipe does not sync a layer named "${args.layer}".`, `It syncs: ${pick(ctx.config.layers).map((l) => l.name).join(', ') || 'none'}.`, 2);
  }
  if (!layers.length) throw new StrataError(none, 'See the layers in `just config`.', 2);
  return layers;
}

/**
 * runFolder reads a RUN as a person means it: relative to where they stand when that is
 * inside the layer's folder (`cd data/processed/plates && just get-results-for plate-42`),
 * the layer folder's own path spelled out (`data/processed/plate-42`), else relative to
 * the layer. (The -for recipes run where they were typed: [no-cd] in strata.just.)
 */
export function runFolder(projectRoot: string, layerLocal: string, run: string, cwd = process.cwd()): string {
  const layerRoot = path.join(projectRoot, layerLocal);
  const inLayer = cwd === layerRoot || cwd.startsWith(layerRoot + path.sep);
  let rel = run.replace(/\/+$/, '');
  if (inLayer) rel = path.relative(layerRoot, path.resolve(cwd, run)).split(path.sep).join('/');
  else if (rel.startsWith(layerLocal + '/')) rel = rel.slice(layerLocal.length + 1);
  if (rel === '') throw new StrataError(`"${run}" is the whole ${layerLocal}/ folder, not a run folder in it.`, 'Name a folder inside it (just get-results-for plate-42), or sync the whole layer with get-results / put-results.', 2);
  return rel;
}

/** noSuchRun: a run folder that neither side has is a typo, not "nothing to do". */
function noSuchRun(prepared: Prepared[], run: string): void {
  if (prepared.some((p) => p.plan.localFiles || p.plan.remoteFiles || p.remote.refused.length)) return;
  const p = prepared[0]!;
  let here: string[] = [];
  try {
    here = fs.readdirSync(p.localRoot, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    // no local folder: nothing to suggest
  }
  throw new StrataError(
    `No run folder "${p.scope}" in ${p.layer.local}/ or in ${describeSpace(p.space)}. Nothing was done.`,
    here.length ? `Run folders here: ${here.slice(0, 12).join(', ')}${here.length > 12 ? ', …' : ''}. Check the name (given: "${run}").` : `Check the name (given: "${run}").`,
    2,
  );
}

/** isBlank: the remote space has no files and no Strata record (never pushed to, or not where you think). */
function isBlank(p: Prepared): boolean {
  return p.head === null && !p.plan.remoteFiles && !p.remote.refused.length;
}

/** currentBranch: results follow the git branch; a detached HEAD reads main. */
function currentBranch(ctx: RunContext): string {
  return ctx.git.branch ?? ctx.config.mainBranch;
}

export interface GetOptions {
  recipe: string;
  pick: LayerPick;
  branch?: string;
  scope?: string;
  revision?: string;
  /** Message when the project has no layer this recipe syncs. */
  none?: string;
}

/** roleFlag: --role maintainer|analyst, like STRATA_ROLE for one run. */
export function roleFlag(args: Args): { role?: string } {
  return typeof args.role === 'string' ? { role: args.role } : {};
}

/** warnPlacement: the layer table follows main; say so when this branch's strata.yaml places a layer elsewhere. */
export async function warnPlacement(ctx: RunContext, out: Reporter): Promise<void> {
  const warning = placementWarning(await placementDifferences(ctx.config, ctx.git.branch));
  if (warning) out.warn(warning);
}

function warnSkipped(out: Reporter, prepared: Prepared[]) {
  for (const p of prepared) {
    for (const s of p.local.skipped.slice(0, 10)) out.warn(`${p.layer.local}/${s.key}: skipped, ${s.reason}`);
    if (p.local.skipped.length > 10) out.warn(`${p.layer.local}/: ${p.local.skipped.length - 10} more skipped`);
  }
}

export async function runGet(args: Args, o: GetOptions): Promise<void> {
  const ctx = await openProject(process.cwd(), roleFlag(args));
  const out = new Reporter({ quiet: args.quiet });
  await warnPlacement(ctx, out);
  const layers = pickLayers(ctx, o.pick, args, o.none);
  const branch = o.branch ?? currentBranch(ctx);
  if (!o.branch && ctx.git.detached) out.warn(`detached HEAD: reading result layers from ${ctx.config.mainBranch}'s space.`);
  let refused = 0;
  await withLock(ctx, (m) => out.warn(m), async () => {
    const prepared: Prepared[] = [];
    for (const layer of layers) {
      const scope = o.scope === undefined ? undefined : runFolder(ctx.config.projectRoot, layer.local, o.scope);
      const p = await prepare(ctx, layer, 'pull', { branch, scope, fallbackToMain: !o.revision, revision: o.revision });
      prepared.push(p);
      refused += p.plan.refused.length;
    }
    // A branch named on the command line must exist: a typo must not silently read main.
    if (o.branch && o.branch !== ctx.config.mainBranch && prepared.every((p) => p.fellBackFrom)) {
      throw new StrataError(`No layer has a space for branch "${o.branch}" on the remote.`, 'Check the name (`git branch -a`, or `just log BRANCH`); a branch gets a space with its first put-results.', 2);
    }
    for (const p of prepared.filter((x) => x.fellBackFrom)) {
      out.say(`${p.layer.name}: branch "${p.fellBackFrom!.branch}" has no ${p.layer.name} space yet; reading ${ctx.config.mainBranch}'s (${describeSpace(p.space)}).`);
    }
    if (o.scope !== undefined) noSuchRun(prepared, o.scope);
    warnSkipped(out, prepared);
    if (args.keep) for (const p of prepared) keepUnshared(p);
    if (args.dryRun) {
      for (const p of prepared) {
        out.say(`${p.layer.name} ← ${describeSpace(p.space)}${p.scope ? ` (only ${p.scope}/)` : ''}`);
        for (const line of planText(p.plan)) out.say(line);
      }
    }
    // Every layer's guard runs before any layer moves (in a dry run too, as for put: a
    // refusal shows before trying for real).
    for (const p of prepared) checkPull(ctx, p, args.force);
    if (prepared.every(isBlank)) {
      // Nothing to lose here (the guards above refuse when there is), but nothing in any
      // layer's space either: a new project, or the wrong place. (One blank layer is normal:
      // a project may never push interim to main.)
      out.note(`${prepared.map((p) => describeSpace(p.space)).join(', ')}: no files and no Strata record yet (a new project, or a mistyped remote? see \`just config\`).`);
    }
    if (args.dryRun) {
      out.say('Dry run: nothing was changed.');
      return;
    }
    const recycled: string[] = [];
    await out.runTasks(
      prepared.map((p) => ({
        title: `${p.layer.name} ← ${describeSpace(p.space)}`,
        layer: p.layer.name,
        run: async (events) => {
          const outcome = await pull(ctx, p, { events });
          out.totals.unchanged += unchangedFiles(p.plan);
          if (outcome.recycleFolder) recycled.push(outcome.recycleFolder);
          if (outcome.failed.length) {
            throw new StrataError(`${p.layer.name}: ${outcome.failed.length} download(s) failed; local files that the remote no longer has were kept.`, 'Run the recipe again: it continues where it stopped.', 5);
          }
        },
      })),
    );
    for (const p of prepared) for (const r of p.plan.refused) out.warn(`${p.layer.name}: refused remote key ${JSON.stringify(r.key)}: ${r.reason}. It was not written.`);
    for (const folder of recycled) out.say(`Replaced or removed local files were moved to ${folder}`);
    for (const p of prepared) {
      for (const i of p.plan.items.filter((x) => x.kept)) {
        if (i.deletedHere) out.say(`kept your deletion of ${p.layer.name}/${i.key} (push to delete it on the remote too)`);
        else out.say(`kept your unshared ${p.layer.name}/${i.key} (push it to share it)`);
        // --keep over a teammate's change: their version is replaced by the next push.
        if (/both sides|changed on remote/.test(i.reason)) {
          out.warn(`${p.layer.name}/${i.key} was also changed on the remote since your last sync (someone else's edit): your next push replaces their version. Compare first (just log, or get-results-from in another clone).`);
        }
      }
    }
    out.say(out.summary(describeCommit(ctx.git)));
  });
  if (refused) throw new RefusedError(`${refused} remote key(s) were refused as unsafe (listed above); everything else was synced.`, 'Ask whoever wrote them to rename them on the remote. To acknowledge a key and stop this refusal, add a pattern for it under "exclude:" in strata.yaml (see docs/configuration.md).');
}

export interface PutOptions extends PutRecipe {
  pick: LayerPick;
  scope?: string;
}

/** The put recipes: which layers each pushes, where to, and who may (one table: status names the same recipe a push would). */
export const PUTS = {
  inputs: { recipe: 'put-inputs', pick: inputLayers, toMain: true, maintainersOnly: true },
  interim: { recipe: 'put-interim', pick: maintainerResultLayers, toMain: false, maintainersOnly: true },
  results: { recipe: 'put-results', pick: sharedResultLayers, toMain: false, maintainersOnly: false },
} satisfies Record<string, PutOptions>;

/** putRecipeFor: the put recipe that pushes this layer. */
export function putRecipeFor(layer: Layer): PutOptions {
  return Object.values(PUTS).find((o) => o.pick([layer]).length > 0)!;
}

export async function runPut(args: Args, o: PutOptions): Promise<void> {
  const ctx = await openProject(process.cwd(), roleFlag(args));
  const out = new Reporter({ quiet: args.quiet });
  await warnPlacement(ctx, out);
  const layers = pickLayers(ctx, o.pick, args);
  const { git, config } = ctx;
  // Role guardrails (SPEC §6.8), checked before anything is listed or moved.
  const role = roleRule(ctx, o, layers);
  if (role) refuse('', [role], args.force);
  const branch = o.toMain ? config.mainBranch : (git.branch ?? config.mainBranch);
  if (o.toMain && git.branch && git.branch !== config.mainBranch) out.warn(`you are on branch "${git.branch}", but ${o.recipe} writes ${config.mainBranch}'s space.`);
  if (git.dirty) out.warn(`the git tree has uncommitted changes; this push is recorded as ${describeCommit(git)}.`);
  if (!git.sha) out.warn('the repository has no commit yet; this push is recorded without a git SHA.');
  await withLock(ctx, (m) => out.warn(m), async () => {
    const prepared: Prepared[] = [];
    for (const layer of layers) prepared.push(await prepare(ctx, layer, 'push', { branch, scope: o.scope === undefined ? undefined : runFolder(ctx.config.projectRoot, layer.local, o.scope) }));
    if (o.scope !== undefined) noSuchRun(prepared, o.scope);
    warnSkipped(out, prepared);
    for (const p of prepared.filter((x) => x.space.isMain && isBlank(x) && changes(x.plan).length > 0)) {
      out.note(`${p.layer.name}: ${describeSpace(p.space)} has no files and no Strata record yet: this push starts it. If you expected data there, check the remote (\`just config\`).`);
    }
    if (args.dryRun) {
      for (const p of prepared) {
        out.say(`${p.layer.name} → ${describeSpace(p.space)}${p.scope ? ` (only ${p.scope}/)` : ''}`);
        for (const line of planText(p.plan)) out.say(line);
      }
    }
    // Every guard of every layer runs before any layer moves (and in a dry run too, so a
    // refusal shows before trying for real).
    const bases: (string | null)[] = [];
    for (const p of prepared) bases.push(await checkPush(ctx, p, args.force, (m) => out.warn(m)));
    if (args.dryRun) {
      out.say('Dry run: nothing was changed.');
      return;
    }
    await out.runTasks(
      prepared.map((p, i) => ({
        title: `${p.layer.name} → ${describeSpace(p.space)}`,
        layer: p.layer.name,
        run: async (events) => {
          await push(ctx, p, bases[i], { recipe: o.recipe, events });
          out.totals.unchanged += unchangedFiles(p.plan);
        },
      })),
    );
    out.say(out.summary(describeCommit(git)));
  });
}
