// A second, independent client checks the Hub emulator: every Hub operation Strata relies on,
// made by the official Python client (huggingface_hub, pinned in .venv/) against the same
// emulator Strata's tests use (test/support/hub_official_client.py names each step). Where the
// two clients disagreed, the emulator was made to behave like the Hub (test/hub-emulator/README.md).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubEmulator, type HubEmulator } from '../hub-emulator/index.js';
import { childEnv } from '../support/env.js';
import { assertOk, run } from '../support/run.js';
import { removeTemps, tempDir } from '../support/scratch.js';

const ROOT = path.resolve(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

let hub: HubEmulator;
beforeAll(async () => {
  // Pages of three entries, so that the tree listing has to follow its Link headers.
  hub = await startHubEmulator({ treePageSize: 3 });
});
afterAll(async () => {
  await hub.stop();
  removeTemps();
});

/** Runs the Python client's checks against the emulator; its printed observations, by step. */
async function officialClient(repo: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  const work = tempDir('strata-hf-py-');
  const r = assertOk(
    await run(PYTHON, [path.join(ROOT, 'test', 'support', 'hub_official_client.py'), repo, work], {
      cwd: work,
      env: childEnv({ HF_ENDPOINT: hub.url, HF_TOKEN: hub.token, HF_HOME: path.join(work, 'hf-home'), HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1', ...env }),
      timeoutMs: 240_000,
    }),
    'the official client against the emulator',
  );
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('the Hub emulator, checked by the official Python client', () => {
  it('agrees on every operation Strata relies on, over LFS', async () => {
    const from = hub.requests.length;
    // HF_HUB_DISABLE_XET: with hf_xet installed the client sends every upload through Xet.
    const seen = await officialClient('lab/cells', { HF_HUB_DISABLE_XET: '1' });
    expect(Object.keys(seen)).toEqual([
      'create repo',
      'commit (preupload, LFS batch, upload, commit)',
      'commit with a stale parent_commit is refused (412)',
      'commit with the current parent_commit',
      'branch and tag',
      'paged tree listing with expand',
      'paths info with expand',
      'download at a branch and at a tag (hf_hub_download)',
      'ranged read (HfFileSystem)',
      'list commits',
      'pull request: create, commit to it, merge, refs',
    ]);
    expect(seen['commit with a stale parent_commit is refused (412)']).toBe(412);
    const reqs = hub.requests.slice(from);
    const sent = (method: string, re: RegExp) => reqs.filter((r) => r.method === method && re.test(r.path + r.query));
    // What the client really sent: preupload, the LFS batch and the upload, paged listing, ranges after a redirect.
    expect(sent('POST', /\/preupload\//).length).toBeGreaterThan(0);
    expect(sent('POST', /\.git\/info\/lfs\/objects\/batch$/).length).toBeGreaterThan(0);
    expect(sent('PUT', /^\/_emulator\/lfs-upload\//).length).toBe(1);
    expect(sent('GET', /\/tree\/.*cursor=/).length).toBeGreaterThan(0);
    expect(reqs.filter((r) => r.path.includes('/resolve/') && r.path.endsWith('matrix.bin') && r.status === 302).length).toBeGreaterThan(0);
    expect(reqs.filter((r) => r.cdn && r.status === 206).length, 'the ranged read went to the download host').toBeGreaterThan(0);
    expect(reqs.filter((r) => r.cdn && r.status === 200).length, 'hf_hub_download followed the redirect').toBeGreaterThan(0);
  });
});
