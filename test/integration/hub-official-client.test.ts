// A second, independent client checks the Hub emulator: every Hub operation Strata relies on,
// made by the official Python client (huggingface_hub, pinned in .venv/) against the same
// emulator Strata's tests use (test/support/hub_official_client.py names each step). Where the
// two clients disagreed, the emulator was made to behave like the Hub (test/hub-emulator/README.md).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { commit, createRepo, downloadFile } from '@huggingface/hub';
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

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * Runs the Python client's checks against the emulator (`args` are the script's, with `{work}`
 * standing for its working folder); its printed observations, by step.
 */
async function officialClient(args: string[], env: Record<string, string>, work = tempDir('strata-hf-py-')): Promise<Record<string, unknown>> {
  const argv = args.map((a) => (a === '{work}' ? work : a));
  const r = assertOk(
    await run(PYTHON, [path.join(ROOT, 'test', 'support', 'hub_official_client.py'), ...argv], {
      cwd: work,
      env: childEnv({ HF_ENDPOINT: hub.url, HF_TOKEN: hub.token, HF_HOME: path.join(work, 'hf-home'), HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1', ...env }),
      timeoutMs: 240_000,
    }),
    'the official client against the emulator',
  );
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const STEPS = [
  'create repo',
  'commit (preupload, upload, commit)',
  'commit with a stale parent_commit is refused (412)',
  'commit with the current parent_commit',
  'branch and tag',
  'paged tree listing with expand',
  'paths info with expand',
  'download at a branch and at a tag (hf_hub_download)',
  'ranged read (HfFileSystem)',
  'list commits',
  'pull request: create, commit to it, merge, refs',
];

describe('the Hub emulator, checked by the official Python client', () => {
  it('agrees on every operation Strata relies on, over LFS', async () => {
    const from = hub.requests.length;
    // HF_HUB_DISABLE_XET: with hf_xet installed the client sends every upload through Xet.
    const seen = await officialClient(['lab/cells', '{work}'], { HF_HUB_DISABLE_XET: '1' });
    expect(Object.keys(seen)).toEqual(STEPS);
    expect(seen['commit (preupload, upload, commit)']).toMatchObject({ transfer: 'lfs' });
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
    expect(reqs.some((r) => r.cas)).toBe(false);
  });

  it('agrees on every operation Strata relies on, with uploads and downloads through Xet (hf_xet)', async () => {
    const from = hub.requests.length;
    const seen = await officialClient(['lab/cells-xet', '{work}'], {});
    expect(Object.keys(seen)).toEqual(STEPS);
    expect(seen['commit (preupload, upload, commit)']).toMatchObject({ transfer: 'xet' });
    const reqs = hub.requests.slice(from);
    const cas = (method: string, re: RegExp) => reqs.filter((r) => r.cas && r.method === method && re.test(r.path));
    expect(reqs.filter((r) => /\/xet-write-token\//.test(r.path) && r.status === 200).length).toBeGreaterThan(0);
    expect(cas('POST', /^\/v1\/xorbs\//).length).toBeGreaterThan(0);
    expect(cas('POST', /^\/v1\/shards$/).every((r) => r.status === 200)).toBe(true);
    expect(cas('POST', /^\/v1\/shards$/).length).toBeGreaterThan(0);
    expect(reqs.some((r) => r.path.startsWith('/_emulator/lfs-upload/'))).toBe(false);
    // hf_hub_download took the Xet path: a read token, a reconstruction, ranged xorb reads.
    expect(reqs.filter((r) => /\/xet-read-token\//.test(r.path) && r.status === 200).length).toBeGreaterThan(0);
    expect(cas('GET', /^\/v2\/reconstructions\//).length).toBeGreaterThan(0);
    expect(cas('GET', /^\/xorb-data\//).every((r) => r.status === 206)).toBe(true);
  });

  it('reads, byte for byte, what the other client uploaded through Xet, both ways', async () => {
    const repo = { type: 'dataset' as const, name: 'lab/cross' };
    const creds = { hubUrl: hub.url, accessToken: hub.token };
    await createRepo({ repo, ...creds });
    // Random and compressible stretches, so that both raw and LZ4 chunks are written.
    const fromJs = Buffer.concat(Array.from({ length: 48 }, (_, i) => (i % 3 ? randomBytes(96 * 1024) : Buffer.from(`js,row,${i}\n`.repeat(8000)))));
    const from = hub.requests.length;
    await commit({ repo, title: 'from js', operations: [{ operation: 'addOrUpdate', path: 'from-js.bin', content: new Blob([new Uint8Array(fromJs)]) }], useXet: true, ...creds });
    expect(hub.requests.slice(from).some((r) => r.cas && r.path === '/v1/shards' && r.status === 200)).toBe(true);

    const work = tempDir('strata-hf-cross-');
    const mark = hub.requests.length;
    const seen = await officialClient(['--cross', repo.name, '{work}', 'from-js.bin', sha256(fromJs)], {}, work);
    expect(seen['download a file uploaded by @huggingface/hub over Xet (hf_hub_download)']).toBe(fromJs.length);

    // The edited copy: hf_xet asked the CAS about its first chunk, got the xorbs @huggingface/hub
    // wrote (in a shard with HMAC-keyed chunk hashes) and sent only the new chunks.
    const reqs = hub.requests.slice(mark);
    const firstCommit = reqs.findIndex((r) => r.method === 'POST' && r.path.endsWith('/commit/main'));
    const beforeCommit = reqs.slice(0, firstCommit);
    expect(beforeCommit.some((r) => r.cas && r.path.startsWith('/v1/chunks/') && r.status === 200)).toBe(true);
    const editedXorbBytes = beforeCommit.filter((r) => r.cas && r.method === 'POST' && r.path.startsWith('/v1/xorbs/')).reduce((n, r) => n + (r.bodySize ?? 0), 0);
    expect(editedXorbBytes).toBeGreaterThan(0);
    expect(editedXorbBytes).toBeLessThan(fromJs.length / 4);
    const edited = await downloadFile({ repo, path: 'edited.bin', xet: true, ...creds });
    expect(Buffer.from(await edited!.arrayBuffer()).equals(readFileSync(path.join(work, 'edited.bin')))).toBe(true);

    const fromPy = readFileSync(path.join(work, 'from-python.bin'));
    const file = await downloadFile({ repo, path: 'from-python.bin', xet: true, ...creds });
    expect(Buffer.from(await file!.arrayBuffer()).equals(fromPy)).toBe(true);
  });
});
