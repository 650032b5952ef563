// A Cookiecutter Data Science project brought to Strata in one step, end to end with the
// real tools: the pinned `ccds` (.venv, from requirements-lab-tools.txt) makes the project,
// docs/new-project.md's block for it runs as written (npm install, the adopt script, a git
// commit), and a maintainer's pushes on main reach a second clone byte for byte through the
// Ceph S3 server. The adopt step is idempotent and --dry-run writes nothing.
//
// ccds clones its template from GitHub when it runs; the test machines reach package
// registries only, so ccds renders test/fixtures/ccds-template (what a ccds 2.3.0 project
// holds that Strata meets) unless STRATA_CCDS_TEMPLATE names the upstream template.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createBucket } from '../support/ceph.js';
import {
  NOTHING_MOVED,
  STRATA_ROOT,
  bucketListing,
  documentedBlock,
  git,
  npmInstall,
  npxJust,
  projectEnv,
  s3Env,
  step,
  withoutStrataRecords,
  write,
} from '../support/lab-project.js';
import { assertOk, run, type RunResult } from '../support/run.js';
import { removeTemps, tempDir } from '../support/scratch.js';
import { hashed, tree } from '../support/tree.js';

const CCDS = path.join(STRATA_ROOT, '.venv', 'bin', 'ccds');
const TEMPLATE = process.env.STRATA_CCDS_TEMPLATE || path.join(STRATA_ROOT, 'test', 'fixtures', 'ccds-template');
const ADOPT = 'node node_modules/strata/templates/adopt/adopt.mjs';

afterAll(() => {
  if (!process.env.STRATA_E2E_KEEP) removeTemps();
});
const timings: string[] = [];
afterAll(() => {
  if (timings.length) console.log(`[ccds.test] template ${TEMPLATE}; timings:\n  ${timings.join('\n  ')}`);
});

/**
 * ccds's answers for a project with S3 dataset storage: every question of ccds 2.3.0's own
 * ccds.json (its --no-input answers), but dataset_storage, a choice with sub-items that
 * key=value cannot give. ccds takes them as a replay file.
 */
function s3Answers(name: string, bucket: string) {
  return {
    cookiecutter: {
      project_name: name,
      repo_name: name,
      module_name: name.replace(/-/g, '_'),
      author_name: 'Lab',
      description: 'A lab project.',
      python_version_number: '3.10',
      dataset_storage: { s3: { bucket, aws_profile: 'lab' } },
      environment_manager: 'virtualenv',
      dependency_file: 'requirements.txt',
      pydata_packages: 'none',
      testing_framework: 'none',
      linting_and_formatting: 'ruff',
      open_source_license: 'No license file',
      docs: 'mkdocs',
      include_code_scaffold: 'Yes',
    },
  };
}

/** Makes a project with the real ccds in root (its own replay and template folders there); returns the project folder. */
async function ccds(root: string, name: string, opts: { s3Bucket?: string } = {}): Promise<string> {
  const config = path.join(root, 'ccds-config.yaml');
  fs.writeFileSync(config, `cookiecutters_dir: ${path.join(root, 'cookiecutters')}\nreplay_dir: ${path.join(root, 'replay')}\n`);
  let answers: string[];
  if (opts.s3Bucket) {
    const replay = path.join(root, 'answers.json');
    fs.writeFileSync(replay, JSON.stringify(s3Answers(name, opts.s3Bucket)));
    answers = ['--replay-file', replay];
  } else {
    answers = ['--no-input'];
  }
  const args = [...answers, '--config-file', config, '-o', root, TEMPLATE, ...(opts.s3Bucket ? [] : [`project_name=${name}`])];
  const r = assertOk(await run(CCDS, args, { cwd: root, env: projectEnv(), timeoutMs: 120_000 }), 'ccds');
  timings.push(`ccds: ${r.ms} ms`);
  return path.join(root, name);
}

/** Everything in the project but .git and node_modules, hashed, and git's view of it: what adopt may change. */
async function snapshot(dir: string) {
  const files = Object.fromEntries(Object.entries(tree(dir, { withTemp: true, withGitkeep: true })).filter(([k]) => !/^(\.git|node_modules)\//.test(k)));
  return { files, git: await git(dir, 'status', '--porcelain', '--ignored', '--untracked-files=all') };
}

const adopt = (dir: string, ...args: string[]): Promise<RunResult> => run('bash', ['-c', [ADOPT, ...args].join(' ')], { cwd: dir, env: projectEnv(), timeoutMs: 60_000 });

/** The layers' files of a working copy (raw/ as a whole, to see that nothing else of it came). */
const layers = (dir: string) => ({
  external: tree(path.join(dir, 'data', 'external')),
  raw: tree(path.join(dir, 'data', 'raw')),
  interim: tree(path.join(dir, 'data', 'interim')),
  processed: tree(path.join(dir, 'data', 'processed')),
});

describe.runIf(fs.existsSync(CCDS))('a Cookiecutter Data Science project brought to Strata (docs/new-project.md)', () => {
  it('one adopt step, committed; put-inputs, put-interim and put-results on main arrive byte for byte in a second clone', async () => {
    const s3 = inject('s3');
    const id = randomBytes(4).toString('hex');
    const name = `cp-ccds-${id}`;
    const bucket = `ccds-${id}`;
    const prefix = `projects/${name}/datastore`;
    await createBucket(s3, bucket);
    const root = tempDir('strata-ccds-');

    // The documented block: ccds (here non-interactive, from the test's template), then the
    // lines after `cd` as written, for this project and bucket.
    const block = documentedBlock('docs/new-project.md', 'test:ccds');
    expect(block[0]).toMatch(/^ccds\b/);
    expect(block[1]).toMatch(/^cd /);
    const lines = block.slice(2).map((l) => l.replaceAll('my-project', name).replaceAll('lab-bucket', bucket));
    expect(lines.filter((l) => l.startsWith(ADOPT))).toEqual([`${ADOPT} --remote s3://${bucket}/${prefix}`]);

    const mia = await ccds(root, name);
    const makefile = fs.readFileSync(path.join(mia, 'Makefile'));
    expect(fs.existsSync(path.join(mia, 'Justfile'))).toBe(false);
    const adoptAt = lines.findIndex((l) => l.startsWith(ADOPT));
    for (const line of lines.slice(0, adoptAt)) {
      const r = await step(mia, line);
      timings.push(`${r.command.replace(/^bash -c /, '')}: ${r.ms} ms`);
    }

    // --dry-run first: the plan, and not a byte changed.
    const before = await snapshot(mia);
    const dry = assertOk(await adopt(mia, `--remote s3://${bucket}/${prefix}`, '--dry-run'), 'adopt --dry-run');
    expect(dry.stdout).toMatch(/strata\.yaml: would be written/);
    expect(dry.stdout).toMatch(/--dry-run: nothing written/);
    expect(await snapshot(mia)).toEqual(before);

    // The step itself, as documented, then the commit.
    const adopted = await step(mia, lines[adoptAt]!);
    timings.push(`adopt: ${adopted.ms} ms`);
    expect(adopted.stdout).toMatch(/Done\. Next:/);
    for (const line of lines.slice(adoptAt + 1)) await step(mia, line);
    const yaml = fs.readFileSync(path.join(mia, 'strata.yaml'), 'utf8');
    expect(yaml).toMatch(new RegExp(`^remote: s3://${bucket}/${prefix}$`, 'm'));
    expect(fs.readFileSync(path.join(mia, 'Makefile'))).toEqual(makefile);
    const tracked = (await git(mia, 'ls-files')).split('\n');
    for (const f of ['strata.yaml', 'Justfile', '.env.example', '.gitignore', 'Makefile', 'package.json', 'package-lock.json']) expect(tracked, f).toContain(f);
    for (const d of ['external', 'raw', 'raw/profiles', 'interim', 'processed']) expect(tracked, d).toContain(`data/${d}/.gitkeep`);
    expect(tracked.filter((f) => /^(\.env|node_modules\/.*|\.strata\/.*)$/.test(f))).toEqual([]);
    expect(await git(mia, 'status', '--porcelain')).toBe('');

    // Run again: nothing to change, not a byte changed.
    const after = await snapshot(mia);
    const again = assertOk(await adopt(mia), 'adopt again');
    expect(again.stdout).toMatch(/Nothing to change/);
    expect(await snapshot(mia)).toEqual(after);

    // The maintainer: credentials and role in ccds's .env (its comments kept), data in the layers.
    fs.appendFileSync(path.join(mia, '.env'), Object.entries({ ...s3Env(s3), STRATA_ROLE: 'maintainer' }).map(([k, v]) => `${k}=${v}\n`).join(''));
    const data: Record<string, string | Buffer> = {
      'external/plate-map.csv': 'well,compound\nA01,DMSO\nA02,taxol\n',
      'raw/profiles/plate-1/profiles.csv': 'well,f1,f2\nA01,0.1,0.2\n',
      'raw/profiles/plate-2/profiles.parquet': randomBytes(6 * 1024 * 1024), // above the 4 MiB multipart size
      'interim/normalized/plate-1.csv': 'well,f1\nA01,0.0\n',
      'processed/run-1/summary.csv': 'plate,cells\nplate-1,1000\n',
      'processed/run-1/figure.png': randomBytes(200_000),
    };
    for (const [k, v] of Object.entries(data)) write(mia, `data/${k}`, v);
    write(mia, 'data/raw/images/plate-1/A01.tif', randomBytes(1000)); // the raw dump: never synced
    for (const recipe of ['put-inputs', 'put-interim', 'put-results']) {
      const r = assertOk(await npxJust(mia, { STRATA_USER: 'mia' }, recipe), `mia: just ${recipe}`);
      timings.push(`just ${recipe}: ${r.ms} ms`);
      expect(r.stdout).not.toMatch(/\+dirty/);
    }
    expect(await git(mia, 'status', '--porcelain')).toBe('');
    const listing = withoutStrataRecords(await bucketListing(s3, bucket, prefix));
    expect(Object.keys(listing).sort()).toEqual(
      ['external/plate-map.csv', 'interim/normalized/plate-1.csv', 'processed/run-1/figure.png', 'processed/run-1/summary.csv', 'profiles/plate-1/profiles.csv', 'profiles/plate-2/profiles.parquet'].sort(),
    );

    // A second clone: the one install step, then the daily pulls.
    const origin = path.join(root, 'origin.git');
    await git(root, 'init', '-q', '--bare', '-b', 'main', origin);
    await git(mia, 'remote', 'add', 'origin', origin);
    await git(mia, 'push', '-q', '-u', 'origin', 'main');
    const ana = path.join(root, 'ana');
    await git(root, 'clone', '-q', origin, ana);
    for (const d of ['external', 'raw/profiles', 'interim', 'processed']) expect(fs.existsSync(path.join(ana, 'data', d)), d).toBe(true);
    timings.push(`clone: npm install ${(await npmInstall(ana, 'second clone')).ms} ms`);
    write(ana, '.env', Object.entries(s3Env(s3)).map(([k, v]) => `${k}=${v}\n`).join(''));
    for (const recipe of ['get-inputs', 'get-results']) {
      const r = assertOk(await npxJust(ana, { STRATA_USER: 'ana' }, recipe), `ana: just ${recipe}`);
      timings.push(`just ${recipe}: ${r.ms} ms`);
    }
    const expected = (p: string) => hashed(Object.fromEntries(Object.entries(data).filter(([k]) => k.startsWith(p + '/')).map(([k, v]) => [k.slice(p.length + 1), v])));
    expect(layers(ana)).toEqual({ external: expected('external'), raw: expected('raw'), interim: expected('interim'), processed: expected('processed') });
    expect(fs.existsSync(path.join(ana, 'data', 'raw', 'images'))).toBe(false);
    expect(await git(ana, 'status', '--porcelain')).toBe('');
    // And a second pull moves nothing.
    expect(assertOk(await npxJust(ana, { STRATA_USER: 'ana' }, 'get-results'), 'ana: get-results again').stdout).toMatch(NOTHING_MOVED);
  });

  it("with ccds's S3 storage: the prefix and layout come from the Makefile, which stays until --replace-make-sync", async () => {
    const s3 = inject('s3');
    const id = randomBytes(4).toString('hex');
    const name = `cp-s3-${id}`;
    const bucket = `ccds-mk-${id}`;
    await createBucket(s3, bucket);
    const root = tempDir('strata-ccds-');
    const proj = await ccds(root, name, { s3Bucket: bucket });
    const makefile = fs.readFileSync(path.join(proj, 'Makefile'), 'utf8');
    expect(makefile).toMatch(/^sync_data_up:/m);
    // The documented lines up to the adopt step: git, package.json, the install step.
    const block = documentedBlock('docs/new-project.md', 'test:ccds').map((l) => l.replaceAll('my-project', name));
    for (const line of block.slice(2, block.findIndex((l) => l.startsWith(ADOPT)))) await step(proj, line);

    // Without a Justfile or --remote: the prefix `make sync_data_up` writes to, and a word on the rules.
    const r = assertOk(await adopt(proj), 'adopt');
    expect(r.stdout).toContain(`S3 prefix, from the Makefile's aws s3 sync: s3://${bucket}/data`);
    expect(r.stdout).toMatch(/Makefile: kept as it is\. Its sync_data_down and sync_data_up rules copy all of data\//);
    expect(r.stdout).toMatch(/make sync_data_down` would now copy\s+\.strata\/ and branches\/ into data\//);
    expect(r.stdout).toContain('put AWS_PROFILE=lab in .env');
    expect(fs.readFileSync(path.join(proj, 'Makefile'), 'utf8')).toBe(makefile);
    await git(proj, 'add', '-A');
    await git(proj, 'commit', '-q', '-m', 'New project (ccds) with Strata');

    // Strata's main space is where `aws s3 sync data/ s3://BUCKET/data` puts each folder.
    fs.appendFileSync(path.join(proj, '.env'), Object.entries({ ...s3Env(s3), STRATA_ROLE: 'maintainer' }).map(([k, v]) => `${k}=${v}\n`).join(''));
    write(proj, 'data/external/plate-map.csv', 'well\nA01\n');
    write(proj, 'data/raw/profiles/plate-1/profiles.csv', 'well,f1\nA01,0.5\n');
    assertOk(await npxJust(proj, { STRATA_USER: 'mia' }, 'put-inputs'), 'just put-inputs');
    expect(Object.keys(withoutStrataRecords(await bucketListing(s3, bucket, 'data'))).sort()).toEqual(['external/plate-map.csv', 'raw/profiles/plate-1/profiles.csv']);

    // Only when asked: the sync rules call Strata's recipes, the old Makefile is kept beside.
    const dry = assertOk(await adopt(proj, '--replace-make-sync', '--dry-run'), 'adopt --replace-make-sync --dry-run');
    expect(dry.stdout).toMatch(/Makefile: would be kept as Makefile\.before-strata/);
    expect(fs.readFileSync(path.join(proj, 'Makefile'), 'utf8')).toBe(makefile);
    assertOk(await adopt(proj, '--replace-make-sync'), 'adopt --replace-make-sync');
    expect(fs.readFileSync(path.join(proj, 'Makefile.before-strata'), 'utf8')).toBe(makefile);
    const planned = assertOk(await run('make', ['-n', 'sync_data_down', 'sync_data_up'], { cwd: proj, env: projectEnv() }), 'make -n');
    expect(planned.stdout.trim().split('\n')).toEqual(['npx --no-install just get-inputs', 'npx --no-install just get-results', 'npx --no-install just put-results']);
    // `make sync_data_down` is now Strata's pulls: they find nothing to move.
    const down = assertOk(await run('make', ['sync_data_down'], { cwd: proj, env: projectEnv({ STRATA_USER: 'mia' }), timeoutMs: 120_000 }), 'make sync_data_down');
    expect(down.stdout.match(new RegExp(NOTHING_MOVED.source, 'g'))).toHaveLength(2);
    const again = await snapshot(proj);
    expect(assertOk(await adopt(proj, '--replace-make-sync'), 'adopt --replace-make-sync again').stdout).toMatch(/Nothing to change/);
    expect(await snapshot(proj)).toEqual(again);
  });

  it('refuses, changing nothing: no prefix anywhere; a .gitignore rule that would hide strata.yaml', async () => {
    const root = tempDir('strata-ccds-');
    const proj = await ccds(root, `cp-bad-${randomBytes(3).toString('hex')}`);
    await git(proj, 'init', '-q', '-b', 'main');
    fs.mkdirSync(path.join(proj, 'node_modules'));
    fs.symlinkSync(STRATA_ROOT, path.join(proj, 'node_modules', 'strata'));
    let before = await snapshot(proj);
    const noPrefix = await adopt(proj);
    expect(noPrefix.exitCode).toBe(2);
    expect(noPrefix.stderr).toMatch(/names no S3 prefix.*--remote s3:\/\//);
    expect(await snapshot(proj)).toEqual(before);

    fs.appendFileSync(path.join(proj, '.gitignore'), '\n*.yaml\n'); // (ccds's .gitignore may end without a newline)
    before = await snapshot(proj);
    const hidden = await adopt(proj, '--remote', 's3://lab-bucket/projects/x/datastore');
    expect(hidden.exitCode).toBe(2);
    expect(hidden.stderr).toMatch(/git would ignore strata\.yaml .*git check-ignore -v --no-index strata\.yaml.*nothing was changed/);
    expect(await snapshot(proj)).toEqual(before);
  });
});
