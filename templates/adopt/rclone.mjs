// The switch of a project whose Justfile moves data with the lab's rclone recipes: the old
// Justfile is kept byte for byte as Justfile.rclone, the new one is the old without the
// recipes Strata provides, plus Strata's import; strata.yaml names the prefix the rclone
// recipes used, so the bucket layout stays as it is (docs/new-project.md, "Adopting Strata
// in an existing rclone project").
import fs from 'node:fs';
import path from 'node:path';
import { AdoptError, IMPORT_LINE, givenRemote, justfileWorks, mainBranchOf, missingIgnores, run, s3UrlFrom, strataRecipeNames, withLines } from './common.mjs';

const BACKUP = 'Justfile.rclone';
const LAYER_FOLDERS = new Set(['external', 'profiles', 'interim', 'processed']);

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

/** adoptRclone switches the project at root; `say` prints one line of the report. */
export function adoptRclone({ root, justfile, just, strataJust, opts, say }) {
  const act = opts.dryRun ? 'would' : 'will';
  const oldText = fs.readFileSync(justfile, 'utf8');
  const configPath = path.join(root, 'strata.yaml');

  // 1. strata.yaml
  let config = null;
  if (fs.existsSync(configPath)) {
    say(`strata.yaml exists: kept as it is.`);
  } else {
    let remote;
    if (opts.remote) {
      remote = givenRemote(opts.remote);
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
    say(`strata.yaml: ${act} be written (remote ${remote}, main branch ${mainBranch}${opts.hub ? `, hub ${opts.hub}` : ''}).`);
  }

  // 2. Justfile
  if (fs.existsSync(path.join(root, BACKUP))) throw new AdoptError(`${BACKUP} exists already; move it away first (it would be overwritten)`);
  const names = strataRecipeNames(just, strataJust);
  let { text: newText, removed } = withoutRecipes(oldText, names);
  newText = withImport(newText);
  say(`${path.basename(justfile)}: ${act} be kept as ${BACKUP}, then rewritten:`);
  say(`  replaced by Strata's: ${removed.length ? removed.join(', ') : '(none)'}`);
  const left = [];
  for (const m of newText.matchAll(/^@?([A-Za-z_][A-Za-z0-9_-]*)(?:\s[^:\n]*)?:(?!=)[^\n]*\n((?:[ \t]+[^\n]*\n|\n)*)/gm)) {
    if (/\b(rclone|s5cmd|aws s3)\b/.test(m[2])) left.push(m[1]);
  }
  if (left.length) say(`  still calling rclone/s5cmd/aws (kept; remove them when nobody needs them): ${left.join(', ')}`);

  // 3. .gitignore
  const missing = missingIgnores(root);
  if (missing.length) say(`.gitignore: ${act} get ${missing.join(' ')}`);

  if (opts.dryRun) {
    say('\n--dry-run: nothing written.');
    return;
  }

  // The Justfile first: the new one must parse, with Strata's recipes in it; otherwise the
  // old one goes back and nothing else is written.
  const backupPath = path.join(root, BACKUP);
  fs.copyFileSync(justfile, backupPath, fs.constants.COPYFILE_EXCL);
  fs.writeFileSync(justfile, newText);
  const problem = justfileWorks(just, root, justfile);
  if (problem) {
    fs.copyFileSync(backupPath, justfile);
    fs.rmSync(backupPath);
    throw new AdoptError(`the rewritten Justfile does not work (${problem}); the old one is back in place and nothing was written. Edit it by hand (docs/new-project.md, "Doing it by hand").`);
  }
  if (config !== null) fs.writeFileSync(configPath, config, { flag: 'wx' });
  if (missing.length) {
    const gi = path.join(root, '.gitignore');
    fs.writeFileSync(gi, withLines(fs.existsSync(gi) ? fs.readFileSync(gi, 'utf8') : '', missing));
  }

  say('\nDone. Next:');
  say('  just status          # every file should show as unchanged: nothing to download');
  say('  just get-inputs && just get-results');
  say(`  git add strata.yaml ${path.basename(justfile)} ${BACKUP} .gitignore package.json package-lock.json && git commit -m "Data recipes: Strata"`);
}
