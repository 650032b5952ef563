// listLocal scans a layer folder into sorted Entries. It only stats: no file is read here
// (prepare.ts then reuses the state record's hashes of files whose size and mtime are unchanged).
import fs from 'node:fs';
import path from 'node:path';
import { byKey, type Entry } from './entry.js';
import type { ExcludeMatcher } from './exclude.js';
import { normaliseKey, screen, type Refusal } from './keys.js';

export interface LocalListing {
  entries: Entry[];
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

/** listLocal lists files under `root` (optionally only under `scope/`), sorted by key. */
export function listLocal(root: string, exclude: ExcludeMatcher, scope = ''): LocalListing {
  const entries: Entry[] = [];
  const skipped: LocalListing['skipped'] = [];
  const temps: string[] = [];
  if (!fs.existsSync(root)) return { entries, skipped, exists: false, temps, refused: [] };
  const start = scope ? path.join(root, scope) : root;
  walk(start, scope, entries, skipped, exclude, temps);
  entries.sort(byKey);
  return { entries, skipped, exists: true, temps, refused: screen(entries).refused };
}

function walk(dir: string, rel: string, entries: Entry[], skipped: LocalListing['skipped'], exclude: ExcludeMatcher, temps: string[]) {
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && rel) return; // a scoped run folder that does not exist yet
    skipped.push({ key: rel || '.', reason: `cannot read folder (${code})` });
    return;
  }
  for (const d of dirents) {
    const name = rel ? `${rel}/${d.name}` : d.name;
    const key = normaliseKey(name);
    if (d.isDirectory()) {
      if (exclude(key + '/') || exclude(key + '/x')) continue;
      walk(path.join(dir, d.name), name, entries, skipped, exclude, temps);
      continue;
    }
    if (d.name.endsWith('.strata-tmp')) {
      temps.push(path.join(dir, d.name));
      continue;
    }
    if (exclude(key)) continue;
    if (d.isSymbolicLink()) {
      skipped.push({ key, reason: 'symbolic link (not followed)' });
      continue;
    }
    if (!d.isFile()) {
      skipped.push({ key, reason: 'not a regular file' });
      continue;
    }
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(dir, d.name));
    } catch (e) {
      skipped.push({ key, reason: `cannot stat (${(e as NodeJS.ErrnoException).code})` });
      continue;
    }
    const entry: Entry = { key, size: st.size, mtimeMs: st.mtimeMs, digests: {} };
    if (name !== key) entry.name = name;
    entries.push(entry);
  }
}
