// A Cookiecutter Data Science project (ccds 2.x: data/{external,raw,interim,processed},
// a Makefile, no Justfile) brought to Strata in place: the files the lab template has from
// the start are added. Of the project's own files only .gitignore is edited (one line
// replaced, lines added, all said in the report), and the Makefile only when asked, with the
// old one kept beside it. What is already there (a strata.yaml, a Justfile importing Strata,
// an .env.example) is kept as it is, so a second run finds nothing to do.
//
//   strata.yaml   the layer table of the project's data/ folders (data/raw itself, the raw
//                 dump, is never synced; data/raw/profiles is made for the profiles layer)
//   Justfile      the menu: Strata's data recipes and `just setup` (the Makefile stays)
//   .env.example  the personal settings Strata reads (.env itself is ccds's, gitignored)
//   .gitignore    ccds ignores all of /data/, so the layer folders would be missing from a
//                 fresh clone: that one line becomes "everything under data/ but the
//                 folders' .gitkeep"; Strata's own files are added
//   Makefile      left alone unless --replace-make-sync: its `aws s3 sync` rules bypass Strata
import fs from 'node:fs';
import path from 'node:path';
import { AdoptError, IMPORT_LINE, STRATA_IGNORES, STRATA_ROOT, givenRemote, importsStrata, isIgnored, justfileWorks, mainBranchOf, missingIgnores, withLines } from './common.mjs';

/** The data/ folders ccds makes. */
export const CCDS_DATA = ['external', 'raw', 'interim', 'processed'];

/** The layers the lab syncs, in a ccds project's folders (Strata's default table). */
const LAYERS = [
  { name: 'external', local: 'data/external', path: 'external', note: 'maintainers: put-inputs' },
  { name: 'profiles', local: 'data/raw/profiles', path: 'profiles', note: 'maintainers: put-inputs' },
  { name: 'interim', local: 'data/interim', path: 'interim', note: 'maintainers: put-interim' },
  { name: 'processed', local: 'data/processed', path: 'processed', note: 'everyone: put-results', versioned: true },
];

/** The lab template's .env.example: one list of the variables Strata reads, for both ways in. */
const ENV_EXAMPLE = path.join(STRATA_ROOT, 'templates', 'lab-project', '{{cookiecutter.project_slug}}', '.env.example');

const MAKE_BACKUP = 'Makefile.before-strata';
const DOWN_BODY = ['\tnpx --no-install just get-inputs', '\tnpx --no-install just get-results'];
const UP_BODY = ['\tnpx --no-install just put-results'];

const JUSTFILE = `# The project's menu: \`just\` (or \`npx just\`) lists the recipes.
#
# The data recipes (get-inputs, get-results, put-results, status, log, …) come from Strata,
# which \`npm install\` puts in node_modules/. Where the data lives is in strata.yaml
# (committed); credentials and your role are in .env (see .env.example). The Makefile's
# rules (make requirements, make lint, …) are unchanged.

# Optional import, so \`just setup\` works before Strata is installed.
${IMPORT_LINE}

# List the recipes (and say so when Strata is not installed yet)
[private]
default:
    #!/usr/bin/env sh
    if [ ! -d node_modules/strata ]; then
      echo "Strata is not installed, so the data recipes are missing: run 'npm install' (or 'just setup')."
      echo
    fi
    exec {{ quote(just_executable()) }} --justfile {{ quote(justfile()) }} --list

# Install Strata and just into node_modules/ (once per clone; again after package.json changes)
[group('setup')]
setup:
    npm install
`;

/** The rules the project's .gitignore must follow once data/ is Strata's: path → ignored? */
function ignoreRules(layers) {
  const rules = [];
  for (const l of layers) {
    rules.push([`${l.local}/some-file`, true]);
    rules.push([`${l.local}/.gitkeep`, false]);
  }
  rules.push(['data/raw/some-image.tif', true]);
  for (const f of ['strata.yaml', 'Justfile', '.env.example', 'package.json', 'package-lock.json']) rules.push([f, false]);
  for (const [, probe] of STRATA_IGNORES) rules.push([probe, true]);
  return rules;
}

/** A .gitignore line that hides the whole data/ folder (ccds's `/data/`): nothing in it can be kept then. */
const WHOLE_DATA = /^\/?data\/?$/;
const DATA_BLOCK = [
  '# Data lives on the remote (strata.yaml), not in git: everything under data/ is ignored but',
  "# the layer folders' .gitkeep files, so a fresh clone has the folders.",
  'data/**',
  '!data/**/',
  '!data/**/.gitkeep',
];

/** gitignoreFor: the project's .gitignore with ccds's whole-data line replaced by DATA_BLOCK. */
export function gitignoreFor(text) {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => WHOLE_DATA.test(l.trim()));
  if (at < 0) return { text, replaced: null };
  const replaced = lines[at];
  lines.splice(at, 1, ...DATA_BLOCK);
  return { text: lines.join('\n'), replaced };
}

/** The Makefile's text with line continuations joined, as make reads its commands. */
const joined = (text) => text.replace(/\\\n\s*/g, ' ');

/**
 * makeSync reads ccds's sync_data_down / sync_data_up rules: the S3 URL they sync data/
 * with (ccds writes `aws s3 sync s3://BUCKET/data/ data/`) and the AWS profile they name.
 */
export function makeSync(makefileText) {
  const text = joined(makefileText);
  const rules = ['sync_data_down', 'sync_data_up'].filter((r) => new RegExp(`^${r}:`, 'm').test(text));
  const urls = new Set();
  for (const m of text.matchAll(/\baws\s+s3\s+sync\s+(\S+)\s+(\S+)/g)) {
    const [a, b] = [m[1], m[2]];
    const remote = /^data\/?$/.test(a) ? b : /^data\/?$/.test(b) ? a : null;
    if (remote && remote.startsWith('s3://')) urls.add(remote.replace(/\/+$/, ''));
  }
  const profile = /\baws\s+s3\s+sync\b[^\n]*--profile[ =](\S+)/.exec(text)?.[1] ?? null;
  return { rules, urls: [...urls], profile, others: /\b(az storage blob|gsutil)\b/.test(text) };
}

/** replaceSyncRules: the Makefile with the bodies of its sync rules calling Strata's recipes. */
export function replaceSyncRules(makefileText) {
  const lines = makefileText.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    const m = /^(sync_data_down|sync_data_up):/.exec(lines[i]);
    if (!m) continue;
    while (i + 1 < lines.length && /^\t/.test(lines[i + 1])) i++;
    out.push(...(m[1] === 'sync_data_down' ? DOWN_BODY : UP_BODY));
  }
  return out.join('\n');
}

function strataYaml({ remote, hub, mainBranch, layers, fromMakefile }) {
  const rows = layers.map((l) => {
    const head = `  ${l.name}:`.padEnd(24) + `# ${l.local.padEnd(18)} ↔ ${(l.path + '/').padEnd(14)} (${l.note})`;
    const body = [`    local: ${l.local}`, `    path: ${l.path}`];
    if (l.versioned) body.push('    versioned: true');
    return [head, ...body].join('\n');
  });
  return [
    "# Strata: where this project's data layers live. Committed, shared by everyone; personal",
    '# settings (credentials, your role) go in .env (see .env.example). `just config` shows the',
    '# effective settings and where each came from (docs: node_modules/strata/docs/configuration.md).',
    '',
    fromMakefile
      ? "# The S3 prefix the Makefile's sync rules use: on the main branch each layer stays where\n# `make sync_data_up` put it (PREFIX/<path>/);"
      : '# The S3 prefix: on the main branch each layer lives in PREFIX/<path>/;',
    '# any other git branch gets its own space under PREFIX/branches/<branch>/, and Strata keeps',
    '# its records under PREFIX/.strata/.',
    `remote: ${remote}`,
    hub ? `# The versioned layers (processed/) live in this Hugging Face dataset.\nhub: ${hub}` : '# hub: hf://datasets/ORG/NAME   # to version processed/ on the Hugging Face Hub instead',
    `main_branch: ${mainBranch}`,
    '',
    "# The layers: the project's data/ folders. data/raw itself (the raw dump: images) is never",
    '# synced, only its profiles/ folder. Inputs (external, profiles) always live on main.',
    'layers:',
    ...rows,
    '',
  ].join('\n');
}

/** isCcdsProject: a data/ folder with at least one of the folders ccds makes. */
export function isCcdsProject(root) {
  return CCDS_DATA.some((d) => fs.statSync(path.join(root, 'data', d), { throwIfNoEntry: false })?.isDirectory());
}

/**
 * adoptCcds brings the ccds project at root to Strata; `say` prints one line of the report.
 * Every change is planned first; --dry-run prints the plan. Then each file is written (new
 * files never over an existing one), the result checked (the Justfile works, git ignores
 * what it should), and on any problem every change is undone.
 */
export function adoptCcds({ root, justfile, just, opts, say }) {
  const act = opts.dryRun ? 'would' : 'will';
  const exists = (rel) => fs.existsSync(path.join(root, rel));
  const read = (rel) => fs.readFileSync(path.join(root, rel), 'utf8');
  /** @type {{rel: string, text: string, before: string | null}[]} */
  const changes = [];
  const create = (rel, text) => changes.push({ rel, text, before: null });
  const edit = (rel, text) => changes.push({ rel, text, before: read(rel) });
  const make = exists('Makefile') ? makeSync(read('Makefile')) : null;

  // strata.yaml, and the layer folders its table names.
  let layers = LAYERS;
  let remote = null;
  if (exists('strata.yaml')) {
    say('strata.yaml exists: kept as it is.');
    remote = /^remote:\s*(\S+)/m.exec(read('strata.yaml'))?.[1] ?? null;
  } else {
    if (!isCcdsProject(root)) {
      throw new AdoptError(`${root} has no Justfile and no data/ folder of a Cookiecutter Data Science project (data/${CCDS_DATA.join(', data/')}); see docs/new-project.md for the ways in`);
    }
    let fromMakefile = false;
    if (opts.remote) {
      remote = givenRemote(opts.remote);
      say(`S3 prefix (from --remote): ${remote}`);
    } else if (make?.urls.length === 1) {
      remote = make.urls[0];
      fromMakefile = true;
      // Keep the layout `aws s3 sync data/ PREFIX` made: data/raw/profiles is PREFIX/raw/profiles.
      layers = LAYERS.map((l) => (l.name === 'profiles' ? { ...l, path: 'raw/profiles' } : l));
      say(`S3 prefix, from the Makefile's aws s3 sync: ${remote}`);
    } else if (make?.urls.length > 1) {
      throw new AdoptError(`the Makefile syncs data/ with several S3 prefixes (${make.urls.join(', ')}); choose one with --remote s3://BUCKET/PREFIX`);
    } else {
      const why = make?.others ? "the Makefile's sync rules use Azure or Google Cloud Storage, not S3" : 'the project names no S3 prefix (ccds made it without dataset storage)';
      throw new AdoptError(`${why}; give the project's prefix with --remote s3://BUCKET/projects/NAME/datastore`);
    }
    const mainBranch = opts.mainBranch ?? mainBranchOf(root);
    create('strata.yaml', strataYaml({ remote, hub: opts.hub, mainBranch, layers, fromMakefile }));
    say(`strata.yaml: ${act} be written (remote ${remote}, main branch ${mainBranch}${opts.hub ? `, hub ${opts.hub}` : ''}), layers:`);
    for (const l of layers) say(`  ${l.name.padEnd(10)} ${l.local.padEnd(18)} ↔ ${l.path}/`);
    const keeps = layers.map((l) => `${l.local}/.gitkeep`).filter((k) => !exists(k));
    for (const k of keeps) create(k, '');
    if (keeps.length) say(`layer folders: ${act} get ${keeps.join(' ')}`);
  }

  // Justfile (adopt.mjs sends a project whose Justfile does not import Strata the rclone way)
  const justfileName = justfile ? path.basename(justfile) : 'Justfile';
  if (justfile) {
    if (!importsStrata(read(justfileName))) throw new AdoptError(`${justfileName} does not import Strata`);
    say(`${justfileName} imports Strata: kept as it is.`);
  } else {
    create('Justfile', JUSTFILE);
    say(`Justfile: ${act} be written (Strata's data recipes, \`just setup\`).`);
  }

  // .env.example
  if (exists('.env.example')) {
    say('.env.example exists: kept as it is.');
  } else {
    create('.env.example', fs.readFileSync(ENV_EXAMPLE, 'utf8'));
    say(`.env.example: ${act} be written (AWS_PROFILE, HF_TOKEN, STRATA_ROLE; copy it to .env${exists('.env') ? ', or add its lines to the .env ccds made' : ''}).`);
  }

  // .gitignore
  const giBefore = exists('.gitignore') ? read('.gitignore') : '';
  let { text: gi, replaced } = gitignoreFor(giBefore);
  const add = [];
  if (replaced !== null) {
    say(`.gitignore: ${act} replace "${replaced}" (which hides the layer folders from git) with data/** !data/**/ !data/**/.gitkeep`);
  } else if (!isIgnored(root, 'data/raw/some-image.tif')) {
    add.push(...DATA_BLOCK.slice(2));
    say(`.gitignore: ${act} get data/** !data/**/ !data/**/.gitkeep (data files stay out of git, the folders' .gitkeep stay in)`);
  }
  const missing = missingIgnores(root);
  if (missing.length) say(`.gitignore: ${act} get ${missing.join(' ')}`);
  gi = withLines(gi, [...add, ...missing]);
  if (gi !== giBefore) (exists('.gitignore') ? edit : create)('.gitignore', gi);

  // Makefile
  if (make?.rules.length) {
    if (opts.replaceMakeSync) {
      const text = replaceSyncRules(read('Makefile'));
      if (text !== read('Makefile')) {
        if (exists(MAKE_BACKUP)) throw new AdoptError(`${MAKE_BACKUP} exists already; move it away first (it would be overwritten)`);
        create(MAKE_BACKUP, read('Makefile'));
        edit('Makefile', text);
        say(`Makefile: ${act} be kept as ${MAKE_BACKUP}; ${make.rules.join(' and ')} ${act} call just (sync_data_down: get-inputs, get-results; sync_data_up: put-results).`);
      } else say('Makefile: its sync rules call just already: kept as it is.');
    } else if (!/npx --no-install just/.test(read('Makefile'))) {
      say(`Makefile: kept as it is. Its ${make.rules.join(' and ')} rules copy all of data/${make.urls.length ? ` with ${make.urls.join(', ')}/` : ''} and bypass Strata:`);
      say('  they never delete, know no git branch, and leave no record. Use just get-inputs, get-results and');
      say('  put-results instead (just status shows what differs); --replace-make-sync makes the rules call them.');
      if (remote && make.urls.includes(remote)) {
        say("  Strata keeps its records and branch spaces under that prefix, so `make sync_data_down` would now copy");
        say('  .strata/ and branches/ into data/: do not run it after the switch.');
      }
      if (make.profile) say(`  The rules use the AWS profile "${make.profile}": put AWS_PROFILE=${make.profile} in .env for Strata.`);
    }
  }

  if (!changes.length) {
    say('\nNothing to change: this project has Strata already.');
    return;
  }
  if (opts.dryRun) {
    say('\n--dry-run: nothing written.');
    return;
  }
  apply(root, changes, just, justfileName, layers);
  say('\nDone. Next:');
  say('  cp .env.example .env   # or add its lines to .env: AWS_PROFILE (and STRATA_ROLE=maintainer, HF_TOKEN)');
  say('  just                   # the recipes;  just config: the settings and where each came from');
  say(`  git add -A && git commit -m "Data recipes: Strata"`);
}

/** apply writes the changes, checks the result and, on a problem, undoes every change it made. */
function apply(root, changes, just, justfile, layers) {
  const done = [];
  const made = [];
  const undo = () => {
    for (const c of done.reverse()) {
      const file = path.join(root, c.rel);
      if (c.before === null) fs.rmSync(file, { force: true });
      else fs.writeFileSync(file, c.before);
    }
    for (const d of made.reverse()) fs.rmdirSync(d);
  };
  try {
    for (const c of changes) {
      const file = path.join(root, c.rel);
      const missing = [];
      for (let d = path.dirname(file); !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
      for (const d of missing) {
        fs.mkdirSync(d);
        made.push(d);
      }
      // A new file never replaces one that appeared since the plan was made ('wx').
      fs.writeFileSync(file, c.text, { flag: c.before === null ? 'wx' : 'w' });
      done.push(c);
    }
  } catch (e) {
    undo();
    throw new AdoptError(`cannot write ${e.path ?? 'a file'} (${e.code ?? e.message}); nothing was changed`);
  }
  const problem = justfileWorks(just, root, path.join(root, justfile));
  if (problem) {
    undo();
    throw new AdoptError(`the Justfile does not work (${problem}); nothing was changed. Fix it, or add \`${IMPORT_LINE}\` by hand`);
  }
  const wrong = ignoreRules(layers).filter(([rel, ignored]) => isIgnored(root, rel) !== ignored);
  if (wrong.length) {
    undo();
    const [rel, ignored] = wrong[0];
    throw new AdoptError(`with the new .gitignore, git would ${ignored ? 'track' : 'ignore'} ${rel} (another ignore rule decides: \`git check-ignore -v --no-index ${rel}\` names it); nothing was changed. Fix that rule, then run this again`);
  }
}
