// The one folder walker of the tests: what a folder holds, as forward-slash keys relative to
// it, for comparing a working copy, a folder remote or any other folder with what a test
// expects. Folders are walked, never followed through a symbolic link; a missing folder holds
// nothing. Strata's temp files (*.strata-tmp) and .gitkeep are left out unless asked for: a
// killed run may leave the one, the lab's layout has the other.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface TreeOptions {
  /** Include Strata's temp files (*.strata-tmp). */
  withTemp?: boolean;
  /** Include .gitkeep files. */
  withGitkeep?: boolean;
}

const TEMP = '.strata-tmp';

/** sha256 of a Buffer or string, hex: how trees compare contents. */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** key → sha256 for a map key → content (to compare with tree()). */
export function hashed(contents: Record<string, string | Buffer>): Record<string, string> {
  return Object.fromEntries(Object.entries(contents).map(([k, v]) => [k, sha256(v)]));
}

/** Every entry under `dir` that is not a folder (files, symbolic links…), sorted. */
export function fileKeys(dir: string, opts: TreeOptions = {}): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(rel ? path.join(dir, ...rel.split('/')) : dir, { withFileTypes: true });
    } catch (e) {
      // Missing, or removed while a run is still going: nothing there.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const d of dirents) {
      const key = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(key);
      else if (d.name.endsWith(TEMP) ? opts.withTemp : d.name === '.gitkeep' ? opts.withGitkeep : true) out.push(key);
    }
  };
  walk('');
  return out.sort();
}

/** The file (or link) at key under dir. */
const at = (dir: string, key: string) => path.join(dir, ...key.split('/'));

/** key → sha256 of everything under `dir`; a symbolic link as "symlink → TARGET" (never read through). */
export function tree(dir: string, opts: TreeOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of fileKeys(dir, opts)) {
    const file = at(dir, key);
    const st = fs.lstatSync(file);
    out[key] = st.isSymbolicLink() ? `symlink → ${fs.readlinkSync(file)}` : sha256(fs.readFileSync(file));
  }
  return out;
}

/** key → text of every file under `dir`. */
export function texts(dir: string, opts: TreeOptions = {}): Record<string, string> {
  return Object.fromEntries(fileKeys(dir, opts).map((k) => [k, fs.readFileSync(at(dir, k), 'utf8')]));
}

/** key → size of everything under `dir`, temp files included; -1 for a file gone before it could be looked at (a run still going). */
export function sizes(dir: string): Record<string, number> {
  return Object.fromEntries(fileKeys(dir, { withTemp: true, withGitkeep: true }).map((k) => [k, fs.statSync(at(dir, k), { throwIfNoEntry: false })?.size ?? -1]));
}

/** Keys of Strata's temp files left under `dir`. */
export function tempFiles(dir: string): string[] {
  return fileKeys(dir, { withTemp: true }).filter((k) => k.endsWith(TEMP));
}
