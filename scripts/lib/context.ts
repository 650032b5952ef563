// RunContext is everything a recipe needs, gathered before anything moves: the project,
// its validated configuration, the git context, and the working copy's lock.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config, type ConfigFlags } from './config/load.js';
import { findProjectRoot } from './config/root.js';
import { readGit, type GitContext } from './git.js';
import { holdRunLock } from './lock/run-lock.js';
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
  const git = await readGit(root, config.mainBranch, [...config.layers.map((l) => l.local), config.recycleDir]);
  return { config, git, host: os.hostname() };
}

/**
 * withLock serialises Strata runs in one working copy (SPEC §6.11): a second run waits for
 * the first. A lock left by a killed run goes stale after 10 s and is taken over. The lock is
 * kept fresh from a thread of its own (lock/run-lock.ts), however long this thread is busy.
 * When the lock is lost during `fn` (removed, or taken over), withLock rejects with a
 * LockLostError at once, without waiting for `fn`: the caller must end the process (cli.ts does).
 */
export async function withLock<T>(ctx: Pick<RunContext, 'config'>, say: (m: string) => void, fn: () => Promise<T>): Promise<T> {
  const dir = path.join(ctx.config.projectRoot, '.strata');
  await fs.promises.mkdir(dir, { recursive: true });
  const lock = await holdRunLock(dir, say);
  try {
    const result = await Promise.race([fn(), lock.lost]);
    lock.assertHeld(); // lost while this thread was too busy to hear it
    return result;
  } finally {
    await lock.release();
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
