// Opt-in: the real Hugging Face Hub. Skipped unless HF_TOKEN and STRATA_LIVE_HUB_REPO (a
// scratch dataset repo, ORG/NAME, that this test may write to) are set:
//   HF_TOKEN=hf_… STRATA_LIVE_HUB_REPO=me/strata-scratch npx vitest run --project live
// It checks what the local emulator can only assume: branch names with "/", LFS and
// regular files, parentCommit conflicts, and that Strata's plans agree with the real listing;
// Xet both ways with the official Python client (the pinned .venv), and LFS when forced.
// The token is the one setting taken from the developer's environment, and passed by name.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../scripts/lib/errors.js';
import { childEnv } from '../support/env.js';
import { hubRemote } from '../support/remote.js';
import { assertOk, run } from '../support/run.js';
import { removeTemps, tempDir } from '../support/scratch.js';
import { sha256 } from '../support/tree.js';
import { STRATA_ROOT, workingCopy } from '../support/working-copy.js';

const PYTHON = path.join(STRATA_ROOT, '.venv', 'bin', 'python');

const token = process.env.HF_TOKEN;
const repo = process.env.STRATA_LIVE_HUB_REPO;
afterAll(removeTemps);

describe.skipIf(!token || !repo)('the real Hub (opt-in: HF_TOKEN and STRATA_LIVE_HUB_REPO)', () => {
  it('round-trips a branch with a slash, skips unchanged files, and refuses a stale push', async () => {
    const remote = hubRemote({ url: 'https://huggingface.co', token: token! }, { repo });
    const branch = `strata-live/${crypto.randomBytes(3).toString('hex')}`;
    const live = { branch, recipe: 'live-test' };
    const a = workingCopy(remote, { branch });
    a.write('data/processed/run/table.csv', 'a,b\n1,2\n');
    a.write('data/processed/run/image.bin', crypto.randomBytes(64 * 1024));
    a.write('data/processed/run/empty.csv', '');
    await a.pushLayer('processed', live);
    const again = await a.pushLayer('processed', live);
    expect(again.plan.items.every((i) => i.kind === 'skip')).toBe(true);

    const b = workingCopy(remote, { branch });
    const pulled = await b.pullLayer('processed', { branch });
    expect(pulled.plan.items.filter((i) => i.kind === 'download')).toHaveLength(3);
    expect(b.read('data/processed/run/image.bin')).toEqual(a.read('data/processed/run/image.bin'));

    a.write('data/processed/run/table.csv', 'a,b\n1,3\n');
    await a.pushLayer('processed', live);
    b.write('data/processed/run/table.csv', 'a,b\n9,9\n');
    await expect(b.pushLayer('processed', live)).rejects.toBeInstanceOf(ConflictError);
  }, 300_000);

  it('moves a large file through Xet both ways with the official client, and through LFS when forced', async () => {
    const remote = hubRemote({ url: 'https://huggingface.co', token: token! }, { repo });
    const branch = `strata-live/xet-${crypto.randomBytes(3).toString('hex')}`;
    const live = { branch, recipe: 'live-test' };
    const py = async (script: string, args: string[]) => {
      const home = tempDir('strata-hf-home-');
      const env = childEnv({ HF_TOKEN: token!, HF_HOME: home, HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1' });
      return assertOk(await run(PYTHON, ['-c', script, ...args], { cwd: home, env, timeoutMs: 600_000 }), 'huggingface_hub').stdout.trim();
    };
    const a = workingCopy(remote, { branch });
    const matrix = crypto.randomBytes(12 * 1024 * 1024 + 1);
    a.write('data/processed/big/matrix.bin', matrix);
    await a.pushLayer('processed', live);
    // Stored in Xet (the Hub lists its Xet hash), and read back by hf_xet byte for byte.
    const read = await py(
      [
        'import hashlib, sys',
        'from huggingface_hub import HfApi, hf_hub_download',
        'repo, rev = sys.argv[1], sys.argv[2]',
        'info = HfApi().get_paths_info(repo, ["processed/big/matrix.bin"], repo_type="dataset", revision=rev)[0]',
        'p = hf_hub_download(repo, "processed/big/matrix.bin", repo_type="dataset", revision=rev)',
        'print(bool(getattr(info, "xet_hash", None)), hashlib.sha256(open(p, "rb").read()).hexdigest())',
      ].join('\n'),
      [repo!, branch],
    );
    expect(read).toBe(`True ${sha256(matrix)}`);

    // huggingface_hub uploads through hf_xet; Strata pulls it.
    const features = crypto.randomBytes(11 * 1024 * 1024 + 7);
    const file = path.join(tempDir('strata-live-up-'), 'features.bin');
    fs.writeFileSync(file, features);
    await py(
      ['import sys', 'from huggingface_hub import HfApi', 'HfApi().upload_file(path_or_fileobj=sys.argv[3], path_in_repo="processed/big/features.bin", repo_id=sys.argv[1], repo_type="dataset", revision=sys.argv[2], commit_message="from a notebook")'].join('\n'),
      [repo!, branch, file],
    );
    const b = workingCopy(remote, { branch });
    await b.pullLayer('processed', { branch });
    expect(sha256(b.read('data/processed/big/features.bin')!)).toBe(sha256(features));

    // hub_transfer: lfs round-trips too.
    const c = workingCopy(remote, { branch, yamlExtra: 'hub_transfer: lfs\n' });
    await c.pullLayer('processed', { branch });
    c.write('data/processed/big/lfs.bin', crypto.randomBytes(11 * 1024 * 1024 + 3));
    await c.pushLayer('processed', live);
    const d = workingCopy(remote, { branch, yamlExtra: 'hub_transfer: lfs\n' });
    await d.pullLayer('processed', { branch });
    expect(d.read('data/processed/big/lfs.bin')).toEqual(c.read('data/processed/big/lfs.bin'));
  }, 900_000);
});
