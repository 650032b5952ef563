// What both ways into Strata share (adopt.mjs picks the way): running a program, finding
// `just` and the project's Justfile, reading an S3 prefix, the main branch, and what the
// project's .gitignore must say for Strata's own files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const STRATA_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const IMPORT_LINE = "import? 'node_modules/strata/strata.just'";

/** An error the person running adopt can act on: printed as one line, exit code 2. */
export class AdoptError extends Error {}

export function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) return { ok: false, out: '', err: r.error.message };
  return { ok: r.status === 0, out: r.stdout, err: r.stderr };
}

/** justBinary: the project's node_modules/.bin/just, Strata's own, or the one on PATH. */
export function justBinary(root) {
  for (const p of [path.join(root, 'node_modules', '.bin', 'just'), path.join(STRATA_ROOT, 'node_modules', '.bin', 'just')]) {
    if (fs.existsSync(p)) return p;
  }
  return 'just';
}

export function findJustfile(root) {
  for (const name of ['Justfile', 'justfile', '.justfile']) if (fs.existsSync(path.join(root, name))) return path.join(root, name);
  return null;
}

/** importsStrata: the Justfile already has Strata's recipes (the lab template's, or a switched one). */
export function importsStrata(justfileText) {
  return justfileText.includes('node_modules/strata/strata.just');
}

/** strataRecipeNames: the recipes strata.just defines. */
export function strataRecipeNames(just, strataJust) {
  const r = run(just, ['--justfile', strataJust, '--summary'], path.dirname(strataJust));
  if (!r.ok) throw new AdoptError(`cannot read ${strataJust} with ${just}: ${r.err.trim()}`);
  return new Set(r.out.trim().split(/\s+/).filter(Boolean));
}

/**
 * justfileWorks: the project's Justfile parses and lists Strata's recipes (an import that
 * clashes with a project recipe or variable makes just refuse the whole file).
 */
export function justfileWorks(just, root, justfile) {
  const check = run(just, ['--justfile', justfile, '--summary'], root);
  if (check.ok && check.out.split(/\s+/).includes('get-inputs')) return null;
  return (check.err || check.out).trim() || 'it lists no get-inputs recipe';
}

/**
 * s3UrlFrom turns what a sync command names into an s3:// URL: `s3://b/p`, an rclone
 * remote `NAME:b/p`, or an on-the-fly one `:s3,k=v,…:b/p`. Anything else gives null.
 */
export function s3UrlFrom(value) {
  let m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(\S+?)\/*$/.exec(value);
  if (m) return { url: `s3://${m[1]}/${m[2]}`, rcloneRemote: null };
  m = /^(:s3[^:]*|[A-Za-z0-9_.-]+):([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(\S+?)\/*$/.exec(value);
  if (m && !/^(https?|file|hf)$/.test(m[1])) return { url: `s3://${m[2]}/${m[3]}`, rcloneRemote: m[1].startsWith(':') ? ':s3' : m[1] };
  return null;
}

/** givenRemote checks --remote: an S3 prefix (any spelling s3UrlFrom knows) or a file:// folder. */
export function givenRemote(remote) {
  const hit = s3UrlFrom(remote);
  if (hit) return hit.url;
  if (remote.startsWith('file://')) return remote;
  throw new AdoptError(`--remote ${remote} is not an s3://BUCKET/PREFIX (or file://) URL`);
}

/**
 * mainBranchOf: origin's default branch; else main or master when one exists; else the
 * branch a fresh repository (no commit yet) is on; else main.
 */
export function mainBranchOf(root) {
  const r = run('git', ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD'], root);
  if (r.ok && r.out.trim()) return r.out.trim().replace(/^origin\//, '');
  for (const b of ['main', 'master']) if (run('git', ['rev-parse', '--verify', '-q', `refs/heads/${b}`], root).ok) return b;
  const head = run('git', ['symbolic-ref', '--short', 'HEAD'], root);
  if (head.ok && head.out.trim()) return head.out.trim();
  return 'main';
}

/** isIgnored: whether git would ignore `rel` (a path relative to root, existing or not). */
export function isIgnored(root, rel) {
  return run('git', ['check-ignore', '-q', '--no-index', rel], root).ok;
}

/** The .gitignore lines Strata's own files need, each with a path that shows whether it is there. */
export const STRATA_IGNORES = [
  ['.strata/', '.strata/state'],
  ['node_modules/', 'node_modules/x'],
  ['data/_recycle/', 'data/_recycle/x'],
  ['.env', '.env'],
];

/** missingIgnores: the lines of STRATA_IGNORES the project's ignore rules do not cover yet. */
export function missingIgnores(root) {
  return STRATA_IGNORES.filter(([, probe]) => !isIgnored(root, probe)).map(([line]) => line);
}

/** withLines appends lines to a .gitignore's text under a "# Strata" heading. */
export function withLines(text, lines) {
  if (!lines.length) return text;
  return text + (text && !text.endsWith('\n') ? '\n' : '') + `# Strata\n${lines.join('\n')}\n`;
}

/** The first thing adopt checks: run from a git repository's top folder, with Strata installed. */
export function checkProject(root) {
  if (!fs.existsSync(path.join(root, '.git'))) {
    throw new AdoptError(`${root} is not the top folder of a git repository; run this from the project's top folder (a new project: \`git init -b main\` first)`);
  }
  const strataJust = path.join(root, 'node_modules', 'strata', 'strata.just');
  if (!fs.existsSync(strataJust)) {
    throw new AdoptError(`Strata is not installed in this project (no ${path.relative(root, strataJust)}); run \`npm install --save-dev rust-just <strata source>\` first`);
  }
  return strataJust;
}
