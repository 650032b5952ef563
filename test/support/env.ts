// The one rule for what a test lets through from the developer's environment. A developer's
// shell may hold AWS_PROFILE, HF_TOKEN, STRATA_REMOTE, GIT_DIR, npm settings…: any of them
// could steer a test at a real bucket, a real Hub repo or another repository. Programs a test
// starts (Strata, just, git, npm, rclone) get `childEnv`; Strata's code called in-process
// (openProject, loadConfig) gets `inProcessEnv`. Both are made by `withoutSteering`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Names that could steer a program elsewhere: credentials, Strata settings, git, rclone and npm config, test-runner state. */
export const STEERING = /^(STRATA_|AWS_|HF_|HUGGING_FACE_|GIT_|RCLONE_|VITEST|npm_|NODE_OPTIONS$|INIT_CWD$)/i;

/**
 * An HF_HOME that holds no token (this folder does not exist): without it, Strata would fall
 * back to the developer's ~/.cache/huggingface/token.
 */
export const NO_HF_HOME = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'no-hf-home');

/** `env` minus every name STEERING matches. */
export function withoutSteering(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!STEERING.test(k)) out[k] = v;
  return out;
}

/**
 * The environment of every program a test starts: the test runner's own without the steering
 * names, plus a fixed git identity, no colours, no EC2 metadata lookups (the AWS SDK's
 * credential chain would otherwise wait for one), and `extra` last.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...withoutSteering(process.env),
    CI: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    GIT_AUTHOR_NAME: 'Lab',
    GIT_AUTHOR_EMAIL: 'lab@example.org',
    GIT_COMMITTER_NAME: 'Lab',
    GIT_COMMITTER_EMAIL: 'lab@example.org',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/**
 * The environment Strata's code sees when a test calls it in-process (the `environment` of
 * openProject and loadConfig, never process.env): the same rule, an HF_HOME with no token,
 * and `extra` (the remote's settings, the role) last.
 */
export function inProcessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return childEnv({ HF_HOME: NO_HF_HOME, ...extra });
}
