// The newcomer path (SPEC §9), end to end with the real tools:
// (a) a project rendered from templates/lab-project by the real `cookiecutter`, with Strata
//     installed by its one install step (`npm install`), syncing through its `just` recipes
//     against the Ceph S3 server — and, with `hf_repo` set, processed/ on the Hub emulator;
// (b) an existing project holding the lab's rclone recipes and a bucket prefix written by
//     Debian's rclone, switched by following docs/new-project.md's adoption block as written:
//     nothing is downloaded, nothing in the bucket changes;
// (c) the README's two commands from a fresh clone of this repository's committed HEAD.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createBucket } from '../support/ceph.js';
import {
  DOCUMENTED_SOURCE,
  NOTHING_MOVED,
  STRATA_ROOT,
  bucketListing,
  documentedBlock,
  git,
  npxJust,
  projectEnv,
  s3Env,
  npmInstall as installStep,
  step as documentedStep,
  withoutStrataRecords,
  write,
} from '../support/lab-project.js';
import { assertOk, run, type RunResult } from '../support/run.js';
import { sha256, tree } from '../support/tree.js';

const TEMPLATE = path.join(STRATA_ROOT, 'templates', 'lab-project');
const RCLONE_JUSTFILE = path.join(STRATA_ROOT, 'test', 'fixtures', 'rclone-lab', 'Justfile');
const COOKIECUTTER = '/usr/bin/cookiecutter';
const RCLONE = '/usr/bin/rclone';

// ─── helpers ────────────────────────────────────────────────────────────────────────────

/** key → sha256 of every file under dir/rel (recursive), .gitkeep left out. */
function localFiles(dir: string, rel: string): Record<string, string> {
  return tree(path.join(dir, ...rel.split('/')), { withTemp: true });
}

const tempRoots: string[] = [];
function tempRoot(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-${tag}-`));
  tempRoots.push(dir);
  return dir;
}
afterAll(() => {
  if (process.env.STRATA_E2E_KEEP) return;
  for (const dir of tempRoots) fs.rmSync(dir, { recursive: true, force: true });
});

/** Timings for the run's log (what a newcomer waits for). */
const timings: string[] = [];
afterAll(() => {
  if (timings.length) console.log(`[template.test] timings:\n  ${timings.join('\n  ')}`);
});

/** renders templates/lab-project with the real cookiecutter into root; returns the project folder. */
async function render(root: string, vars: Record<string, string>): Promise<string> {
  const args = ['--no-input', '-o', root, TEMPLATE, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
  const r = assertOk(await run(COOKIECUTTER, args, { cwd: root, env: projectEnv() }), 'cookiecutter');
  timings.push(`cookiecutter render: ${r.ms} ms`);
  return path.join(root, vars.project_slug);
}

/** The one install step, as documented, timed for the log. */
async function npmInstall(dir: string, what: string): Promise<void> {
  timings.push(`${what}: npm install ${(await installStep(dir, what)).ms} ms`);
}

// ─── (a) the template ───────────────────────────────────────────────────────────────────

describe('templates/lab-project rendered by cookiecutter', () => {
  it('renders the layer folders, .gitignore, .env.example, strata.yaml, package.json and Justfile', async () => {
    const root = tempRoot('tpl-render');
    const proj = await render(root, { project_name: 'Cell Paint QC', project_slug: 'cp-qc', s3_remote: 's3://lab-bucket/projects/cp-qc/datastore', strata_source: STRATA_ROOT });
    for (const d of ['external', 'raw', 'raw/profiles', 'interim', 'processed']) expect(fs.existsSync(path.join(proj, 'data', d, '.gitkeep')), d).toBe(true);
    const yaml = fs.readFileSync(path.join(proj, 'strata.yaml'), 'utf8');
    expect(yaml).toMatch(/^remote: s3:\/\/lab-bucket\/projects\/cp-qc\/datastore$/m);
    expect(yaml).not.toMatch(/^hub:/m);
    expect(yaml).toMatch(/^main_branch: main$/m);
    const pkg = JSON.parse(fs.readFileSync(path.join(proj, 'package.json'), 'utf8'));
    expect(pkg.devDependencies).toEqual({ 'rust-just': expect.any(String), strata: `file:${STRATA_ROOT}` });
    expect(fs.readFileSync(path.join(proj, 'Justfile'), 'utf8')).toContain("import? 'node_modules/strata/strata.just'");
    const envExample = fs.readFileSync(path.join(proj, '.env.example'), 'utf8');
    for (const key of ['AWS_PROFILE', 'HF_TOKEN', 'STRATA_ROLE']) expect(envExample).toMatch(new RegExp(`^# ${key}=`, 'm'));

    // git keeps the folders but no data, nor Strata's or npm's files.
    await git(proj, 'init', '-q', '-b', 'main');
    write(proj, 'data/raw/profiles/plate-1/profiles.csv', 'well\nA01\n');
    write(proj, 'data/_recycle/20250101-000000/processed/old.csv', 'x\n');
    write(proj, '.strata/state/x.json', '{}');
    write(proj, '.env', 'AWS_PROFILE=lab\n');
    write(proj, 'node_modules/x/index.js', '');
    await git(proj, 'add', '-A');
    const tracked = (await git(proj, 'ls-files')).split('\n').sort();
    expect(tracked).toEqual(
      ['.env.example', '.gitignore', 'Justfile', 'README.md', 'data/external/.gitkeep', 'data/interim/.gitkeep', 'data/processed/.gitkeep', 'data/raw/.gitkeep', 'data/raw/profiles/.gitkeep', 'package.json', 'strata.yaml'].sort(),
    );

    // Before the install step the menu still works, and says what is missing.
    const before = assertOk(await run(path.join(STRATA_ROOT, 'node_modules', '.bin', 'just'), [], { cwd: proj, env: projectEnv() }), 'just before npm install');
    expect(before.stdout).toMatch(/Strata is not installed.*npm install/);
    expect(before.stdout).toMatch(/setup/);
    expect(before.stdout).not.toMatch(/get-inputs/);
  });

  it('with hf_repo, strata.yaml names the Hub dataset', async () => {
    const root = tempRoot('tpl-render-hub');
    const proj = await render(root, { project_slug: 'cp-hub', s3_remote: 's3://b/projects/cp-hub/datastore', hf_repo: 'lab/cp-hub', main_branch: 'trunk' });
    const yaml = fs.readFileSync(path.join(proj, 'strata.yaml'), 'utf8');
    expect(yaml).toMatch(/^hub: hf:\/\/datasets\/lab\/cp-hub$/m);
    expect(yaml).toMatch(/^main_branch: trunk$/m);
    expect(JSON.parse(fs.readFileSync(path.join(proj, 'package.json'), 'utf8')).devDependencies.strata).toBe(DOCUMENTED_SOURCE);
  });

  /**
   * A lab of two: the maintainer renders and installs the project, publishes inputs; an
   * analyst clones, runs the one install step, pulls, pushes results from a branch; the
   * maintainer reads them. With `hub`, processed/ must land on the Hub, not on S3.
   */
  async function labDay(opts: { hub: boolean }) {
    const s3 = inject('s3');
    const hubServer = inject('hub');
    const id = randomBytes(4).toString('hex');
    const slug = `cp-${id}`;
    const bucket = `tpl-${id}`;
    const prefix = `projects/${slug}/datastore`;
    await createBucket(s3, bucket);
    const root = tempRoot('tpl-day');
    const vars: Record<string, string> = { project_slug: slug, s3_remote: `s3://${bucket}/${prefix}`, strata_source: STRATA_ROOT };
    if (opts.hub) vars.hf_repo = `lab/${slug}`;
    const mia = await render(root, vars);
    const env = { ...s3Env(s3), ...(opts.hub ? { HF_ENDPOINT: hubServer.url, HF_TOKEN: hubServer.token } : {}) };
    const maintainer = { ...env, STRATA_ROLE: 'maintainer', STRATA_USER: 'mia' };
    const analyst = { ...env, STRATA_USER: 'ana' };

    const origin = path.join(root, 'origin.git');
    await git(root, 'init', '-q', '--bare', '-b', 'main', origin);
    await git(mia, 'init', '-q', '-b', 'main');
    await npmInstall(mia, `maintainer (${opts.hub ? 'hub' : 's3'})`);
    expect(fs.realpathSync(path.join(mia, 'node_modules', 'strata'))).toBe(fs.realpathSync(STRATA_ROOT));
    await git(mia, 'add', '-A');
    await git(mia, 'commit', '-q', '-m', 'New lab project');
    await git(mia, 'remote', 'add', 'origin', origin);
    await git(mia, 'push', '-q', '-u', 'origin', 'main');
    expect((await git(mia, 'ls-files')).split('\n')).toContain('package-lock.json');

    const inputs = {
      'external/plate-map.csv': 'well,compound\nA01,DMSO\nA02,taxol\n',
      'raw/profiles/plate-1/profiles.csv': 'well,f1,f2\nA01,0.1,0.2\n',
      'raw/profiles/plate-2/profiles.bin': randomBytes(300_000),
    };
    for (const [k, v] of Object.entries(inputs)) write(mia, `data/${k}`, v);
    write(mia, 'data/raw/images/plate-1/A01.tif', randomBytes(1000)); // raw images are never synced
    assertOk(await npxJust(mia, maintainer, 'put-inputs'), 'mia: just put-inputs');
    const afterInputs = await bucketListing(s3, bucket, prefix);
    expect(Object.keys(withoutStrataRecords(afterInputs)).sort()).toEqual(['external/plate-map.csv', 'profiles/plate-1/profiles.csv', 'profiles/plate-2/profiles.bin']);

    // main's results, published by the maintainer.
    write(mia, 'data/processed/baseline/summary.csv', 'plate,cells\nplate-1,1000\n');
    assertOk(await npxJust(mia, maintainer, 'put-results'), 'mia: just put-results (main)');

    // The analyst: clone + the one install step, then the daily recipes.
    const ana = path.join(root, 'ana');
    await git(root, 'clone', '-q', origin, ana);
    await npmInstall(ana, `analyst (${opts.hub ? 'hub' : 's3'})`);
    assertOk(await npxJust(ana, analyst, 'get-inputs'), 'ana: just get-inputs');
    expect(localFiles(ana, 'data/external')).toEqual(localFiles(mia, 'data/external'));
    expect(localFiles(ana, 'data/raw/profiles')).toEqual(localFiles(mia, 'data/raw/profiles'));
    expect(fs.existsSync(path.join(ana, 'data/raw/images'))).toBe(false);
    assertOk(await npxJust(ana, analyst, 'get-results'), 'ana: just get-results');
    expect(localFiles(ana, 'data/processed')).toEqual(localFiles(mia, 'data/processed'));

    await git(ana, 'switch', '-q', '-c', 'qc');
    write(ana, 'data/processed/qc/summary.csv', 'plate,cells\nplate-1,1200\n');
    assertOk(await npxJust(ana, analyst, 'put-results'), 'ana: just put-results (branch qc)');
    const again = assertOk(await npxJust(ana, analyst, 'get-results'), 'ana: just get-results again');
    expect(again.stdout).toMatch(NOTHING_MOVED);
    // The clone's git status: data never shows up, nor Strata's records.
    expect(await git(ana, 'status', '--porcelain')).toBe('');
    await git(ana, 'push', '-q', 'origin', 'qc');

    // The maintainer reads the analyst's branch.
    await git(mia, 'fetch', '-q', 'origin');
    await git(mia, 'switch', '-q', 'qc');
    assertOk(await npxJust(mia, maintainer, 'get-results'), 'mia: just get-results on qc');
    expect(localFiles(mia, 'data/processed')).toEqual(localFiles(ana, 'data/processed'));
    expect(Object.keys(localFiles(mia, 'data/processed'))).toEqual(['baseline/summary.csv', 'qc/summary.csv']);

    const log = assertOk(await npxJust(ana, analyst, 'log'), 'ana: just log');
    return { s3, hubServer, bucket, prefix, slug, ana, mia, log, listing: await bucketListing(s3, bucket, prefix) };
  }

  it('one install step, then put-inputs / get-inputs / put-results / get-results against S3', async () => {
    const { listing, log, ana } = await labDay({ hub: false });
    const data = Object.keys(withoutStrataRecords(listing)).sort();
    expect(data).toEqual([
      'branches/qc/processed/baseline/summary.csv',
      'branches/qc/processed/qc/summary.csv',
      'external/plate-map.csv',
      'processed/baseline/summary.csv',
      'profiles/plate-1/profiles.csv',
      'profiles/plate-2/profiles.bin',
    ]);
    // The journal names the analyst's push and its git commit.
    const head = (await git(ana, 'rev-parse', 'HEAD')).slice(0, 8);
    expect(log.stdout).toMatch(new RegExp(`ana@\\S+\\s+git ${head} \\(qc\\)\\s+put-results`));
  });

  it('with hf_repo: processed/ goes to the Hub dataset (branch qc), the rest to S3', async () => {
    const { listing, log, hubServer, slug } = await labDay({ hub: true });
    // Nothing of processed/ on S3.
    expect(Object.keys(withoutStrataRecords(listing)).sort()).toEqual(['external/plate-map.csv', 'profiles/plate-1/profiles.csv', 'profiles/plate-2/profiles.bin']);
    // On the Hub: main has the maintainer's results, branch qc the analyst's on top.
    const api = async (p: string) => {
      const res = await fetch(`${hubServer.url}/api/datasets/lab/${slug}${p}`, { headers: { authorization: `Bearer ${hubServer.token}` } });
      expect(res.status, p).toBe(200);
      return res.json() as Promise<unknown>;
    };
    const tree = async (rev: string) =>
      ((await api(`/tree/${rev}/processed?recursive=true`)) as { type: string; path: string }[])
        .filter((e) => e.type === 'file')
        .map((e) => e.path)
        .sort();
    expect(await tree('main')).toEqual(['processed/baseline/summary.csv']);
    expect(await tree('qc')).toEqual(['processed/baseline/summary.csv', 'processed/qc/summary.csv']);
    // `just log` shows the Hub commit that holds the analyst's push.
    const qcHead = ((await api('/revision/qc')) as { sha: string }).sha;
    expect(log.stdout).toContain(qcHead.slice(0, 8));
  });
});

// ─── (b) adopting Strata in an rclone project ───────────────────────────────────────────

/** The commands of the block docs/new-project.md marks `<!-- test:adopt`, one per line. */
const documentedAdoptSteps = () => documentedBlock('docs/new-project.md', 'test:adopt');

/**
 * rcloneProject builds a project as it is before Strata: the lab's rclone Justfile (for a
 * fresh bucket), committed to a bare origin; the maintainer (mia) published inputs and
 * results with the rclone recipes; the analyst (ana) pulled them with the rclone recipes.
 */
async function rcloneProject() {
  const s3 = inject('s3');
  const id = randomBytes(4).toString('hex');
  const bucket = `adopt-${id}`;
  const prefix = 'projects/cell-paint/datastore';
  await createBucket(s3, bucket);
  const root = tempRoot('adopt');

  // The lab's rclone remote `s3:` (as each person's rclone.conf has it), here defined by
  // environment variables and pointed at the test server; AWS_CA_BUNDLE and any rclone.conf
  // are out of the way. Uploads use 5 MiB parts above 1 MiB, so big files are multipart.
  const rcloneEnv = {
    RCLONE_CONFIG: path.join(root, 'no-rclone.conf'),
    RCLONE_CONFIG_S3_TYPE: 's3',
    RCLONE_CONFIG_S3_PROVIDER: 'Other',
    RCLONE_CONFIG_S3_ENV_AUTH: 'false',
    RCLONE_CONFIG_S3_ACCESS_KEY_ID: s3.accessKeyId,
    RCLONE_CONFIG_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    RCLONE_CONFIG_S3_ENDPOINT: s3.endpoint,
    RCLONE_CONFIG_S3_REGION: s3.region,
    RCLONE_CONFIG_S3_FORCE_PATH_STYLE: 'true',
    RCLONE_S3_UPLOAD_CUTOFF: '1M',
    RCLONE_S3_CHUNK_SIZE: '5M',
  };
  const rcloneVersion = assertOk(await run(RCLONE, ['version'], { cwd: root, env: projectEnv() }), 'rclone version');
  expect(rcloneVersion.stdout).toMatch(/^rclone v1\./);
  // Debian's rclone (/usr/bin) must be the one the old recipes run.
  const pathEnv = { PATH: `/usr/bin:${process.env.PATH ?? ''}` };
  const justBin = path.join(STRATA_ROOT, 'node_modules', '.bin', 'just');
  const oldJust = (dir: string, ...args: string[]) => run(justBin, args, { cwd: dir, env: projectEnv({ ...rcloneEnv, ...pathEnv }), timeoutMs: 180_000 });

  // The project as it is today: the old Justfile (for this bucket), layer folders, git.
  const origin = path.join(root, 'origin.git');
  await git(root, 'init', '-q', '--bare', '-b', 'main', origin);
  const mia = path.join(root, 'mia');
  fs.mkdirSync(mia);
  await git(mia, 'init', '-q', '-b', 'main');
  const oldJustfile = fs.readFileSync(RCLONE_JUSTFILE, 'utf8').replace('S3_BUCKET := "lab-bucket"', `S3_BUCKET := "${bucket}"`);
  expect(oldJustfile).toContain(bucket);
  write(mia, 'Justfile', oldJustfile);
  write(mia, '.gitignore', 'data/**\n!data/**/\n!data/**/.gitkeep\n.env\n');
  for (const d of ['external', 'raw/profiles', 'interim', 'processed']) write(mia, `data/${d}/.gitkeep`, '');
  await git(mia, 'add', '-A');
  await git(mia, 'commit', '-q', '-m', 'Lab project (rclone recipes)');
  await git(mia, 'remote', 'add', 'origin', origin);
  await git(mia, 'push', '-q', '-u', 'origin', 'main');

  // The maintainer published inputs and results with the rclone recipes.
  const data: Record<string, Buffer> = {
    'external/plate-map.csv': Buffer.from('well,compound\nA01,DMSO\nA02,taxol\n'),
    'external/compounds/library.tsv': Buffer.from('id\tname\nC1\tDMSO\n'),
    'raw/profiles/plate-1/profiles.parquet': randomBytes(12 * 1024 * 1024), // 3 parts of 5 MiB
    'raw/profiles/plate-2/profiles.csv': Buffer.from('well,f1\nA01,0.5\n'),
    'interim/normalized/plate-1.parquet': randomBytes(2 * 1024 * 1024), // multipart, 1 part
    'processed/run-1/summary.csv': Buffer.from('plate,cells\nplate-1,1000\n'),
    'processed/run-1/figure.png': randomBytes(200_000),
    'processed/run-2/notes.txt': Buffer.from('second run\n'),
  };
  for (const [k, v] of Object.entries(data)) write(mia, `data/${k}`, v);
  assertOk(await oldJust(mia, 'put-inputs'), 'mia: old just put-inputs (rclone)');
  assertOk(await oldJust(mia, 'put-results'), 'mia: old just put-results (rclone)');
  const rcloneWritten = await bucketListing(s3, bucket, prefix);
  expect(rcloneWritten['profiles/plate-1/profiles.parquet']).toMatch(/-3$/);
  expect(rcloneWritten['interim/normalized/plate-1.parquet']).toMatch(/-1$/);
  expect(rcloneWritten['external/plate-map.csv']).toMatch(/^[0-9a-f]{32}$/);

  // An analyst's working copy, synced by the rclone recipes.
  const ana = path.join(root, 'ana');
  await git(root, 'clone', '-q', origin, ana);
  assertOk(await oldJust(ana, 'get-inputs'), 'ana: old just get-inputs (rclone)');
  assertOk(await oldJust(ana, 'get-results'), 'ana: old just get-results (rclone)');
  const layers = (dir: string) => ({
    external: localFiles(dir, 'data/external'),
    profiles: localFiles(dir, 'data/raw/profiles'),
    interim: localFiles(dir, 'data/interim'),
    processed: localFiles(dir, 'data/processed'),
  });
  const expected = (p: string) =>
    Object.fromEntries(
      Object.entries(data)
        .filter(([k]) => k.startsWith(p + '/'))
        .map(([k, v]) => [k.slice(p.length + 1), sha256(v)])
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  const before = layers(ana);
  expect(before).toEqual({ external: expected('external'), profiles: expected('raw/profiles'), interim: expected('interim'), processed: expected('processed') });
  expect(layers(mia)).toEqual(before);
  return { s3, bucket, prefix, root, mia, ana, oldJustfile, rcloneWritten, before, layers, recycleBefore: localFiles(ana, 'data/_recycle') };
}

/** .env with the S3 settings (and more), as a lab member writes it from .env.example. */
function writeDotenv(dir: string, values: Record<string, string>): void {
  write(dir, '.env', Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join(''));
}

/** Runs one documented shell line in dir, with this checkout as the Strata source, timed for the log. */
async function step(dir: string, line: string, env: Record<string, string> = {}): Promise<RunResult> {
  const r = await documentedStep(dir, line, env);
  timings.push(`adopt step "${r.command.replace(/^bash -c /, '')}": ${r.ms} ms`);
  return r;
}

const PUSHED_NOTHING = /Summary: up 0 \(0 B\), down 0 \(0 B\), copied 0, deleted 0\b/;

describe('adopting Strata in a project with the lab rclone recipes', () => {
  it('follows docs/new-project.md: the first get-inputs / get-results download nothing, the bucket is untouched', async () => {
    const { s3, bucket, prefix, mia, ana, oldJustfile, rcloneWritten, before, layers, recycleBefore } = await rcloneProject();

    // The switch, as the docs say: .env with the credentials (rclone.conf had the endpoint),
    // then the documented block as written, with this checkout as the Strata source.
    writeDotenv(ana, s3Env(s3));
    const steps = documentedAdoptSteps();
    expect(steps.some((s) => s.includes(DOCUMENTED_SOURCE))).toBe(true);
    const outputs = new Map<string, RunResult>();
    for (const line of steps) outputs.set(line, await step(ana, line, { STRATA_USER: 'ana' }));
    const out = (start: string) => [...outputs].find(([s]) => s.startsWith(start))![1];

    // The adopt script found the bucket prefix through the rclone remote and kept the old Justfile.
    expect(fs.readFileSync(path.join(ana, 'strata.yaml'), 'utf8')).toMatch(new RegExp(`^remote: s3://${bucket}/${prefix}$`, 'm'));
    expect(fs.readFileSync(path.join(ana, 'Justfile.rclone'), 'utf8')).toBe(oldJustfile);
    const summary = assertOk(await run('npx', ['--no-install', 'just', '--summary'], { cwd: ana, env: projectEnv() }), 'just --summary').stdout.split(/\s+/);
    for (const r of ['run', 'dry', 'list-s3', 'get-inputs', 'get-results', 'put-results', 'put-inputs', 'put-interim', 'status', 'log']) expect(summary, r).toContain(r);

    // status: every layer would download nothing. get-inputs and get-results: down 0.
    const status = out('npx just status').stdout;
    expect(status.match(/get would: down 0 \(0 B\), recycled 0, unchanged \d+/g)).toHaveLength(4);
    expect(status).not.toMatch(/UNSHARED/);
    expect(out('npx just get-inputs').stdout).toMatch(NOTHING_MOVED);
    expect(out('npx just get-results').stdout).toMatch(NOTHING_MOVED);

    // The files are intact, nothing went to the recycle folder, the bucket's data is as rclone left it.
    expect(layers(ana)).toEqual(before);
    expect(localFiles(ana, 'data/_recycle')).toEqual(recycleBefore);
    expect(withoutStrataRecords(await bucketListing(s3, bucket, prefix))).toEqual(rcloneWritten);

    // A second pull is a no-op too, now from the recorded state.
    expect(assertOk(await npxJust(ana, { STRATA_USER: 'ana' }, 'get-inputs'), 'ana: get-inputs again').stdout).toMatch(NOTHING_MOVED);

    // The analyst commits the switch; the maintainer pulls it, installs, and pushes: nothing to upload or delete.
    expect(await git(ana, 'status', '--porcelain')).toMatch(/strata\.yaml/);
    await git(ana, 'add', '-A');
    await git(ana, 'commit', '-q', '-m', 'Data recipes: Strata');
    const files = (await git(ana, 'show', '--name-only', '--format=', 'HEAD')).split('\n').sort();
    expect(files).toEqual(['.gitignore', 'Justfile', 'Justfile.rclone', 'package-lock.json', 'package.json', 'strata.yaml']);
    await git(ana, 'push', '-q', 'origin', 'main');
    await git(mia, 'pull', '-q', 'origin', 'main');
    await npmInstall(mia, 'maintainer after the switch');
    // The install step leaves the clone clean (package-lock.json is the same in every clone).
    expect(await git(mia, 'status', '--porcelain')).toBe('');
    writeDotenv(mia, { ...s3Env(s3), STRATA_ROLE: 'maintainer' });
    const push = assertOk(await npxJust(mia, { STRATA_USER: 'mia' }, 'put-inputs'), 'mia: put-inputs after the switch');
    expect(push.stdout).toMatch(PUSHED_NOTHING);
    expect(push.stdout).not.toMatch(/\+dirty/);
    const interim = assertOk(await npxJust(mia, { STRATA_USER: 'mia' }, 'put-interim'), 'mia: put-interim after the switch');
    expect(interim.stdout).toMatch(PUSHED_NOTHING);
    expect(withoutStrataRecords(await bucketListing(s3, bucket, prefix))).toEqual(rcloneWritten);
    expect(layers(mia)).toEqual(before);
  });

  it('with --hub: the maintainer publishes processed/ to the Hub once; the analyst then downloads nothing', async () => {
    const { s3, bucket, prefix, mia, ana, rcloneWritten, before, layers } = await rcloneProject();
    const hub = inject('hub');
    const repo = `lab/${path.basename(bucket)}`;
    const hubEnv = { HF_ENDPOINT: hub.url, HF_TOKEN: hub.token };

    // The maintainer switches (docs: install, adopt with --hub, then publish main's processed/ once).
    writeDotenv(mia, { ...s3Env(s3), ...hubEnv, STRATA_ROLE: 'maintainer' });
    const [makePackage, install] = documentedAdoptSteps();
    await step(mia, makePackage);
    await step(mia, install);
    await step(mia, `node node_modules/strata/templates/adopt/adopt.mjs --hub hf://datasets/${repo}`);
    expect(fs.readFileSync(path.join(mia, 'strata.yaml'), 'utf8')).toMatch(new RegExp(`^hub: hf://datasets/${repo}$`, 'm'));
    const publish = assertOk(await npxJust(mia, { STRATA_USER: 'mia' }, 'put-results'), 'mia: put-results (main, to the Hub)');
    expect(publish.stdout).toMatch(/Summary: up 3 /);
    // S3 is untouched: processed/ there stays as rclone left it (a backup).
    expect(withoutStrataRecords(await bucketListing(s3, bucket, prefix))).toEqual(rcloneWritten);
    const res = await fetch(`${hub.url}/api/datasets/${repo}/tree/main/processed?recursive=true`, { headers: { authorization: `Bearer ${hub.token}` } });
    expect(res.status).toBe(200);
    const onHub = ((await res.json()) as { type: string; path: string }[]).filter((e) => e.type === 'file').map((e) => e.path).sort();
    expect(onHub).toEqual(['processed/run-1/figure.png', 'processed/run-1/summary.csv', 'processed/run-2/notes.txt']);
    await git(mia, 'add', '-A');
    await git(mia, 'commit', '-q', '-m', 'Data recipes: Strata (processed/ on the Hub)');
    await git(mia, 'push', '-q', 'origin', 'main');

    // The analyst pulls the switch: one install step, and nothing to download.
    await git(ana, 'pull', '-q', 'origin', 'main');
    await npmInstall(ana, 'analyst after the switch (hub)');
    writeDotenv(ana, { ...s3Env(s3), ...hubEnv });
    expect(assertOk(await npxJust(ana, { STRATA_USER: 'ana' }, 'get-inputs'), 'ana: get-inputs').stdout).toMatch(NOTHING_MOVED);
    expect(assertOk(await npxJust(ana, { STRATA_USER: 'ana' }, 'get-results'), 'ana: get-results (processed/ from the Hub)').stdout).toMatch(NOTHING_MOVED);
    expect(layers(ana)).toEqual(before);
  });
});

describe('templates/adopt/adopt.mjs on unusual Justfiles', () => {
  /** A git project holding `justfile`, with Strata "installed" (node_modules/strata → this checkout). */
  async function project(justfile: string): Promise<string> {
    const dir = path.join(tempRoot('adopt-unit'), 'proj');
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    fs.symlinkSync(STRATA_ROOT, path.join(dir, 'node_modules', 'strata'));
    await git(dir, 'init', '-q', '-b', 'main');
    write(dir, 'Justfile', justfile);
    return dir;
  }
  const adopt = (dir: string, ...args: string[]) =>
    run('node', [path.join(dir, 'node_modules', 'strata', 'templates', 'adopt', 'adopt.mjs'), ...args], { cwd: dir, env: projectEnv() });
  const unchanged = (dir: string, justfile: string) => {
    expect(fs.readFileSync(path.join(dir, 'Justfile'), 'utf8')).toBe(justfile);
    expect(fs.existsSync(path.join(dir, 'Justfile.rclone'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'strata.yaml'))).toBe(false);
  };

  it('removes exactly the recipes and aliases Strata provides, with their comments and attributes', async () => {
    const justfile = [
      'set positional-arguments',
      '',
      'DATA := "s3://lab-bucket/projects/cp/datastore"',
      '',
      '# Pull inputs',
      "[group('data')]",
      'get-inputs:',
      '    rclone sync {{DATA}}/external data/external',
      '',
      'alias gi := get-inputs',
      'alias log := history',
      '',
      '# Pipeline status (Snakemake), named like a Strata recipe',
      '@status:',
      '    pixi run snakemake --summary',
      '',
      '# A shebang recipe with a blank line inside',
      'report:',
      '    #!/usr/bin/env bash',
      '    echo one',
      '',
      '    echo two',
      '',
      'history:',
      '    git log --oneline',
      '',
      'put-results-for run_path:',
      '    rclone copy data/processed/{{run_path}} {{DATA}}/processed/{{run_path}}',
      '',
    ].join('\n');
    const dir = await project(justfile);
    const r = assertOk(await adopt(dir), 'adopt');
    expect(r.stdout).toContain('from the Justfile\'s DATA: s3://lab-bucket/projects/cp/datastore');
    expect(r.stdout).toMatch(/replaced by Strata's: get-inputs, alias log, status, put-results-for/);
    const after = fs.readFileSync(path.join(dir, 'Justfile'), 'utf8');
    expect(after).toBe(
      [
        'set positional-arguments',
        '',
        "# The data recipes (get-inputs, get-results, put-results, …) come from Strata: `npm install`.",
        "import? 'node_modules/strata/strata.just'",
        '',
        'DATA := "s3://lab-bucket/projects/cp/datastore"',
        '',
        'alias gi := get-inputs',
        '',
        '# A shebang recipe with a blank line inside',
        'report:',
        '    #!/usr/bin/env bash',
        '    echo one',
        '',
        '    echo two',
        '',
        'history:',
        '    git log --oneline',
        '',
      ].join('\n'),
    );
    expect(fs.readFileSync(path.join(dir, 'Justfile.rclone'), 'utf8')).toBe(justfile);
    expect(fs.readFileSync(path.join(dir, 'strata.yaml'), 'utf8')).toMatch(/^remote: s3:\/\/lab-bucket\/projects\/cp\/datastore$/m);
    const report = assertOk(await run(path.join(STRATA_ROOT, 'node_modules', '.bin', 'just'), ['report'], { cwd: dir, env: projectEnv() }), 'just report');
    expect(report.stdout).toBe('one\ntwo\n');
  });

  it('writes nothing with --dry-run, with two unrelated prefixes, or when Justfile.rclone exists', async () => {
    const one = 'REMOTE := "s3:lab-bucket/projects/cp/datastore"\n\nget-inputs:\n    rclone sync {{REMOTE}}/external data/external\n';
    let dir = await project(one);
    const dry = assertOk(await adopt(dir, '--dry-run'), 'adopt --dry-run');
    expect(dry.stdout).toMatch(/nothing written/);
    unchanged(dir, one);

    const two = 'A := "s3://bucket-a/projects/x/datastore"\nB := "s3://bucket-b/projects/y/datastore"\n\nget-inputs:\n    rclone sync {{A}} data\n';
    dir = await project(two);
    const several = await adopt(dir);
    expect(several.exitCode).toBe(2);
    expect(several.stderr).toMatch(/several S3 prefixes.*--remote/);
    unchanged(dir, two);
    // …and --remote settles it.
    assertOk(await adopt(dir, '--remote', 's3://bucket-b/projects/y/datastore/'), 'adopt --remote');
    expect(fs.readFileSync(path.join(dir, 'strata.yaml'), 'utf8')).toMatch(/^remote: s3:\/\/bucket-b\/projects\/y\/datastore$/m);

    dir = await project(one);
    write(dir, 'Justfile.rclone', 'an older backup\n');
    const backup = await adopt(dir);
    expect(backup.exitCode).toBe(2);
    expect(backup.stderr).toMatch(/Justfile\.rclone exists/);
    expect(fs.readFileSync(path.join(dir, 'Justfile'), 'utf8')).toBe(one);
    expect(fs.readFileSync(path.join(dir, 'Justfile.rclone'), 'utf8')).toBe('an older backup\n');
  });

  it('puts the old Justfile back when the new one would not work', async () => {
    // strata.just defines strata_cmd too: the merged Justfile would not parse.
    const clash = 'strata_cmd := "echo mine"\nREMOTE := "s3://lab-bucket/projects/cp/datastore"\n\nget-inputs:\n    rclone sync {{REMOTE}}/external data/external\n';
    const dir = await project(clash);
    const r = await adopt(dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/does not work.*old one is back/s);
    unchanged(dir, clash);
    expect(fs.existsSync(path.join(dir, '.gitignore'))).toBe(false);
  });
});

// ─── (c) the README's two commands, from a fresh clone ──────────────────────────────────

describe("README's two commands from a fresh clone", () => {
  it(
    'the install-and-demo command passes in a clean clone; the second command is what CI runs, and it installs what the tests need',
    async () => {
      const readme = fs.readFileSync(path.join(STRATA_ROOT, 'README.md'), 'utf8');
      const section = /## Two commands\n([\s\S]*?)\n## /.exec(readme);
      expect(section, 'README has a "Two commands" section').toBeTruthy();
      const commands = [...section![1].matchAll(/```sh\n([\s\S]*?)```/g)]
        .flatMap((m) => m[1]!.split('\n'))
        .map((l) => l.replace(/#.*$/, '').trim())
        .filter(Boolean);
      // The first installs and runs the demo; the second installs what the tests need and runs them.
      expect(commands).toHaveLength(2);
      expect(commands[0]).toMatch(/^npm (ci|install) && npx just demo$/);
      expect(commands[1]).toBe('npm ci && npx just ready');

      // The second would run this very suite again: check what it runs instead. `just ready`
      // installs the Debian packages, then runs npm test (vitest); CI runs the same command.
      const pkg = JSON.parse(fs.readFileSync(path.join(STRATA_ROOT, 'package.json'), 'utf8'));
      expect(pkg.scripts.test).toMatch(/\bvitest run\b/);
      const justfile = fs.readFileSync(path.join(STRATA_ROOT, 'Justfile'), 'utf8');
      expect(/^ready:\n((?: {4}.*\n)+)/m.exec(justfile)?.[1]).toMatch(/bash \.ci\/install-deps\.sh\n {4}npm test\n/);
      // CI runs the README's second command, word for word.
      const ci = fs.readFileSync(path.join(STRATA_ROOT, '.ci', 'run'), 'utf8');
      expect(ci.split('\n')).toContain(commands[1]);

      // A clone holds the committed HEAD (uncommitted work is not in it, as for any user).
      const root = tempRoot('readme');
      const clone = path.join(root, 'strata');
      await git(root, 'clone', '-q', STRATA_ROOT, clone);
      const r = await run('bash', ['-c', commands[0]], { cwd: clone, env: projectEnv(), timeoutMs: 1_500_000 });
      timings.push(`fresh clone: "${commands[0]}" ${r.ms} ms`);
      assertOk(r, commands[0]);
      const m = /(\d+) of (\d+) steps behaved as expected/.exec(r.stdout);
      expect(m, r.stdout.slice(-2000)).toBeTruthy();
      expect(m![1]).toBe(m![2]);
    },
    1_800_000,
  );
});

// ─── the package a git or registry install gets ─────────────────────────────────────────

describe('the installed package', () => {
  it('contains strata.just, the built scripts and the adopt step with what it reads (what `npm install <git url>` gets)', async () => {
    const r = assertOk(await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: STRATA_ROOT, env: projectEnv() }), 'npm pack --dry-run');
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    expect(files).toContain('dist/scripts/strata.js');
    for (const f of ['adopt.mjs', 'common.mjs', 'rclone.mjs', 'ccds.mjs']) expect(files).toContain(`templates/adopt/${f}`);
    // ccds.mjs copies the lab template's .env.example into a project.
    expect(files).toContain('templates/lab-project/{{cookiecutter.project_slug}}/.env.example');
    expect(files).toContain('strata.just');
  });
});
