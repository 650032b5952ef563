// Strata's library called in-process, as the recipes call it, for tests that need its return
// values (plans, spaces, errors as objects). The configuration never reads process.env: it
// reads inProcessEnv (test/support/env.ts) plus what the test passes.
import { openProject, type RunContext } from '../../scripts/lib/context.js';
import type { ConfigFlags } from '../../scripts/lib/config/load.js';
import { inProcessEnv } from './env.js';

/** openProject for the working copy at `dir`, with a cleaned environment plus `env`. */
export function openInProcess(dir: string, env: Record<string, string> = {}, flags: ConfigFlags = {}): Promise<RunContext> {
  return openProject(dir, flags, inProcessEnv(env));
}
