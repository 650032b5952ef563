// just demo: the main job on the embedded default. Builds a throwaway lab project with a
// plain-folder remote (file://), then plays a day: a maintainer publishes inputs, two
// analysts pull them, one pushes results from a branch, the other reads that branch, an
// unsafe push is refused, and status and log show the record. Every step is a real `just`
// recipe in a real git working copy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';

export const spec: RecipeSpec = { summary: 'A throwaway lab project on a plain-folder remote, and a day of recipes in it.', options: ['keep'], optionHelp: { keep: 'keep the demo folder to look around in' } };

const strataRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function justBinary(): string {
  const local = path.join(strataRoot, 'node_modules', '.bin', 'just');
  return fs.existsSync(local) ? local : 'just';
}

export async function main(args: Args): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-demo-'));
  const remote = path.join(root, 'lab-share');
  // An interrupted demo (^C exits the process) removes its folder too, unless --keep.
  if (!args.keep) process.once('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  const just = justBinary();
  const say = (s = '') => process.stdout.write(s + '\n');
  let step = 0;
  const results: { step: string; ok: boolean }[] = [];

  // run a recipe as a person would, show its output indented, and check the exit code we expect.
  const recipe = async (who: string, dir: string, cmd: string[], expect: 'ok' | 'refused', env: Record<string, string> = {}) => {
    step++;
    const title = `${step}. ${who}: just ${cmd.join(' ')}`;
    say(`\n── ${title}`);
    const r = await $({ cwd: dir, env: { ...process.env, CI: '1', STRATA_USER: who.split(' ')[0].toLowerCase(), ...env }, nothrow: true, quiet: true })`${just} ${cmd}`;
    for (const line of (r.stdout + r.stderr).trimEnd().split('\n')) say(`   ${line}`);
    const ok = expect === 'ok' ? r.exitCode === 0 : r.exitCode !== 0 && r.exitCode !== null;
    results.push({ step: title + (expect === 'refused' ? ' (must be refused)' : ''), ok });
    say(ok ? (expect === 'ok' ? '   ✓ done' : `   ✓ refused as it should be (exit ${r.exitCode})`) : `   ✗ unexpected exit code ${r.exitCode}`);
  };
  const write = (dir: string, rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  // The steps between recipes (edits, deletions, git), printed as the shell lines a person would type.
  const shell = (who: string, line: string) => say(`\n   ${who} $ ${line}`);
  const edit = (who: string, dir: string, rel: string, text: string) => {
    shell(who, `printf '${text.replace(/\n/g, '\\n')}' > ${rel}`);
    write(dir, rel, text);
  };
  const switchBranch = async (who: string, dir: string, branch: string) => {
    shell(who, `git switch -c ${branch}`);
    await git(dir)`git switch -q -c ${branch}`;
  };
  const git = (dir: string) => $({ cwd: dir, quiet: true, env: { ...process.env, GIT_AUTHOR_NAME: 'Lab', GIT_AUTHOR_EMAIL: 'lab@example.org', GIT_COMMITTER_NAME: 'Lab', GIT_COMMITTER_EMAIL: 'lab@example.org' } });

  say(`Strata demo in ${root}`);
  say(`The lab's remote is a plain folder: file://${remote}`);

  // The project, as the lab's template makes it: layer folders, strata.yaml, a Justfile.
  const origin = path.join(root, 'origin.git');
  await git(root)`git init -q --bare -b main ${origin}`;
  const maint = path.join(root, 'maintainer');
  await git(root)`git clone -q ${origin} ${maint}`;
  for (const d of ['data/external', 'data/raw/profiles', 'data/interim', 'data/processed']) write(maint, `${d}/.gitkeep`, '');
  write(maint, '.gitignore', 'data/**\n!data/**/\n!data/**/.gitkeep\ndata/_recycle/\n.strata/\n.env\nnode_modules/\n');
  write(maint, 'strata.yaml', `# Where this project's data lives. Branches other than main live under branches/<name>/.\nremote: file://${remote}\n`);
  write(maint, 'Justfile', `import '${path.join(strataRoot, 'strata.just')}'\n`);
  await git(maint)`git add -A`;
  await git(maint)`git commit -q -m ${'New lab project'}`;
  await git(maint)`git push -q origin main`;

  edit('Mia', maint, 'data/external/plate-map.csv', 'well,compound\nA01,DMSO\nA02,taxol\n');
  edit('Mia', maint, 'data/raw/profiles/plate-1/profiles.csv', 'well,feature_1,feature_2\nA01,0.1,0.2\nA02,0.3,0.4\n');
  edit('Mia', maint, 'data/raw/profiles/plate-2/profiles.csv', 'well,feature_1,feature_2\nA01,0.5,0.6\nA02,0.7,0.8\n');
  await recipe('Mia (maintainer)', maint, ['put-inputs'], 'ok', { STRATA_ROLE: 'maintainer' });

  const ana = path.join(root, 'ana');
  const ben = path.join(root, 'ben');
  shell('Ana', 'git clone …/origin.git ana && cd ana');
  await git(root)`git clone -q ${origin} ${ana}`;
  shell('Ben', 'git clone …/origin.git ben && cd ben');
  await git(root)`git clone -q ${origin} ${ben}`;
  await recipe('Ana (analyst)', ana, ['get-inputs'], 'ok');
  await recipe('Ana (analyst)', ana, ['get-results'], 'ok');

  await switchBranch('Ana', ana, 'cell-counts');
  edit('Ana', ana, 'data/processed/cell-counts/summary.csv', 'plate,cells\nplate-1,1200\nplate-2,1350\n');
  edit('Ana', ana, 'data/processed/cell-counts/figure.txt', 'a figure would be here\n');
  await recipe('Ana (analyst)', ana, ['put-results', '--dry-run'], 'ok');
  await recipe('Ana (analyst)', ana, ['put-results'], 'ok');

  await recipe('Ben (analyst)', ben, ['get-inputs'], 'ok');
  await recipe('Ben (analyst)', ben, ['get-results-from', 'cell-counts'], 'ok');
  // Ben, on main, tries to publish: analysts push from branches only.
  await recipe('Ben (analyst)', ben, ['put-results'], 'refused');
  // Ben joins Ana's branch. An emptied processed/ folder would wipe the branch's results: refused.
  await switchBranch('Ben', ben, 'cell-counts');
  await recipe('Ben (analyst)', ben, ['get-results'], 'ok');
  shell('Ben', 'rm -r data/processed/cell-counts');
  fs.rmSync(path.join(ben, 'data/processed/cell-counts'), { recursive: true });
  await recipe('Ben (analyst)', ben, ['put-results'], 'refused');
  // His deletions are unshared work too: a plain get-results will not undo them; --force brings the files back.
  await recipe('Ben (analyst)', ben, ['get-results'], 'refused');
  await recipe('Ben (analyst)', ben, ['get-results', '--force'], 'ok');
  // Ana pushes again; Ben's push from an older state is a conflict, not a silent overwrite.
  edit('Ana', ana, 'data/processed/cell-counts/summary.csv', 'plate,cells\nplate-1,1210\nplate-2,1350\n');
  await recipe('Ana (analyst)', ana, ['put-results'], 'ok');
  edit('Ben', ben, 'data/processed/cell-counts/notes.txt', 'Ben was here\n');
  await recipe('Ben (analyst)', ben, ['put-results'], 'refused');
  // Pulling would remove Ben's unshared notes.txt (exact sync): refused. --keep takes Ana's
  // change and leaves his unshared file as it is; then his push goes on top of hers.
  await recipe('Ben (analyst)', ben, ['get-results'], 'refused');
  await recipe('Ben (analyst)', ben, ['get-results', '--keep'], 'ok');
  await recipe('Ben (analyst)', ben, ['put-results'], 'ok');
  // Ana's local edit is protected when a pull would overwrite it.
  edit('Ana', ana, 'data/processed/cell-counts/summary.csv', 'plate,cells\nplate-1,9999\n');
  await recipe('Ana (analyst)', ana, ['get-results'], 'refused');
  await recipe('Ana (analyst)', ana, ['status'], 'ok');
  await recipe('Ana (analyst)', ana, ['log'], 'ok');

  say('\n── What happened');
  for (const r of results) say(`   ${r.ok ? '✓' : '✗'} ${r.step}`);
  const failed = results.filter((r) => !r.ok).length;
  say(`\n${results.length - failed} of ${results.length} steps behaved as expected.`);
  if (args.keep) say(`The demo project and its remote are kept in ${root} (remote: ${remote}); remove them when done.`);
  else {
    fs.rmSync(root, { recursive: true, force: true });
    say('The demo folder was removed (run `just demo --keep` to look around in it).');
  }
  if (failed) process.exitCode = 1;
}

if (isMain(import.meta.url)) await runRecipe('demo', spec, main);
