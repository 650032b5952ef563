// The small interface between planning and a backend. Backends differ most in how they
// apply a push (S3: many parallel object calls under a journal claim; the Hub: one commit
// with every addition and deletion), so the interface is "push this plan", not "put one object".
import type { Readable } from 'node:stream';
import type { Layer } from '../config/layers.js';
import type { Entry, KeySample } from '../listing/entry.js';
import type { Digests } from '../state/record.js';
import type { Plan, PlanItem } from '../plan/plan.js';
import type { Space } from '../space.js';

/**
 * A remote file opened for reading: its bytes, and the modification time the remote keeps for
 * it (recorded at push, or the remote's own time of the change), set on the file a pull writes.
 */
export interface RemoteRead {
  body: Readable;
  mtimeMs?: number;
}

export interface RemoteStream {
  /** In key order: one entry at a time (a folder's walk, a whole listing), or pages as they arrive (S3). */
  entries: Iterable<Entry> | AsyncIterable<Entry[]>;
  refused: { key: string; reason: string }[];
}

export interface RemoteListing {
  /** Sorted by key, keys normalised (NFC, forward slashes), layer-relative. */
  entries: Entry[];
  /** Keys that are unsafe to write locally (SPEC §6.9), never returned in `entries`. */
  refused: { key: string; reason: string }[];
}

/** Who made a change and from which commit: written to the journal (S3, file) or the commit (Hub). */
export interface ChangeRecord {
  recipe: string;
  layer: string;
  branch: string;
  gitSha: string | null;
  dirty: boolean;
  user: string;
  host: string;
  tool: string;
}

/** A history line, the same for the S3 journal and Hub commits (`just log`). */
export interface LogEntry extends ChangeRecord {
  id: string;
  time: string;
  title: string;
  status: 'done' | 'interrupted';
  uploaded: number;
  deleted: number;
  bytes: number;
}

/** What `just log` asks a backend for: a page of its history. */
export interface LogQuery {
  /** At most this many pushes. */
  limit: number;
  /** Only pushes that changed a key at or under this layer-relative path ('' for all). */
  path?: string;
  /** Only pushes older than this one: a page's `older`, or an id `just log` showed. */
  before?: string;
}

/** One page of history, newest first, and what `before` takes to show the page after it (null at the end). */
export interface LogPage {
  entries: LogEntry[];
  older: string | null;
}

/**
 * Which push made the content a space holds at one key (`just which`): a journal record (S3,
 * folders) or a Hub commit. `foreign` says when no Strata push wrote that content.
 */
export interface Origin {
  /** The push that wrote this content; on the Hub also a commit made by another tool (then `foreign` is set). */
  push?: LogEntry;
  /** Why the content is not a Strata push's: another tool wrote it, or changed it after the push named. */
  foreign?: string;
  /** A doubt worth saying about `push` (known by size only, an interrupted push). */
  note?: string;
}

export interface PushContext {
  /** The local layer folder the plan's keys are relative to. */
  localRoot: string;
  record: ChangeRecord;
  /** The head this working copy last synced (already compared with the remote by the caller). */
  expectedHead: string | null;
  /** A push this working copy claimed and did not finish: its journal sequence may be taken over. */
  pending?: { seq: number; id: string };
  /** Called before the journal claim (S3, file) or the first commit (Hub), so a re-run can recognise its own push. */
  onClaim?: (claim: { seq: number; id: string }) => Promise<void>;
  seedSpace?: Space;
  /** Hub: the main commit a new branch is created from (the one its plan was listed at). */
  seedHead?: string | null;
  mainBranch: string;
  transfers: number;
  events: TransferEvents;
  /** Where each file written is reported as it finishes: a push holds no map of what it wrote. */
  written: WrittenFiles;
}

/**
 * WrittenFiles: what a push's files now hold, reported one at a time (sync.ts stages the
 * state record's rows there) and read back once the transfers are over (the journal's done mark).
 */
export interface WrittenFiles {
  /** The item's file was written: its key now holds `digests`; `tag` is the new change tag, where the backend knows it (saves re-hashing next time). */
  add(item: PlanItem, digests: Digests, tag?: string): void;
  /** The digests of every key written so far. */
  read(): Iterable<[string, Digests]>;
}

export interface TransferEvents {
  start(item: PlanItem): void;
  done(item: PlanItem, digests?: Digests): void;
  failed(item: PlanItem, error: Error): void;
  bytes(n: number): void;
  info(message: string): void;
}

export interface PushResult {
  /** The space's head after the push. What each key written holds went to `PushContext.written`. */
  head: string;
  failed: { key: string; error: string }[];
  deletesSkipped: number;
  /** Hub: the head of a repo or branch this push created before failing (it holds main's files). */
  created?: string;
}

/**
 * What the plan for a push to a space with no history yet is made against, and where the new
 * space's files start from. Each backend knows how its new spaces begin.
 */
export interface Baseline {
  /** The listing to plan against instead of the space's own (Hub: main's files, which a new branch starts with). */
  remote?: RemoteListing;
  /** Hub: the main commit the new branch is created from (the one `remote` was listed at). */
  seedHead?: string | null;
  /** Object stores: the space whose equal files are copied inside the store, and its files. */
  seedSpace?: Space;
  seed?: Entry[];
}

/** What a server-side state commit is given: make `layerPath` at `targetRev` equal to `source`. */
export interface StateCommit {
  targetRev: string;
  parentCommit: string;
  layerPath: string;
  /** The layer's files at `sourceRev`. */
  source: Entry[];
  sourceRev: string;
  /** The layer's files at `targetRev` now. */
  target: Entry[];
  title: string;
  description: string;
  /** Open a pull request carrying the first commit (one request, so a failure leaves no empty pull request). */
  createPr?: boolean;
}

/**
 * What only a versioned remote (a Hub dataset) can do: name revisions, tag them, list a layer
 * at one, and commit a layer's whole state from another revision server side. A Backend that
 * keeps versions offers it as `versioned`.
 */
export interface VersionedBackend {
  /** The commit a branch, tag or commit id points at, or null when it does not exist. */
  revisionSha(rev: string): Promise<string | null>;
  /** The repo's branches and tags, by name (for `just browse`'s choices). */
  refs(): Promise<{ branches: string[]; tags: string[] }>;
  /** Tags a branch's current head; returns the commit tagged. */
  tag(branch: string, name: string, message: string): Promise<string>;
  /** A layer's files at a revision (empty when the revision does not exist). */
  listAt(layerPath: string, rev: string): Promise<Entry[]>;
  commitState(opts: StateCommit): Promise<{ oid: string; changed: number; pullRequest?: { num: number; url: string } }>;
}

/** What a remote refuses to hold (the Hub's limits); checked on the plan before a push moves anything. */
export interface RemoteLimits {
  /** The remote's name in messages. */
  where: string;
  /** Files in one repository (a layer's files count; the repo's others are few: .gitattributes, Strata's record of times). */
  filesPerRepo: number;
  /** Files directly in one folder. */
  filesPerFolder: number;
  fileBytes: number;
  /** Above this a push goes on, with a warning. */
  recommendedFileBytes: number;
}

export interface Backend {
  readonly kind: 's3' | 'file' | 'hf';
  /** What the remote refuses to hold, where it has limits (the Hub). */
  readonly limits?: RemoteLimits;
  /** Present on remotes that keep versions (the Hub): tags, revisions, server-side state commits. */
  readonly versioned?: VersionedBackend;
  /**
   * Every file of the space (or of `scope/` in it). `expected` are keys the space probably
   * holds (what it held at the last sync, in scope): a store may use them to list key ranges in parallel.
   */
  list(space: Space, scope?: string, expected?: KeySample): Promise<RemoteListing>;
  /**
   * The same listing read as planning consumes it, in key order, never held whole — where the
   * remote can (folders, S3); undefined elsewhere. `refused` is complete once `entries` is read.
   * An S3 listing may throw WholeListingNeeded (listing/screen-in-order.ts) as it is read:
   * then `list` gives the answer.
   */
  listInOrder?(space: Space, scope: string, expected?: KeySample): RemoteStream | undefined;
  /** The space's head: latest journal sequence (S3, file) or branch commit (Hub); null when it has no history. */
  head(space: Space): Promise<string | null>;
  /**
   * What a push to `space`, which has no history yet, starts from (see Baseline). `own` is the
   * space's own listing, as the plan would see it.
   */
  baseline(space: Space, mainSpace: Space, scope: string, own: RemoteListing): Promise<Baseline>;
  /**
   * The branches (other than main) that have a space for this layer on the remote, sorted: for
   * `just browse`. `layerPaths` are the project's layer paths, as `branchCollides` is given them:
   * on S3 and folders they tell a branch's spaces from the next part of a longer branch name.
   */
  branches(layer: Layer, mainBranch: string, layerPaths: readonly string[]): Promise<string[]>;
  /** Whether the space exists at all (history or data): a branch without one falls back to main. */
  exists(space: Space): Promise<boolean>;
  openRead(space: Space, entry: Entry): Promise<RemoteRead>;
  /**
   * Bytes [start, end) of a remote file (end clamped to its size): for previews, which read a
   * file's footer or first rows, never the whole of a large file. Tried by the one retry rule.
   */
  readRange(space: Space, entry: Entry, start: number, end: number): Promise<Uint8Array>;
  /** Content hashes of a remote file whose listing carries none (plain folders). */
  remoteDigests?(space: Space, entry: Entry): Promise<Digests>;
  push(space: Space, plan: Plan, ctx: PushContext): Promise<PushResult>;
  /**
   * A page of the newest pushes (LogQuery): never the whole history to show its newest end. On
   * S3 and folders the head and one record per push shown; on the Hub one page of commits.
   */
  log(space: Space, query: LogQuery): Promise<LogPage>;
  /**
   * For each of `files` (entries of the space's listing at `head`), the push that made the
   * content it holds. The history is read once for all of them, never once per file.
   */
  origins(space: Space, head: string | null, files: readonly Entry[]): Promise<Map<string, Origin>>;
  /** Whether the space's head is this working copy's own unfinished push (so a re-run may continue). */
  ownsHead?(space: Space, pending: { seq: number; id: string }, head: string): Promise<boolean>;
  /** Delete every file and record of a (non-main) space; returns how many files were removed. */
  removeSpace(space: Space): Promise<number>;
}
