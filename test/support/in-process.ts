// Strata's library called in-process, as the recipes call it, for tests that need its return
// values (plans, spaces, errors as objects). The configuration never reads process.env: it
// reads inProcessEnv (test/support/env.ts) plus what the test passes.
import { checkPull, checkPush } from '../../scripts/lib/guards/checks.js';
import { layerByName } from '../../scripts/lib/config/layers.js';
import type { ConfigFlags } from '../../scripts/lib/config/load.js';
import { openProject, type RunContext } from '../../scripts/lib/context.js';
import type { TransferEvents } from '../../scripts/lib/remotes/types.js';
import { prepare, type Prepared } from '../../scripts/lib/prepare.js';
import { keepUnshared, pull, push } from '../../scripts/lib/sync.js';
import { inProcessEnv } from './env.js';

/** A run that reports nothing. */
const quiet: TransferEvents = { start() {}, done() {}, failed() {}, bytes() {}, info() {} };

/** openProject for the working copy at `dir`, with a cleaned environment plus `env`. */
export function openInProcess(dir: string, env: Record<string, string> = {}, flags: ConfigFlags = {}): Promise<RunContext> {
  return openProject(dir, flags, inProcessEnv(env));
}

export interface SyncOptions {
  /** The branch whose space to sync (default: the checked-out one). */
  branch?: string;
  /** One run folder of the layer (get-results-for, put-results-for). */
  scope?: string;
  /** What the test does between planning and applying, e.g. another tool changing the remote. */
  beforeApply?: (p: Prepared) => Promise<void>;
}

export interface PushOptions extends SyncOptions {
  /** The recipe name recorded in the journal. */
  recipe?: string;
  force?: boolean;
}

/** What put-results does for one layer: prepare, the push guards, the push. Returns the plan. */
export async function pushLayer(ctx: RunContext, layer: string, opts: PushOptions = {}): Promise<Prepared> {
  const p = await prepare(ctx, layerByName(ctx.config, layer), 'push', { branch: opts.branch ?? ctx.git.branch ?? 'main', scope: opts.scope });
  const base = await checkPush(ctx, p, !!opts.force, () => undefined);
  await opts.beforeApply?.(p);
  await push(ctx, p, base, { recipe: opts.recipe ?? 'test', events: quiet });
  return p;
}

export interface PullOptions extends SyncOptions {
  force?: boolean;
  /** --keep: unshared local work stays as it is. */
  keep?: boolean;
  /** A past revision (get-results-at; Hub layers). */
  revision?: string;
}

/** What get-results does for one layer: prepare (falling back to main), the pull guards, the pull. Returns the plan. */
export async function pullLayer(ctx: RunContext, layer: string, opts: PullOptions = {}): Promise<Prepared> {
  const p = await prepare(ctx, layerByName(ctx.config, layer), 'pull', { branch: opts.branch ?? ctx.git.branch ?? 'main', scope: opts.scope, revision: opts.revision, fallbackToMain: !opts.revision });
  if (opts.keep) keepUnshared(p);
  checkPull(ctx, p, !!opts.force);
  await opts.beforeApply?.(p);
  await pull(ctx, p, { events: quiet });
  return p;
}
