// walkInKeyOrder: a folder tree's files in key order (compareKeys), one directory at a time,
// as the reader asks for them — memory holds a directory's names, never the tree. Both folder
// listings use it: the layer folder (local.ts) and a folder remote (remotes/file.ts).
import fs from 'node:fs';
import path from 'node:path';
import { byKey, compareKeys, type Entry } from './entry.js';
import { keyProblem, normaliseKey, screen, type Refusal } from './keys.js';

export interface WalkOptions {
  /** Leave out a key (a folder is asked as `key/` and `key/x`). */
  exclude?: (key: string) => boolean;
  /** The entry for a regular file, from its stat (size and mtime, or a change tag). */
  entry: (key: string, st: fs.Stats) => Entry;
  /** A Strata temp file (`*.strata-tmp`): never listed. */
  onTemp?: (file: string) => void;
  /** A name that is not a regular file, or a folder that cannot be read (the layer's top as '.'). */
  onSkip?: (key: string, reason: string, code?: string) => void;
  /**
   * Names the key rule refuses (a teammate's pull would). Kept in the listing (a local
   * folder: a pull still treats them as files here) or left out (a remote: never written).
   */
  refused: Refusal[];
  keepRefused: boolean;
}

interface Name {
  dirent: fs.Dirent;
  /** The path as found, relative to the walk's root. */
  name: string;
  key: string;
  /** What orders it among its siblings: a folder's key with '/', as all its files begin. */
  order: string;
}

/** walkInKeyOrder yields the files under `dir` (whose path relative to the root is `rel`), sorted by key. */
export function* walkInKeyOrder(dir: string, rel: string, o: WalkOptions): Generator<Entry> {
  const names = readNames(dir, rel, o);
  if (!names) return;
  // Twins (names equal in NFC, or in letter case) meet as siblings in some folder. Only
  // there is the whole subtree read at once, to apply the key rule to all of it (screen).
  if (hasTwins(names)) {
    yield* screened(dir, names, o);
    return;
  }
  names.sort((a, b) => compareKeys(a.order, b.order));
  for (const n of names) {
    if (n.dirent.isDirectory()) {
      yield* walkInKeyOrder(path.join(dir, n.dirent.name), n.name, o);
      continue;
    }
    const entry = fileEntry(dir, n, o);
    if (!entry) continue;
    const problem = keyProblem(n.name);
    if (problem) {
      o.refused.push({ key: n.name, reason: problem });
      if (!o.keepRefused) continue;
    }
    yield entry;
  }
}

/** The names of a folder worth listing (folders and files not excluded), or null when it cannot be read. */
function readNames(dir: string, rel: string, o: WalkOptions): Name[] | null {
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    o.onSkip?.(rel || '.', `cannot read folder (${code})`, code);
    return null;
  }
  const names: Name[] = [];
  for (const d of dirents) {
    const name = rel ? `${rel}/${d.name}` : d.name;
    const key = normaliseKey(name);
    if (d.isDirectory()) {
      if (!o.exclude?.(key + '/') && !o.exclude?.(key + '/x')) names.push({ dirent: d, name, key, order: key + '/' });
    } else if (d.name.endsWith('.strata-tmp')) o.onTemp?.(path.join(dir, d.name));
    else if (!o.exclude?.(key)) names.push({ dirent: d, name, key, order: key });
  }
  return names;
}

/** A file's entry (stat only), or null when it is not a regular file or is gone. */
function fileEntry(dir: string, n: Name, o: WalkOptions): Entry | null {
  const d = n.dirent;
  if (d.isSymbolicLink()) {
    o.onSkip?.(n.key, 'symbolic link (not followed)');
    return null;
  }
  if (!d.isFile()) {
    o.onSkip?.(n.key, 'not a regular file');
    return null;
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(path.join(dir, d.name));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    o.onSkip?.(n.key, `cannot stat (${code})`, code);
    return null;
  }
  const entry = o.entry(n.key, st);
  if (n.name !== n.key) entry.name = n.name;
  return entry;
}

/** A folder holding twins: all of it read, the key rule applied to the whole, one entry per key. */
function* screened(dir: string, names: Name[], o: WalkOptions): Generator<Entry> {
  const all: Entry[] = [];
  const collect = (d: string, list: Name[]) => {
    for (const n of list) {
      if (n.dirent.isDirectory()) {
        const sub = path.join(d, n.dirent.name);
        const inner = readNames(sub, n.name, o);
        if (inner) collect(sub, inner);
      } else {
        const entry = fileEntry(d, n, o);
        if (entry) all.push(entry);
      }
    }
  };
  collect(dir, names);
  all.sort(byKey);
  const { kept, refused } = screen(all);
  o.refused.push(...refused);
  if (!o.keepRefused) {
    yield* kept;
    return;
  }
  // Unicode twins share one key: the first stands for it; `refused` names both.
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i - 1]!.key !== all[i]!.key) yield all[i]!;
}

/** hasTwins: two names of one folder that are one key, or differ only in letter case. */
function hasTwins(names: Name[]): boolean {
  if (names.length < 2) return false;
  const folded = new Set<string>();
  for (const n of names) {
    const f = n.key.toLowerCase();
    if (folded.has(f)) return true;
    folded.add(f);
  }
  return false;
}
