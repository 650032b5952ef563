// The tests' own guard (test/support/env.ts): a developer's shell holds credentials and
// Strata settings; none of them may reach the configuration an in-process test builds, nor a
// program a test starts. Each row sets one variable in process.env, as a developer's shell
// would, and checks that it stops at the guard — and, so that the row can fail, that the very
// same variable does reach Strata when process.env is passed as it is.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV_KEYS, loadConfig } from '../../scripts/lib/config/load.js';
import { hubToken } from '../../scripts/lib/remotes/hf.js';
import { childEnv, inProcessEnv, NO_HF_HOME, STEERING } from '../support/env.js';
import { openInProcess } from '../support/in-process.js';
import { assertOk, runSync } from '../support/run.js';

const dirs: string[] = [];
afterEach(() => {
  vi.unstubAllEnvs();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-env-'));
  dirs.push(d);
  return d;
}

/** A project on a folder remote, committed once (openProject reads the git context). */
function project(): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'strata.yaml'), 'remote: file:///srv/lab-share/projects/x/datastore\n');
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'init']]) assertOk(runSync('git', args, { cwd: dir, env: childEnv() }));
  return dir;
}

/** A value for each variable Strata reads, as a developer's shell might hold it (valid, so that loadConfig accepts it). */
const DEVELOPER: Record<(typeof ENV_KEYS)[number], string> = {
  STRATA_REMOTE: 's3://dev-bucket/projects/real/datastore',
  STRATA_HUB: 'hf://datasets/dev-org/real',
  STRATA_ROLE: 'maintainer',
  STRATA_USER: 'developer',
  STRATA_MAIN_BRANCH: 'trunk',
  STRATA_TRANSFERS: '3',
  STRATA_HTTP_TIMEOUT_MS: '5000',
  AWS_PROFILE: 'dev-admin',
  AWS_REGION: 'eu-dev-1',
  AWS_DEFAULT_REGION: 'eu-dev-2',
  AWS_ENDPOINT_URL_S3: 'https://s3.dev.example.org',
  AWS_ENDPOINT_URL: 'https://aws.dev.example.org',
  AWS_ACCESS_KEY_ID: 'AKIADEVELOPER0000000',
  AWS_SECRET_ACCESS_KEY: 'developer-secret-key',
  AWS_SESSION_TOKEN: 'developer-session-token',
  AWS_CA_BUNDLE: '/etc/ssl/dev-ca.pem',
  HF_TOKEN: 'hf_developer_token',
  HF_ENDPOINT: 'https://hub.dev.example.org',
  HF_HOME: '/home/dev/.cache/huggingface',
};
const ROWS = Object.entries(DEVELOPER);

describe('a developer variable in process.env', () => {
  it('the table covers every variable Strata reads', () => {
    expect(Object.keys(DEVELOPER).sort()).toEqual([...ENV_KEYS].sort());
  });

  it.each(ROWS)('%s does not reach the config of an in-process test', async (key, value) => {
    vi.stubEnv(key, value);
    const dir = project();
    // The row can fail: passed as it is, process.env carries the value into the config.
    expect(loadConfig(dir, {}, process.env).env[key]).toBe(value);

    const ctx = await openInProcess(dir);
    expect(ctx.config.env[key]).toBe(key === 'HF_HOME' ? NO_HF_HOME : undefined);
    expect(Object.values(ctx.config.origins).filter((o) => o.includes(key))).toEqual([]);
    expect(ctx.config.layers.map((l) => l.remote)).toEqual(Array(4).fill('file:///srv/lab-share/projects/x/datastore'));
    expect(ctx.config.role).toBe('analyst');
    expect(ctx.config.mainBranch).toBe('main');
  });

  it.each(ROWS)('%s does not reach a program a test starts', (key, value) => {
    vi.stubEnv(key, value);
    expect(process.env[key]).toBe(value);
    expect(childEnv()[key]).toBeUndefined();
  });

  it.each([['GIT_DIR', '/home/dev/other/.git'], ['npm_config_registry', 'https://registry.dev.example.org'], ['NODE_OPTIONS', '--require /home/dev/hook.js'], ['RCLONE_CONFIG', '/home/dev/.config/rclone/rclone.conf'], ['HUGGING_FACE_HUB_TOKEN', 'hf_old_name']])(
    '%s (not read by Strata, but by the programs it starts) does not reach a child either',
    (key, value) => {
      vi.stubEnv(key, value);
      expect(STEERING.test(key)).toBe(true);
      expect(childEnv()[key]).toBeUndefined();
    },
  );

  it("the developer's Hub token file is not read: HF_HOME points where no token is", async () => {
    const home = tempDir();
    fs.mkdirSync(path.join(home, '.cache', 'huggingface'), { recursive: true });
    fs.writeFileSync(path.join(home, '.cache', 'huggingface', 'token'), 'hf_from_the_token_file\n');
    vi.stubEnv('HOME', home);
    // The row can fail: with process.env as it is, Strata finds the token file under HOME.
    expect(hubToken({})).toBe('hf_from_the_token_file');
    const ctx = await openInProcess(project());
    expect(hubToken(ctx.config.env)).toBeUndefined();
    expect(fs.existsSync(NO_HF_HOME)).toBe(false);
  });

  it('what the test passes does reach the config, named as the environment', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', DEVELOPER.AWS_ACCESS_KEY_ID);
    const ctx = await openInProcess(project(), { AWS_ACCESS_KEY_ID: 'test-key', STRATA_ROLE: 'maintainer' });
    expect(ctx.config.env.AWS_ACCESS_KEY_ID).toBe('test-key');
    expect(ctx.config.role).toBe('maintainer');
    expect(ctx.config.origins.role).toBe('environment (STRATA_ROLE)');
    expect(inProcessEnv({ HF_TOKEN: 'hf_test' }).HF_TOKEN).toBe('hf_test');
  });
});
