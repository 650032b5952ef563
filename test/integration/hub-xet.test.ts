// Strata's files on the Hub travel through Xet where the Hub offers it, and through LFS when
// the project says `hub_transfer: lfs`; checked against the emulator's request log, and
// cross-checked with the official Xet client (hf_xet, through huggingface_hub) both ways:
// what Strata uploads hf_hub_download reads, and what huggingface_hub uploads Strata pulls.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubEmulator, type HubEmulator } from '../hub-emulator/index.js';
import { childEnv } from '../support/env.js';
import { hubRemote } from '../support/remote.js';
import { assertOk, run } from '../support/run.js';
import { removeTemps, tempDir } from '../support/scratch.js';
import { sha256 } from '../support/tree.js';
import { STRATA_ROOT, workingCopy } from '../support/working-copy.js';

const PYTHON = path.join(STRATA_ROOT, '.venv', 'bin', 'python');
const MiB = 1024 * 1024;

let hub: HubEmulator;
beforeAll(async () => {
  hub = await startHubEmulator({});
});
afterAll(async () => {
  await hub.stop();
  removeTemps();
});

const since = (mark: number) => hub.requests.slice(mark);
const xorbPosts = (mark: number) => since(mark).filter((r) => r.cas && r.method === 'POST' && r.path.startsWith('/v1/xorbs/'));
const lfsPuts = (mark: number) => since(mark).filter((r) => r.method === 'PUT' && r.path.startsWith('/_emulator/lfs-upload/'));

/** Runs Python with the official client against the emulator (hf_xet installed: Xet both ways). */
async function python(script: string, args: string[]): Promise<string> {
  const home = tempDir('strata-hf-home-');
  const r = await run(PYTHON, ['-c', script, ...args], {
    cwd: home,
    env: childEnv({ HF_ENDPOINT: hub.url, HF_TOKEN: hub.token, HF_HOME: home, HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1' }),
    timeoutMs: 180_000,
  });
  return assertOk(r, 'python with huggingface_hub').stdout.trim();
}

describe('Xet on the Hub', () => {
  it('Strata uploads through Xet and hf_hub_download reads it; huggingface_hub uploads through Xet and Strata pulls it; bytes equal both ways', async () => {
    const remote = hubRemote(hub);
    const ana = workingCopy(remote);
    ana.git('switch', '-q', '-c', 'xet-run');
    const matrix = crypto.randomBytes(6 * MiB + 11);
    ana.write('data/processed/big/matrix.bin', matrix);
    ana.write('data/processed/summary.csv', 'plate,cells\n1,200\n');
    let mark = hub.requests.length;
    await ana.pushLayer();
    expect(xorbPosts(mark).length, 'Strata posted xorbs to the CAS').toBeGreaterThan(0);
    expect(lfsPuts(mark), 'and no LFS upload').toEqual([]);

    // The official Xet client reads what Strata wrote.
    mark = hub.requests.length;
    const read = await python(
      ['import hashlib, sys', 'from huggingface_hub import hf_hub_download', 'p = hf_hub_download(sys.argv[1], "processed/big/matrix.bin", repo_type="dataset", revision="xet-run")', 'print(hashlib.sha256(open(p, "rb").read()).hexdigest())'].join('\n'),
      [remote.repo],
    );
    expect(read).toBe(sha256(matrix));
    expect(since(mark).some((r) => r.cas && r.path.startsWith('/v2/reconstructions/')), 'hf_xet rebuilt it from the CAS').toBe(true);

    // And the reverse: huggingface_hub uploads through hf_xet, Strata pulls.
    const features = crypto.randomBytes(5 * MiB + 3);
    const upload = path.join(tempDir('strata-hf-up-'), 'features.bin');
    fs.writeFileSync(upload, features);
    await python(
      ['import sys', 'from huggingface_hub import HfApi', 'HfApi().upload_file(path_or_fileobj=sys.argv[2], path_in_repo="processed/big/features.bin", repo_id=sys.argv[1], repo_type="dataset", revision="xet-run", commit_message="features from a notebook")'].join('\n'),
      [remote.repo, upload],
    );
    const ben = workingCopy(remote);
    ben.git('switch', '-q', '-c', 'xet-run');
    mark = hub.requests.length;
    await ben.pullLayer();
    expect(sha256(ben.read('data/processed/big/features.bin')!)).toBe(sha256(features));
    expect(sha256(ben.read('data/processed/big/matrix.bin')!)).toBe(sha256(matrix));
    expect(since(mark).some((r) => r.cas && r.path.startsWith('/xorb-data/')), 'Strata read the chunks from the CAS').toBe(true);
  });

  it('hub_transfer: lfs sends every changed file whole over LFS, and reads without the CAS', async () => {
    const remote = hubRemote(hub);
    const ana = workingCopy(remote, { yamlExtra: 'hub_transfer: lfs\n' });
    ana.git('switch', '-q', '-c', 'lfs-run');
    const matrix = crypto.randomBytes(6 * MiB + 5);
    ana.write('data/processed/big/matrix.bin', matrix);
    let mark = hub.requests.length;
    await ana.pushLayer();
    expect(lfsPuts(mark).length).toBe(1);
    expect(since(mark).some((r) => r.cas)).toBe(false);

    const ben = workingCopy(remote, { yamlExtra: 'hub_transfer: lfs\n' });
    ben.git('switch', '-q', '-c', 'lfs-run');
    mark = hub.requests.length;
    await ben.pullLayer();
    expect(sha256(ben.read('data/processed/big/matrix.bin')!)).toBe(sha256(matrix));
    expect(since(mark).some((r) => r.cas)).toBe(false);
  });
});
