// Opt-in: the real Hugging Face Hub. Skipped unless HF_TOKEN and STRATA_LIVE_HUB_REPO (a
// scratch dataset repo, ORG/NAME, that this test may write to) are set:
//   HF_TOKEN=hf_… STRATA_LIVE_HUB_REPO=me/strata-scratch npx vitest run --project live
// It checks what the local emulator can only assume: branch names with "/", LFS and
// regular files, parentCommit conflicts, and that Strata's plans agree with the real listing.
// The token is the one setting taken from the developer's environment, and passed by name.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../scripts/lib/errors.js';
import { hubRemote } from '../support/remote.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy } from '../support/working-copy.js';

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
});
