// listLocal walks a layer folder in key order, one directory at a time, and hands the files
// to planning as it goes: memory holds a directory's names, never the layer. It only stats —
// no file is read here (planning reuses the hash cache's digests of files whose size and
// mtime are unchanged).
import fs from 'node:fs';
import path from 'node:path';
import { byKey, compareKeys, type Entry } from './entry.js';
import type { ExcludeMatcher } from './exclude.js';
import { keyProblem, normaliseKey, screen, type Refusal } from './keys.js';

export interface LocalListing {
  /**
   * The files in key order (compareKeys), one entry per key, read as they are asked for.
   * `skipped`, `temps` and `refused` are complete once it has been read to the end.
   */
  entries: Iterable<Entry>;
  /** Paths skipped with a reason (symlinks, sockets, unreadable folders), for warnings. */
  skipped: { key: string; reason: string }[];
  /** False when the layer folder does not exist at all (unmounted share, wrong folder). */
  exists: boolean;
  /** Strata temp files left by a killed run (never synced; a pull removes them). */
  temps: string[];
  /**
   * Names the key rule refuses (a teammate's pull would): a push refuses while any is
   * here. They stay in `entries`, so that a pull still treats them as local files.
   */
  refused: Refusal[];
}

/** listLocal lists files under `root` (optionally only under `scope/`), sorted by key, lazily. */
export function listLocal(root: string, exclude: ExcludeMatcher, scope = ''): LocalListing {
  const listing: LocalListing = { entries: [], skipped: [], exists: fs.existsSync(root), temps: [], refused: [] };
  if (listing.exists) listing.entries = new Walk(listing, exclude).files(scope ? path.join(root, scope) : root, scope);
  return listing;
}

interface Name {
  dirent: fs.Dirent;
  /** The path as found, relative to the layer. */
  name: string;
  key: string;
  /** What orders it among its siblings: a folder's key with '/', as all its files begin. */
  order: string;
}

class Walk {
  constructor(
    private readonly out: LocalListing,
    private readonly exclude: ExcludeMatcher,
  ) {}

  *files(dir: string, rel: string): Generator<Entry> {
    const names = this.read(dir, rel);
    if (!names) return;
    // Twins (names equal in NFC, or in letter case) meet as siblings in some folder. Only
    // there is the whole subtree read at once, to apply the key rule to all of it (screen).
    if (hasTwins(names)) {
      yield* this.screened(dir, rel, names);
      return;
    }
    names.sort((a, b) => compareKeys(a.order, b.order));
    for (const n of names) {
      if (n.dirent.isDirectory()) yield* this.files(path.join(dir, n.dirent.name), n.name);
      else {
        const entry = this.file(dir, n);
        if (!entry) continue;
        const problem = keyProblem(n.name);
        if (problem) this.out.refused.push({ key: n.name, reason: problem });
        yield entry;
      }
    }
  }

  /** The names of a folder worth listing (folders and files not excluded), or null when it cannot be read. */
  private read(dir: string, rel: string): Name[] | null {
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!(code === 'ENOENT' && rel)) this.out.skipped.push({ key: rel || '.', reason: `cannot read folder (${code})` }); // a scoped run folder may not exist yet
      return null;
    }
    const names: Name[] = [];
    for (const d of dirents) {
      const name = rel ? `${rel}/${d.name}` : d.name;
      const key = normaliseKey(name);
      if (d.isDirectory()) {
        if (!(this.exclude(key + '/') || this.exclude(key + '/x'))) names.push({ dirent: d, name, key, order: key + '/' });
      } else if (d.name.endsWith('.strata-tmp')) this.out.temps.push(path.join(dir, d.name));
      else if (!this.exclude(key)) names.push({ dirent: d, name, key, order: key });
    }
    return names;
  }

  /** A file's entry (stat only), or null when it is skipped with a reason. */
  private file(dir: string, n: Name): Entry | null {
    const d = n.dirent;
    if (d.isSymbolicLink()) {
      this.out.skipped.push({ key: n.key, reason: 'symbolic link (not followed)' });
      return null;
    }
    if (!d.isFile()) {
      this.out.skipped.push({ key: n.key, reason: 'not a regular file' });
      return null;
    }
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(dir, d.name));
    } catch (e) {
      this.out.skipped.push({ key: n.key, reason: `cannot stat (${(e as NodeJS.ErrnoException).code})` });
      return null;
    }
    const entry: Entry = { key: n.key, size: st.size, mtimeMs: st.mtimeMs, digests: {} };
    if (n.name !== n.key) entry.name = n.name;
    return entry;
  }

  /** A folder holding twins: all of it read, the key rule applied to the whole, one entry per key. */
  private *screened(dir: string, rel: string, names: Name[]): Generator<Entry> {
    const all: Entry[] = [];
    const collect = (d: string, list: Name[]) => {
      for (const n of list) {
        if (n.dirent.isDirectory()) {
          const sub = path.join(d, n.dirent.name);
          const inner = this.read(sub, n.name);
          if (inner) collect(sub, inner);
        } else {
          const entry = this.file(d, n);
          if (entry) all.push(entry);
        }
      }
    };
    collect(dir, names);
    all.sort(byKey);
    this.out.refused.push(...screen(all).refused);
    // Unicode twins share one key: the first stands for it; `refused` names both.
    for (let i = 0; i < all.length; i++) if (i === 0 || all[i - 1]!.key !== all[i]!.key) yield all[i]!;
  }
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
