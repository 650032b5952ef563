// Strata's library called in-process, as the recipes call it, for tests that need its return
// values (plans, spaces, errors as objects). The configuration never reads process.env: it
// reads inProcessEnv (test/support/env.ts) plus what the test passes.
import { checkPush } from '../../scripts/lib/checks.js';
import { layerByName, type ConfigFlags } from '../../scripts/lib/config/load.js';
import { openProject, type RunContext } from '../../scripts/lib/context.js';
import type { TransferEvents } from '../../scripts/lib/remotes/types.js';
import { prepare, pull, push, type Prepared } from '../../scripts/lib/sync.js';
import { inProcessEnv } from './env.js';

/** A run that reports nothing. */
const quiet: TransferEvents = { start() {}, done() {}, failed() {}, bytes() {}, info() {} };

/** openProject for the working copy at `dir`, with a cleaned environment plus `env`. */
export function openInProcess(dir: string, env: Record<string, string> = {}, flags: ConfigFlags = {}): Promise<RunContext> {
  return openProject(dir, flags, inProcessEnv(env));
}

export interface PushOptions {
  /** The branch whose space to push to (default: the checked-out one). */
  branch?: string;
  /** The recipe name recorded in the journal. */
  recipe?: string;
}

/** What put-results does for one layer: prepare, the push guards, the push. Returns the plan. */
export async function pushLayer(ctx: RunContext, layer: string, opts: PushOptions = {}): Promise<Prepared> {
  const p = await prepare(ctx, layerByName(ctx.config, layer), 'push', { branch: opts.branch ?? ctx.git.branch ?? 'main' });
  const base = await checkPush(ctx, p, false, () => undefined);
  await push(ctx, p, base, { recipe: opts.recipe ?? 'test', events: quiet });
  return p;
}

export interface PullOptions {
  /** The branch whose space to pull (default: the checked-out one; main's when it has none yet). */
  branch?: string;
  force?: boolean;
}

/** What get-results does for one layer: prepare (falling back to main), the pull guards, the pull. Returns the plan. */
export async function pullLayer(ctx: RunContext, layer: string, opts: PullOptions = {}): Promise<Prepared> {
  const p = await prepare(ctx, layerByName(ctx.config, layer), 'pull', { branch: opts.branch ?? ctx.git.branch ?? 'main', fallbackToMain: true });
  await pull(ctx, p, { dryRun: false, force: !!opts.force, events: quiet });
  return p;
}
