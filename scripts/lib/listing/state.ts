// The state record: one JSON file per layer in the working copy's .strata/state/ folder.
// It caches local hashes (a file is re-hashed only when its size or mtime changes) and
// remembers, per space, what the remote held at the last sync — which is how Strata tells
// unshared local work from files it put there, and a teammate's push from our own.
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { DigestName } from './entry.js';

export type Digests = Partial<Record<DigestName, string>>;

export interface FileRecord {
  size: number;
  mtimeMs: number;
  digests: Digests;
}

export interface RemoteRecord {
  size: number;
  tag?: string;
  digests: Digests;
}

export interface SpaceRecord {
  /** The space's head at the last sync: journal sequence (S3, file) or commit id (Hub). */
  head: string | null;
  syncedAt: string;
  /** Every key the remote held after the last sync, and its content. */
  remote: Record<string, RemoteRecord>;
  /** A push that claimed a journal sequence but did not finish: a re-run may continue it. */
  pending?: { seq: number; id: string };
  /**
   * Heads seen by syncs of one run folder (get-results-for / put-results-for). A scoped sync
   * never advances `head`, which promises the whole space was seen.
   */
  scopeHeads?: Record<string, string | null>;
}

export interface LayerState {
  version: 1;
  files: Record<string, FileRecord>;
  spaces: Record<string, SpaceRecord>;
  /**
   * The space the folder was last made equal to (its last full pull or push). A pull from
   * another space tells local deletions from files the folder never had by this record.
   */
  basis?: string;
  /** Set while the folder holds a past revision (get-results-at): a push would roll the branch back. */
  revision?: { rev: string; commit: string | null; branch: string; pulledAt: string };
}

function stateDir(projectRoot: string): string {
  return path.join(projectRoot, '.strata', 'state');
}

/** loadState reads a layer's record; a missing or unreadable one starts empty (nothing is lost: it is a cache plus safety memory). */
export function loadState(projectRoot: string, layer: string): LayerState {
  const file = path.join(stateDir(projectRoot), `${layer}.json`);
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as LayerState;
    if (parsed.version === 1 && parsed.files && parsed.spaces) return parsed;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      // NOTE: a corrupt record can only come from outside Strata (writes are atomic); starting
      // empty makes every differing local file count as unshared, which is the safe side.
      process.stderr.write(`warning: state record ${file} is unreadable (${(e as Error).message}); starting a new one\n`);
    }
  }
  return { version: 1, files: {}, spaces: {} };
}

/** saveState writes the record atomically (temp file + fsync + rename), so a kill never leaves it half-written. */
export async function saveState(projectRoot: string, layer: string, state: LayerState): Promise<void> {
  const dir = stateDir(projectRoot);
  await fs.promises.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, `${layer}.json`), JSON.stringify(state));
}

/** sharedDigests lists, for one key, every content any space held at its last sync. */
export function sharedDigests(state: LayerState, key: string): Digests[] {
  const out: Digests[] = [];
  for (const space of Object.values(state.spaces)) {
    const r = space.remote[key];
    if (r) out.push(r.digests);
  }
  return out;
}
