// Layer folders checked as paths (SPEC §6.14). An exact sync moves and recycles every file
// of a layer folder, so two layers sharing a folder, a layer in .git, or a recycle folder
// inside a layer each lose data. Raw strings hide all of these ("data/processed/../interim",
// "./data/processed", "data//processed", a symlinked folder), so every folder is compared
// twice: as a normalised path inside the project, and as the real folder it resolves to.
import fs from 'node:fs';
import path from 'node:path';

/** A configured folder: the key that holds it (for messages) and its value, relative to the project. */
export interface FolderSetting {
  key: string;
  value: string;
  /** The recycle folder may not hold a layer; layers may not hold each other. */
  role: 'layer' | 'recycle';
}

export interface FolderProblem {
  key: string;
  message: string;
}

/** Folders Strata must never sync or recycle into: git's, its own, and installed packages. */
const RESERVED = ['.git', '.strata', 'node_modules'];

/** normaliseFolder spells a relative folder one way: no "./", no "//", no trailing slash, ".." resolved. */
export function normaliseFolder(value: string): string {
  const n = path.posix.normalize(value.replace(/\/+$/, ''));
  return n === '' ? '.' : n.replace(/\/+$/, '');
}

/** realFolder resolves symlinks in the part of `abs` that exists and keeps the rest as written. */
export function realFolder(abs: string): string {
  const rest: string[] = [];
  let dir = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync(dir), ...rest.reverse());
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return abs;
      rest.push(path.basename(dir));
      dir = up;
    }
  }
}

const inside = (child: string, parent: string) => child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

/**
 * checkFolders normalises every folder setting and lists what each may not be: outside the
 * project, the project itself, in .git/.strata/node_modules, the same as or inside another
 * layer's folder, a recycle folder inside a layer or a layer inside it. Returns the
 * normalised values by key; each problem names the key and the path it resolves to.
 */
export function checkFolders(projectRoot: string, settings: FolderSetting[]): { folders: Map<string, string>; problems: FolderProblem[] } {
  const problems: FolderProblem[] = [];
  const folders = new Map<string, string>();
  const realRoot = realFolder(projectRoot);
  const shown = (real: string) => (inside(real, realRoot) ? path.relative(realRoot, real).split(path.sep).join('/') : real);
  const checked: { setting: FolderSetting; real: string }[] = [];
  for (const setting of settings) {
    const { key, value } = setting;
    if (path.isAbsolute(value)) {
      problems.push({ key, message: `"${value}" is an absolute path; give the folder relative to the project root (e.g. data/processed)` });
      continue;
    }
    const folder = normaliseFolder(value);
    const said = folder === value ? `"${value}"` : `"${value}" (resolves to ${folder})`;
    if (folder === '.') {
      problems.push({ key, message: `${said} is the project root itself; give a folder inside it (e.g. data/processed)` });
      continue;
    }
    if (folder === '..' || folder.startsWith('../')) {
      problems.push({ key, message: `${said} is outside the project; give a folder inside it` });
      continue;
    }
    const reserved = folder.split('/').find((s) => RESERVED.includes(s));
    if (reserved) {
      problems.push({ key, message: `${said} is inside ${reserved}/, which Strata never syncs or recycles into` });
      continue;
    }
    // The same checks on the real folder: a symlink may lead to the root, .git, or another layer.
    const real = realFolder(path.join(projectRoot, folder));
    const via = real === path.join(realRoot, folder) ? '' : ` (through a symbolic link: ${shown(real)})`;
    if (real === realRoot || inside(realRoot, real)) {
      problems.push({ key, message: `${said}${via} is or contains the project root; give a folder inside it` });
      continue;
    }
    const realReserved = inside(real, realRoot) ? path.relative(realRoot, real).split(path.sep).find((s) => RESERVED.includes(s)) : undefined;
    if (realReserved) {
      problems.push({ key, message: `${said}${via} is inside ${realReserved}/, which Strata never syncs or recycles into` });
      continue;
    }
    folders.set(key, folder);
    checked.push({ setting, real });
  }
  // Pairs: each problem is reported once, on the later key (or on the recycle folder).
  for (let i = 0; i < checked.length; i++) {
    for (let j = i + 1; j < checked.length; j++) {
      const [a, b] = [checked[i]!, checked[j]!];
      if (a.setting.role === 'recycle' && b.setting.role === 'recycle') continue;
      const target = b.setting.role === 'recycle' || a.setting.role !== 'recycle' ? b : a;
      const other = target === b ? a : b;
      const where = `"${target.setting.value}"${shown(target.real) === target.setting.value ? '' : ` (resolves to ${shown(target.real)})`}`;
      const theirs = `${other.setting.key} (${shown(other.real)})`;
      if (a.real === b.real) problems.push({ key: target.setting.key, message: `${where} is the same folder as ${theirs}` });
      else if (inside(target.real, other.real)) problems.push({ key: target.setting.key, message: `${where} lies inside ${theirs}` });
      else if (inside(other.real, target.real)) problems.push({ key: target.setting.key, message: `${where} contains ${theirs}` });
    }
  }
  return { folders, problems };
}
