#!/usr/bin/env node
// adopt: switch an existing lab project from its rclone data recipes to Strata's, in place,
// keeping the bucket layout. Run it from the project's top folder after installing Strata:
//
//   npm install --save-dev rust-just <strata source>
//   node node_modules/strata/templates/adopt/adopt.mjs [--remote s3://BUCKET/PREFIX]
//        [--hub hf://datasets/ORG/NAME] [--main-branch NAME] [--dry-run]
//
// What it does (docs/new-project.md, "Adopting Strata in an existing project"):
//   1. strata.yaml: `remote:` is the S3 prefix the Justfile's rclone recipes use (found with
//      `just --evaluate`, or given with --remote). Written only when there is none.
//   2. Justfile: the old file is kept, byte for byte, as Justfile.rclone (still runnable:
//      `just -f Justfile.rclone get-inputs`). The new Justfile is the old one without the
//      recipes (and aliases) whose names are Strata recipes, plus
//      `import? 'node_modules/strata/strata.just'`. Every other recipe stays as it was.
//   3. .gitignore: adds .strata/, node_modules/, data/_recycle/ and .env when not ignored yet.
// It checks that the new Justfile parses and puts the old one back if it does not. It never
// touches data, the bucket, or git history; with --dry-run it writes nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const STRATA_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BACKUP = 'Justfile.rclone';
const IMPORT_LINE = "import? 'node_modules/strata/strata.just'";
const LAYER_FOLDERS = new Set(['external', 'profiles', 'interim', 'processed']);

class AdoptError extends Error {}

function parseArgs(argv) {
  const opts = { dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new AdoptError(`${a} needs a value`);
      return v;
    };
    if (a === '--dry-run') opts.dryRun = true;
    else if (a.startsWith('--remote')) opts.remote = value();
    else if (a.startsWith('--hub')) opts.hub = value();
    else if (a.startsWith('--main-branch')) opts.mainBranch = value();
    else if (a === '-h' || a === '--help') opts.help = true;
    else throw new AdoptError(`unknown argument ${a} (see --help)`);
  }
  return opts;
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) return { ok: false, out: '', err: r.error.message };
  return { ok: r.status === 0, out: r.stdout, err: r.stderr };
}

/** justBinary: the project's node_modules/.bin/just, Strata's own, or the one on PATH. */
function justBinary(root) {
  for (const p of [path.join(root, 'node_modules', '.bin', 'just'), path.join(STRATA_ROOT, 'node_modules', '.bin', 'just')]) {
    if (fs.existsSync(p)) return p;
  }
  return 'just';
}

/** strataRecipeNames: the recipes strata.just defines (these replace the old ones). */
function strataRecipeNames(just, strataJust) {
  const r = run(just, ['--justfile', strataJust, '--summary'], path.dirname(strataJust));
  if (!r.ok) throw new AdoptError(`cannot read ${strataJust} with ${just}: ${r.err.trim()}`);
  return new Set(r.out.trim().split(/\s+/).filter(Boolean));
}

/**
 * s3UrlFrom turns what an rclone recipe names into an s3:// URL: `s3://b/p`, an rclone
 * remote `NAME:b/p`, or an on-the-fly one `:s3,k=v,…:b/p`. Anything else gives null.
 */
export function s3UrlFrom(value) {
  let m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(\S+?)\/*$/.exec(value);
  if (m) return { url: `s3://${m[1]}/${m[2]}`, rcloneRemote: null };
  m = /^(:s3[^:]*|[A-Za-z0-9_.-]+):([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(\S+?)\/*$/.exec(value);
  if (m && !/^(https?|file|hf)$/.test(m[1])) return { url: `s3://${m[2]}/${m[3]}`, rcloneRemote: m[1].startsWith(':') ? ':s3' : m[1] };
  return null;
}

/** findRemote: the one S3 prefix the old Justfile's variables point at (its data root). */
function findRemote(just, root, justfile) {
  const r = run(just, ['--justfile', justfile, '--evaluate'], root);
  if (!r.ok) throw new AdoptError(`\`just --evaluate\` failed on ${path.basename(justfile)} (${r.err.trim()}); give the prefix with --remote s3://BUCKET/PREFIX`);
  const found = [];
  for (const line of r.out.split('\n')) {
    const m = /^(\S+)\s*:=\s*"(.*)"\s*$/.exec(line);
    if (!m) continue;
    const hit = s3UrlFrom(m[2].replace(/\\"/g, '"').replace(/\\\\/g, '\\'));
    if (!hit) continue;
    // A variable for one layer (…/datastore/external) points at the same root.
    const parts = hit.url.split('/');
    if (parts.length > 4 && LAYER_FOLDERS.has(parts.at(-1))) parts.pop();
    found.push({ variable: m[1], url: parts.join('/'), rcloneRemote: hit.rcloneRemote });
  }
  const urls = [...new Set(found.map((f) => f.url))];
  // Prefer the root every other candidate lies under.
  const roots = urls.filter((u) => urls.every((o) => o === u || o.startsWith(u + '/')));
  if (roots.length === 1) return found.find((f) => f.url === roots[0]);
  if (urls.length === 0) throw new AdoptError(`no S3 prefix found among ${path.basename(justfile)}'s variables; give it with --remote s3://BUCKET/PREFIX`);
  throw new AdoptError(`several S3 prefixes in ${path.basename(justfile)}'s variables (${found.map((f) => `${f.variable} = ${f.url}`).join('; ')}); choose one with --remote`);
}

function mainBranchOf(root) {
  const r = run('git', ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD'], root);
  if (r.ok && r.out.trim()) return r.out.trim().replace(/^origin\//, '');
  for (const b of ['main', 'master']) if (run('git', ['rev-parse', '--verify', '-q', `refs/heads/${b}`], root).ok) return b;
  return 'main';
}

const RECIPE_HEADER = /^@?([A-Za-z_][A-Za-z0-9_-]*)(\s[^:]*)?:(?!=)/;
const ALIAS = /^alias\s+([A-Za-z_][A-Za-z0-9_-]*)\s*:=/;

/**
 * withoutRecipes removes, from a Justfile's text, the recipes (with their doc comments and
 * attributes) and aliases whose names are in `names`. Line-based: a recipe is its header,
 * the comment/attribute lines right above it, and the indented (or blank) lines below.
 */
export function withoutRecipes(text, names) {
  const lines = text.split('\n');
  const drop = new Array(lines.length).fill(false);
  const removed = [];
  const isTop = (l) => l.length > 0 && !/^\s/.test(l);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!isTop(line)) continue;
    const alias = ALIAS.exec(line);
    if (alias && names.has(alias[1])) {
      drop[i] = true;
      removed.push(`alias ${alias[1]}`);
      continue;
    }
    const m = RECIPE_HEADER.exec(line);
    if (!m || /^(set|alias|export|import|mod)\b/.test(line) || !names.has(m[1])) continue;
    let start = i;
    while (start > 0 && /^(#|\[)/.test(lines[start - 1])) start--;
    let end = i + 1;
    while (end < lines.length && !isTop(lines[end])) end++;
    while (end > i + 1 && lines[end - 1].trim() === '') end--; // keep the blank line after
    for (let k = start; k < end; k++) drop[k] = true;
    // One blank line between what remains, not two.
    if (end < lines.length && lines[end].trim() === '' && (start === 0 || lines[start - 1].trim() === '')) drop[end] = true;
    removed.push(m[1]);
  }
  return { text: lines.filter((_, i) => !drop[i]).join('\n'), removed };
}

/** withImport adds the Strata import after the leading comments and `set` lines. */
export function withImport(text) {
  const lines = text.split('\n');
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === '' || l.startsWith('#')) continue;
    if (/^set\s/.test(l)) {
      at = i + 1;
      continue;
    }
    break;
  }
  const block = ['', "# The data recipes (get-inputs, get-results, put-results, …) come from Strata: `npm install`.", IMPORT_LINE, ''];
  lines.splice(at, 0, ...(at === 0 ? block.slice(1) : block));
  return lines.join('\n').replace(/\n{3,}/g, '\n\n');
}

function findJustfile(root) {
  for (const name of ['Justfile', 'justfile', '.justfile']) if (fs.existsSync(path.join(root, name))) return path.join(root, name);
  return null;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 18).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
    return;
  }
  const root = process.cwd();
  const say = (s = '') => process.stdout.write(s + '\n');
  const act = opts.dryRun ? 'would' : 'will';
  if (!fs.existsSync(path.join(root, '.git'))) throw new AdoptError(`${root} is not the top folder of a git repository; run this from the project's top folder`);
  const justfile = findJustfile(root);
  if (!justfile) throw new AdoptError(`no Justfile in ${root}`);
  const strataJust = path.join(root, 'node_modules', 'strata', 'strata.just');
  if (!fs.existsSync(strataJust)) {
    throw new AdoptError(`Strata is not installed in this project (no ${path.relative(root, strataJust)}); run \`npm install --save-dev rust-just <strata source>\` first`);
  }
  const just = justBinary(root);
  const oldText = fs.readFileSync(justfile, 'utf8');
  const alreadyImports = oldText.includes('node_modules/strata/strata.just');
  const configPath = path.join(root, 'strata.yaml');
  const changes = [];

  // 1. strata.yaml
  let config = null;
  if (fs.existsSync(configPath)) {
    say(`strata.yaml exists: kept as it is.`);
  } else {
    let remote = opts.remote;
    if (remote) {
      const hit = s3UrlFrom(remote);
      if (!hit && !remote.startsWith('file://')) throw new AdoptError(`--remote ${remote} is not an s3://BUCKET/PREFIX (or file://) URL`);
      if (hit) remote = hit.url;
      say(`S3 prefix (from --remote): ${remote}`);
    } else {
      const f = findRemote(just, root, justfile);
      remote = f.url;
      say(`S3 prefix, from the Justfile's ${f.variable}: ${remote}`);
      if (f.rcloneRemote && f.rcloneRemote !== ':s3') {
        say(`  (read through the rclone remote "${f.rcloneRemote}:"; Strata talks to S3 directly with AWS_PROFILE from .env.`);
        say(`   If that remote is not plain AWS S3, set AWS_ENDPOINT_URL_S3 in .env.)`);
      }
    }
    const mainBranch = opts.mainBranch ?? mainBranchOf(root);
    config = [
      "# Strata: where this project's data layers live (docs: node_modules/strata/docs/new-project.md).",
      '# On the main branch the layout is PREFIX/<layer>/…, as the rclone recipes used it;',
      '# other git branches live under PREFIX/branches/<branch>/. Personal settings go in .env.',
      `remote: ${remote}`,
      opts.hub ? `# processed/ is versioned on this Hugging Face dataset.\nhub: ${opts.hub}` : '# hub: hf://datasets/ORG/NAME   # to version processed/ on the Hugging Face Hub instead',
      `main_branch: ${mainBranch}`,
      '',
    ].join('\n');
    changes.push(['strata.yaml', config]);
    say(`strata.yaml: ${act} be written (remote ${remote}, main branch ${mainBranch}${opts.hub ? `, hub ${opts.hub}` : ''}).`);
  }

  // 2. Justfile
  let newText = null;
  let removed = [];
  if (alreadyImports) {
    say(`${path.basename(justfile)} already imports Strata: kept as it is.`);
  } else {
    if (fs.existsSync(path.join(root, BACKUP))) throw new AdoptError(`${BACKUP} exists already; move it away first (it would be overwritten)`);
    const names = strataRecipeNames(just, strataJust);
    ({ text: newText, removed } = withoutRecipes(oldText, names));
    newText = withImport(newText);
    say(`${path.basename(justfile)}: ${act} be kept as ${BACKUP}, then rewritten:`);
    say(`  replaced by Strata's: ${removed.length ? removed.join(', ') : '(none)'}`);
    const left = [];
    for (const m of newText.matchAll(/^@?([A-Za-z_][A-Za-z0-9_-]*)(?:\s[^:\n]*)?:(?!=)[^\n]*\n((?:[ \t]+[^\n]*\n|\n)*)/gm)) {
      if (/\b(rclone|s5cmd|aws s3)\b/.test(m[2])) left.push(m[1]);
    }
    if (left.length) say(`  still calling rclone/s5cmd/aws (kept; remove them when nobody needs them): ${left.join(', ')}`);
  }

  // 3. .gitignore
  const ignoreNeeds = [
    ['.strata/', '.strata/state'],
    ['node_modules/', 'node_modules/x'],
    ['data/_recycle/', 'data/_recycle/x'],
    ['.env', '.env'],
  ];
  const missing = ignoreNeeds.filter(([, probe]) => !run('git', ['check-ignore', '-q', '--no-index', probe], root).ok).map(([line]) => line);
  if (missing.length) say(`.gitignore: ${act} get ${missing.join(' ')}`);

  if (opts.dryRun) {
    say('\n--dry-run: nothing written.');
    return;
  }

  // The Justfile first: the new one must parse, with Strata's recipes in it; otherwise the
  // old one goes back and nothing else is written.
  const backupPath = path.join(root, BACKUP);
  if (newText !== null) {
    fs.copyFileSync(justfile, backupPath, fs.constants.COPYFILE_EXCL);
    fs.writeFileSync(justfile, newText);
    const check = run(just, ['--justfile', justfile, '--summary'], root);
    if (!check.ok || !check.out.split(/\s+/).includes('get-inputs')) {
      fs.copyFileSync(backupPath, justfile);
      fs.rmSync(backupPath);
      throw new AdoptError(`the rewritten Justfile does not work (${(check.err || check.out).trim()}); the old one is back in place and nothing was written. Edit it by hand (docs/new-project.md, "Doing it by hand").`);
    }
  }
  if (config !== null) fs.writeFileSync(configPath, config, { flag: 'wx' });
  if (missing.length) {
    const gi = path.join(root, '.gitignore');
    const before = fs.existsSync(gi) ? fs.readFileSync(gi, 'utf8') : '';
    fs.writeFileSync(gi, before + (before && !before.endsWith('\n') ? '\n' : '') + `# Strata\n${missing.join('\n')}\n`);
  }

  say('\nDone. Next:');
  say('  just status          # every file should show as unchanged: nothing to download');
  say('  just get-inputs && just get-results');
  say(`  git add strata.yaml ${path.basename(justfile)} ${BACKUP} .gitignore package.json package-lock.json && git commit -m "Data recipes: Strata"`);
}

// Run only as a program (the helpers above can be imported by tests).
if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  try {
    main();
  } catch (e) {
    if (e instanceof AdoptError) {
      process.stderr.write(`adopt: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
