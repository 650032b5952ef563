// The state record's data: what one working copy remembers per layer. It caches local hashes
// (a file is re-hashed only when its size or mtime changes) and remembers, per space, what the
// remote held at the last sync — which is how Strata tells unshared local work from files it
// put there, and a teammate's push from our own. Where it is kept is store.ts; how a sync
// changes it is transitions.ts.
import type { DigestName, KeySample } from '../listing/entry.js';

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

/**
 * What the record keeps of one space besides its files: the files (every key the remote held
 * after the last sync, and its content) are rows read in key order (`LayerState.rows`), never
 * a map in memory.
 */
export interface SpaceRecord {
  /** The space's head at the last sync: journal sequence (S3, file) or commit id (Hub). */
  head: string | null;
  syncedAt: string;
  /** A push that claimed a journal sequence but did not finish: a re-run may continue it. */
  pending?: Claim;
  /**
   * Heads seen by syncs of one run folder (get-results-for / put-results-for). A scoped sync
   * never advances `head`, which promises the whole space was seen.
   */
  scopeHeads?: Record<string, string | null>;
}

export interface Claim {
  seq: number;
  id: string;
}

/** Set while the folder holds a past revision (get-results-at): a push would roll the branch back. */
export interface HeldRevision {
  rev: string;
  commit: string | null;
  branch: string;
  pulledAt: string;
}

/** What the record says of the layer's folder as a whole. */
export interface FolderRecord {
  /**
   * The space the folder was last made equal to (its last full pull or push). A pull from
   * another space tells local deletions from files the folder never had by this record.
   */
  basis?: string;
  revision?: HeldRevision;
}

/**
 * LayerState is one layer's record as a sync sees it: the folder record, and the spaces it
 * touches, read on first use — never every space the working copy ever visited.
 */
export interface LayerState {
  layer: string;
  folder: FolderRecord;
  /** The record of one space (loaded on first use); undefined when never synced from here. */
  space(id: string): SpaceRecord | undefined;
  /** What a space held at the last sync (of one run folder in it, or all), in key order (compareKeys). */
  rows(id: string, scope: string): Iterable<[string, RemoteRecord]>;
  /** What a space held for one key at the last sync. */
  row(id: string, key: string): RemoteRecord | undefined;
  /** The keys a space held at the last sync (in scope) as a sample, for listing in key ranges. */
  sample(id: string, scope: string): KeySample;
  /** The hash cache of the layer (or of one run folder in it), in one read. */
  files(scope: string): Iterable<[string, FileRecord]>;
  /** Every content any space of this layer held for `key` at its last sync (unshared-work check). */
  shared(key: string): Digests[];
  /**
   * stage starts a push's staging area (empty): the rows of each file the push writes go there
   * as it finishes, a chunk at a time, and reach the record only with the save that
   * commits the push (`StateChange.staged`). A killed run loses them with its connection.
   */
  stage(): Staging;
  /** save writes a change (one transaction) and keeps this view in step with it. */
  save(change: StateChange): void;
}

/** A file a push wrote, as staged: its hash-cache row and its row of the space share one set of digests. */
export interface StagedRow {
  size: number;
  mtimeMs: number;
  tag?: string;
  digests: Digests;
}

/** Staging: where a push puts the rows of the files it wrote, without holding them. */
export interface Staging {
  add(key: string, row: StagedRow): void;
  /** The digests of every key staged so far (read back, in key order). */
  digests(): Iterable<[string, Digests]>;
}

export function emptySpace(): SpaceRecord {
  return { head: null, syncedAt: '' };
}

/** The rows a save writes: computed by transitions.ts (pure), applied by store.ts in one transaction. */
export interface StateChange {
  folder?: FolderRecord;
  files?: Map<string, FileRecord | null>;
  space?: {
    name: string;
    /** A read-only view of a past revision (forgotten by age). */
    revision?: boolean;
    meta: SpaceRecord;
    remote: { put: Iterable<[string, RemoteRecord]>; drop: string[] };
  };
  /**
   * The rows a push staged (LayerState.stage) are written with this change: always their
   * hash-cache rows (the local files' digests hold whatever the push's outcome); with
   * `remote`, their rows of the space too (a push that succeeded).
   */
  staged?: { remote: boolean };
}

