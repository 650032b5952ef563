// RunContext is everything a recipe needs, gathered before anything moves: the project,
// its validated configuration, the git context, and the working copy's lock.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { loadConfig, type Config, type ConfigFlags } from './config/load.js';
import { findProjectRoot } from './config/root.js';
import { StrataError } from './errors.js';
import { readGit, type GitContext } from './git.js';
import type { ChangeRecord } from './remotes/types.js';
import { TOOL_VERSION } from './version.js';

export interface RunContext {
  config: Config;
  git: GitContext;
  host: string;
}

/** `environment`: the variables the configuration reads (tests pass a cleaned one, never their own). */
export async function openProject(cwd: string, flags: ConfigFlags = {}, environment: NodeJS.ProcessEnv = process.env): Promise<RunContext> {
  // NOTE: --role is a convenience like STRATA_ROLE in .env; role rules are guardrails, not security.
  const root = findProjectRoot(cwd);
  const config = loadConfig(root, flags, environment);
  const git = await readGit(root, config.mainBranch);
  return { config, git, host: os.hostname() };
}

/**
 * withLock serialises Strata runs in one working copy (SPEC §6.11): a second run waits for
 * the first. A lock left by a killed run goes stale after 10 s and is taken over.
 */
export async function withLock<T>(ctx: Pick<RunContext, 'config'>, say: (m: string) => void, fn: () => Promise<T>): Promise<T> {
  const dir = path.join(ctx.config.projectRoot, '.strata');
  await fs.promises.mkdir(dir, { recursive: true });
  const options = (retries: number) =>
    ({
      lockfilePath: path.join(dir, 'run.lock'),
      stale: 10_000,
      update: 3_000,
      retries: { retries, factor: 1, minTimeout: 500, maxTimeout: 500 },
    }) as lockfile.LockOptions;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, options(0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    say('Another Strata run is active in this working copy; waiting for it to finish…');
    try {
      release = await lockfile.lock(dir, options(1_200)); // up to ten minutes
    } catch {
      throw new StrataError(`Another Strata run held the lock on ${dir} for ten minutes.`, 'Wait for it to finish (or end it), then run the recipe again.');
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

export function changeRecord(ctx: RunContext, recipe: string, layer: string, branch: string): ChangeRecord {
  return {
    recipe,
    layer,
    branch,
    gitSha: ctx.git.sha,
    dirty: ctx.git.dirty,
    user: ctx.config.user,
    host: ctx.host,
    tool: `strata ${TOOL_VERSION}`,
  };
}
