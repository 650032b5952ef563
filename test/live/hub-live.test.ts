// Opt-in: the real Hugging Face Hub. Skipped unless HF_TOKEN and STRATA_LIVE_HUB_REPO (a
// scratch dataset repo, ORG/NAME, that this test may write to) are set:
//   HF_TOKEN=hf_… STRATA_LIVE_HUB_REPO=me/strata-scratch npx vitest run --project live
// It checks what the local emulator can only assume: branch names with "/", LFS and
// regular files, parentCommit conflicts, and that Strata's plans agree with the real listing.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { layerByName } from '../../scripts/lib/config/layers.js';
import { ConflictError } from '../../scripts/lib/errors.js';
import type { TransferEvents } from '../../scripts/lib/remotes/types.js';
import { checkPush } from '../../scripts/lib/guards.js';
import { prepare, pull, push } from '../../scripts/lib/sync.js';
import { childEnv } from '../support/env.js';
import { openInProcess } from '../support/in-process.js';
import { assertOk, runSync } from '../support/run.js';

const token = process.env.HF_TOKEN;
const repo = process.env.STRATA_LIVE_HUB_REPO;
const quiet: TransferEvents = { start() {}, done() {}, failed() {}, bytes() {}, info() {} };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function workingCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-live-'));
  dirs.push(dir);
  const git = (...a: string[]) => assertOk(runSync('git', a, { cwd: dir, env: childEnv() }));
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'strata.yaml'), `remote: file://${dir}-inputs\nhub: hf://datasets/${repo}\n`);
  fs.writeFileSync(path.join(dir, '.gitignore'), 'data/\n.strata/\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  git('switch', '-q', '-c', `strata-live/${crypto.randomBytes(3).toString('hex')}`);
  return dir;
}

async function sync(dir: string, direction: 'push' | 'pull', branch: string) {
  // The token is the one setting taken from the developer's environment, and named here.
  const ctx = await openInProcess(dir, { HF_TOKEN: token! }, { role: 'maintainer' });
  const p = await prepare(ctx, layerByName(ctx.config, 'processed'), direction, { branch, fallbackToMain: true });
  if (direction === 'push') await push(ctx, p, await checkPush(ctx, p, false, () => undefined), { recipe: 'live-test', events: quiet });
  else await pull(ctx, p, { dryRun: false, force: false, events: quiet });
  return p;
}

describe.skipIf(!token || !repo)('the real Hub (opt-in: HF_TOKEN and STRATA_LIVE_HUB_REPO)', () => {
  it('round-trips a branch with a slash, skips unchanged files, and refuses a stale push', async () => {
    const a = workingCopy();
    const branch = assertOk(runSync('git', ['branch', '--show-current'], { cwd: a, env: childEnv() })).stdout.trim();
    fs.mkdirSync(path.join(a, 'data/processed/run'), { recursive: true });
    fs.writeFileSync(path.join(a, 'data/processed/run/table.csv'), 'a,b\n1,2\n');
    fs.writeFileSync(path.join(a, 'data/processed/run/image.bin'), crypto.randomBytes(64 * 1024));
    fs.writeFileSync(path.join(a, 'data/processed/run/empty.csv'), '');
    await sync(a, 'push', branch);
    const again = await sync(a, 'push', branch);
    expect(again.plan.items.every((i) => i.kind === 'skip')).toBe(true);

    const b = workingCopy();
    const pulled = await sync(b, 'pull', branch);
    expect(pulled.plan.items.filter((i) => i.kind === 'download')).toHaveLength(3);
    expect(fs.readFileSync(path.join(b, 'data/processed/run/image.bin'))).toEqual(fs.readFileSync(path.join(a, 'data/processed/run/image.bin')));

    fs.writeFileSync(path.join(a, 'data/processed/run/table.csv'), 'a,b\n1,3\n');
    await sync(a, 'push', branch);
    fs.writeFileSync(path.join(b, 'data/processed/run/table.csv'), 'a,b\n9,9\n');
    await expect(sync(b, 'push', branch)).rejects.toBeInstanceOf(ConflictError);
  }, 300_000);
});
