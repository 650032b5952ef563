// The tests' own guard (test/support/env.ts): a developer's shell holds credentials and
// Strata settings; none of them may reach the configuration an in-process test builds, nor a
// program a test starts. Each row sets one variable in process.env, as a developer's shell
// would, and checks that it stops at the guard — and, so that the row can fail, that the very
// same variable does reach Strata when process.env is passed as it is.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV_KEYS } from '../../scripts/lib/config/env.js';
import { loadConfig } from '../../scripts/lib/config/load.js';
import { hubToken } from '../../scripts/lib/remotes/hub-token.js';
import { childEnv, NO_HF_HOME, STEERING } from '../support/env.js';
import { fileRemote } from '../support/remote.js';
import { removeTemps, tempDir } from '../support/scratch.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterEach(() => {
  vi.unstubAllEnvs();
  removeTemps();
});

/** A working copy on a folder remote, as in-process tests make them. */
const project = () => workingCopy(fileRemote(), { role: 'analyst', user: 'tester' });

/** What the config may hold for `key`: what the test itself passed, or nothing (HF_HOME: the folder with no token). */
const passed = (wc: WorkingCopy, key: string) => (key === 'HF_HOME' ? NO_HF_HOME : wc.settings()[key]);

/** A value for each variable Strata reads, as a developer's shell might hold it (valid, so that loadConfig accepts it). */
const DEVELOPER: Record<(typeof ENV_KEYS)[number], string> = {
  STRATA_REMOTE: 's3://dev-bucket/projects/real/datastore',
  STRATA_HUB: 'hf://datasets/dev-org/real',
  STRATA_ROLE: 'maintainer',
  STRATA_USER: 'developer',
  STRATA_MAIN_BRANCH: 'trunk',
  STRATA_TRANSFERS: '3',
  STRATA_HUB_TRANSFER: 'lfs',
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
    const wc = project();
    // The row can fail: passed as it is, process.env carries the value into the config.
    expect(loadConfig(wc.dir, {}, process.env).env[key]).toBe(value);

    const { config } = await wc.open();
    expect(config.env[key]).toBe(passed(wc, key));
    expect(config.env[key]).not.toBe(value);
    // Where each layer syncs: strata.yaml's places, as with no environment at all.
    expect(config.layers.map((l) => l.remote)).toEqual(loadConfig(wc.dir, {}, {}).layers.map((l) => l.remote));
    expect(config.layers.map((l) => l.remote)).not.toContain(value);
    expect([config.role, config.user, config.mainBranch, config.transfers]).toEqual(['analyst', 'tester', 'main', 16]);
  });

  it.each(ROWS)('%s does not reach a program a test starts', (key, value) => {
    vi.stubEnv(key, value);
    expect(process.env[key]).toBe(value);
    expect(childEnv()[key]).toBeUndefined();
    const wc = project();
    expect(wc.env()[key]).toBe(wc.settings()[key]);
  });

  it.each([
    ['GIT_DIR', '/home/dev/other/.git'],
    ['npm_config_registry', 'https://registry.dev.example.org'],
    ['NODE_OPTIONS', '--require /home/dev/hook.js'],
    ['RCLONE_CONFIG', '/home/dev/.config/rclone/rclone.conf'],
    ['HUGGING_FACE_HUB_TOKEN', 'hf_old_name'],
  ])('%s (not read by Strata, but by the programs it starts) does not reach a child either', (key, value) => {
    vi.stubEnv(key, value);
    expect(STEERING.test(key)).toBe(true);
    expect(childEnv()[key]).toBeUndefined();
  });

  it("the developer's Hub token file is not read: HF_HOME points where no token is", async () => {
    const home = tempDir();
    fs.mkdirSync(path.join(home, '.cache', 'huggingface'), { recursive: true });
    fs.writeFileSync(path.join(home, '.cache', 'huggingface', 'token'), 'hf_from_the_token_file\n');
    vi.stubEnv('HOME', home);
    // The row can fail: with process.env as it is, Strata finds the token file under HOME.
    expect(hubToken({})).toBe('hf_from_the_token_file');
    const { config } = await project().open();
    expect(hubToken(config.env)).toBeUndefined();
    expect(fs.existsSync(NO_HF_HOME)).toBe(false);
  });

  it('what the test passes does reach the config, named as the environment', async () => {
    vi.stubEnv('STRATA_ROLE', 'analyst');
    const { config } = await workingCopy(fileRemote(), { role: 'maintainer' }).open();
    expect(config.role).toBe('maintainer');
    expect(config.origins.role).toBe('environment (STRATA_ROLE)');
  });
});
