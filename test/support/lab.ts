// A throwaway lab project for end-to-end tests (changesets' testdir): in one temp folder, a
// bare git "origin" and three working copies of a Cookiecutter-style lab project — a
// maintainer (mia) and two analysts (ana, ben) — whose Justfile imports this repository's
// strata.just and whose strata.yaml points at a remote: a plain folder (file://) or a fresh
// bucket on the test S3 server. Recipes run as real `just` processes, as a person would.
//
//   describe.each(REMOTE_KINDS)('%s remote', (kind) => {
//     const lab = useLab(kind);            // a fresh lab per test, removed after it
//     it('…', async () => {
//       const { mia, remote } = lab();
//       mia.write('data/external/plate-map.csv', 'well\nA01\n');
//       assertOk(await mia.just('put-inputs'));
//       expect(await remote.layer('main', 'external')).toEqual(hashed({ 'plate-map.csv': 'well\nA01\n' }));
//     });
//   });
//
// Faults for failure scenarios: remote.blockWrite(key, branch) makes the upload of one file
// fail on either kind (a folder in the file's place; an S3 bucket policy denying that key).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, inject } from 'vitest';
import { childEnv } from './env.js';
import { fileRemote, s3Remote, type ObjectRemote } from './remote.js';
import { run, type RunResult } from './run.js';
import { WorkingCopy, writeProject } from './working-copy.js';

export const RCLONE = '/usr/bin/rclone';

/** The remotes every scenario runs against. */
export const REMOTE_KINDS = ['file', 's3'] as const;
export type LabRemoteKind = (typeof REMOTE_KINDS)[number];

export class Lab {
  readonly mia: WorkingCopy;
  readonly ana: WorkingCopy;
  readonly ben: WorkingCopy;
  readonly origin: string;

  constructor(
    readonly root: string,
    readonly remote: ObjectRemote,
  ) {
    this.origin = path.join(root, 'origin.git');
    this.mia = new WorkingCopy(path.join(root, 'mia'), remote, 'mia', 'maintainer');
    this.ana = new WorkingCopy(path.join(root, 'ana'), remote, 'ana', 'analyst');
    this.ben = new WorkingCopy(path.join(root, 'ben'), remote, 'ben', 'analyst');
  }

  /** rclone ARGS… with no config file and no inherited AWS settings. */
  rclone(...args: string[]): Promise<RunResult> {
    // Absent: on-the-fly remotes only.
    return run(RCLONE, args, { cwd: this.root, env: childEnv({ RCLONE_CONFIG: path.join(this.root, 'rclone.conf') }) });
  }

  async cleanup(): Promise<void> {
    try {
      await this.remote.cleanup();
    } finally {
      fs.rmSync(this.root, { recursive: true, force: true });
    }
  }
}

/**
 * createLab builds the project: origin.git (bare), mia's working copy with the project files
 * committed and pushed on main, then ana's and ben's clones. On S3 a bucket per lab, PREFIX
 * projects/cell-paint/datastore, as the lab's buckets are laid out.
 */
export async function createLab(kind: LabRemoteKind, s3 = kind === 's3' ? inject('s3') : undefined): Promise<Lab> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-e2e-'));
  let remote: ObjectRemote;
  try {
    remote = kind === 's3' ? await s3Remote(s3!) : fileRemote(path.join(root, 'lab-share', 'projects', 'cell-paint', 'datastore'));
  } catch (e) {
    fs.rmSync(root, { recursive: true, force: true });
    throw e;
  }
  const lab = new Lab(root, remote);
  try {
    const { mia, ana, ben } = lab;
    mia.git('init', '-q', '--bare', '-b', 'main', lab.origin);
    mia.git('clone', '-q', lab.origin, '.');
    mia.git('checkout', '-q', '-B', 'main');
    writeProject(mia);
    mia.write('README.md', '# Cell painting project\n');
    mia.git('add', '-A');
    mia.git('commit', '-q', '-m', 'New lab project');
    mia.git('push', '-q', 'origin', 'main');
    for (const wc of [ana, ben]) wc.git('clone', '-q', lab.origin, '.');
  } catch (e) {
    await lab.cleanup().catch(() => {});
    throw e;
  }
  return lab;
}

/**
 * useLab registers hooks that build a fresh lab before each test of the enclosing describe
 * and remove it after (STRATA_E2E_KEEP=1 keeps the folder of a failed test); returns a getter.
 */
export function useLab(kind: LabRemoteKind): () => Lab {
  let lab: Lab | undefined;
  beforeEach(async () => {
    lab = await createLab(kind);
  });
  afterEach(async (ctx) => {
    const failed = ctx.task.result?.state === 'fail';
    if (lab && failed && process.env.STRATA_E2E_KEEP) {
      process.stderr.write(`[lab] kept ${lab.root} (remote ${lab.remote.url})\n`);
    } else await lab?.cleanup();
    lab = undefined;
  });
  return () => {
    if (!lab) throw new Error('useLab: no lab outside a test');
    return lab;
  };
}
