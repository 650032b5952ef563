// listLocal walks a layer folder in key order, one directory at a time (walk.ts), and hands
// the files to planning as it goes: memory holds a directory's names, never the layer. It
// only stats — no file is read here (planning reuses the hash cache's digests of files whose
// size and mtime are unchanged).
import fs from 'node:fs';
import path from 'node:path';
import type { Entry } from './entry.js';
import type { ExcludeMatcher } from './exclude.js';
import type { Refusal } from './keys.js';
import { walkInKeyOrder } from './walk.js';

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
  if (!listing.exists) return listing;
  listing.entries = walkInKeyOrder(scope ? path.join(root, scope) : root, scope, {
    exclude,
    entry: (key, st) => ({ key, size: st.size, mtimeMs: st.mtimeMs, digests: {} }),
    onTemp: (file) => listing.temps.push(file),
    onSkip: (key, reason, code) => {
      // A scoped run folder that does not exist yet is simply empty.
      if (!(code === 'ENOENT' && key === scope && scope)) listing.skipped.push({ key, reason });
    },
    refused: listing.refused,
    keepRefused: true,
  });
  return listing;
}
