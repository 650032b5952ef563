// prepare: the stages of a sync up to the plan, for one layer — choose the space → read the
// state record and the head → list both sides → hash only what a size match leaves in doubt →
// plan (pure). Nothing is changed; `status` and `which` stop here, the recipes go on to the
// guards (guards/) and then pull() or push() (sync.ts).
import path from 'node:path';
import pLimit from 'p-limit';
import type { Layer } from './config/layers.js';
import type { RunContext } from './context.js';
import { StrataError } from './errors.js';
import { hashFile } from './listing/digest.js';
import type { DigestName, Entry } from './listing/entry.js';
import { excludeMatcher } from './listing/exclude.js';
import { normaliseKey } from './listing/keys.js';
import { WholeListingNeeded } from './listing/screen-in-order.js';
import { listLocal, type LocalListing } from './listing/local.js';
import type { FileRecord, LayerState, RemoteRecord } from './state/record.js';
import { loadState } from './state/store.js';
import type { Learnt } from './state/transitions.js';
import { march, type Marched } from './plan/march.js';
import { join } from './plan/match.js';
import { Planner, type Direction, type Plan } from './plan/plan.js';
import { openBackend } from './remotes/index.js';
import type { Backend, RemoteListing, RemoteStream } from './remotes/types.js';
import { atRevision, branchCollides, spaceFor, type Space } from './space.js';

export interface Prepared {
  layer: Layer;
  direction: Direction;
  space: Space;
  /** Set when a branch had no space yet and main's was read instead (pull only). */
  fellBackFrom?: Space;
  backend: Backend;
  state: LayerState;
  /** The hash cache's changes: local files hashed by this run, and (null) files gone; saved with the sync. */
  hashed: Map<string, FileRecord | null>;
  head: string | null;
  localRoot: string;
  /** What the local listing found besides the files (the files themselves are in the plan's changes and counts). */
  local: Omit<LocalListing, 'entries'>;
  /** Remote keys refused as unsafe. */
  remote: Omit<RemoteListing, 'entries'>;
  seedSpace?: Space;
  /** Hub: a new branch is created from this main commit; its plan was made against main's files. */
  seedHead?: string | null;
  plan: Plan;
  /** What planning learnt for the state record of the files the sync leaves as they are. */
  learnt: Learnt;
  /** Remote changes since this working copy's last sync of the space (status). */
  sinceSync: Marched['sinceSync'];
  scope: string;
}

export interface PrepareOptions {
  /** The branch whose space to use (results); inputs always use main. */
  branch: string;
  /** Limit to one folder of the layer (a RUN), relative to the layer. */
  scope?: string;
  /** Pull: read main's space when the branch has none yet. */
  fallbackToMain?: boolean;
  /** Read a specific revision (Hub layers: commit, branch or tag). */
  revision?: string;
  /** Keep unchanged files in the plan as `skip` items (which: a narrow scope). */
  keepSame?: boolean;
}

const HASHERS = 4;

/**
 * prepare runs the stages of a sync up to the plan: choose the space → read the state record
 * and the head → list both sides → march: merge the listings with the record in key order,
 * hashing what a size match leaves in doubt, and plan. Nothing is changed; `status` stops
 * here, the recipes go on to the guards and pull() or push().
 */
export async function prepare(ctx: RunContext, layer: Layer, direction: Direction, opts: PrepareOptions): Promise<Prepared> {
  const { config } = ctx;
  const scope = runScope(opts.scope);
  const { space, backend, fellBackFrom } = await chooseSpace(ctx, layer, direction, opts);
  const state = loadState(config.projectRoot, layer.name);
  const head = await backend.head(space);
  if (opts.revision && head === null) {
    throw new StrataError(`${space.remote.url} has no revision "${opts.revision}".`, 'Use a commit id from `just log`, a tag, or a branch name.', 2);
  }
  const localRoot = path.join(config.projectRoot, layer.local);
  const exclude = excludeMatcher(config.excludes);
  const listing = await listRemote(ctx, backend, space, head, direction, scope, state, exclude);
  // What the folder was made equal to last: a deletion is a key that basis had and the folder
  // lacks. Usually this very space, whose rows the march reads anyway; else one row per key asked.
  const basis = state.folder.basis;
  const synced = basis && basis !== space.id && state.space(basis) ? (key: string) => state.row(basis, key) : (_key: string, row: RemoteRecord | undefined) => row;
  const hashed = new Map<string, FileRecord | null>();

  const planWith = async (listed: RemoteStream) => {
    // The local folder is walked as the march asks for it: one directory at a time.
    const { entries: localEntries, ...local } = listLocal(localRoot, exclude, scope);
    const { entries: remoteEntries, ...remote } = listed;
    const planner = new Planner({ direction, layer: layer.name, space: space.id, seed: listing.seed, shared: (key) => state.shared(key), keepSame: opts.keepSame });
    const marched = await march({
      planner,
      local: localEntries,
      remote: remoteEntries,
      cache: state.files(scope),
      record: state.rows(space.id, scope),
      localExists: local.exists,
      synced,
      hashLocal: (wanted) => hashInDoubt(layer, localRoot, wanted, hashed),
      hashRemote: backend.remoteDigests ? (entries) => hashRemote(backend, space, entries) : undefined,
    });
    for (const key of marched.forgotten) hashed.set(key, null);
    // Read to the end: the remote's refused names are all known now.
    remote.refused = remote.refused.filter((r) => !exclude(normaliseKey(r.key)));
    return { local, remote, marched, plan: planner.plan(direction === 'push' ? local.refused : remote.refused) };
  };
  let planned;
  try {
    planned = await planWith(listing.remote);
  } catch (e) {
    if (!(e instanceof WholeListingNeeded)) throw e;
    // Twins, or a key NFC moves: the key rule needs the listing whole (rare; another tool's keys).
    planned = await planWith(visible(await backend.list(space, scope, state.sample(space.id, scope)), exclude));
  }
  const { local, remote, marched, plan } = planned;
  return { layer, direction, space, fellBackFrom, backend, state, hashed, head, localRoot, local, remote, seedSpace: listing.seedSpace, seedHead: listing.seedHead, plan, learnt: marched.learnt, sinceSync: marched.sinceSync, scope };
}

/** runScope: a run folder inside the layer, without leading or trailing slashes ('' for the whole layer). */
function runScope(given: string | undefined): string {
  const scope = (given ?? '').replace(/^\/+|\/+$/g, '');
  if (scope && scope.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new StrataError(`"${given}" is not a folder inside the layer.`, 'Give a run folder name like `plate-42` or `2026-11-run3`.', 2);
  }
  return scope;
}

/**
 * chooseSpace: the branch's space (main's for inputs), at a past revision when asked (only a
 * versioned remote has them), or main's for a pull when the branch has none yet.
 */
async function chooseSpace(ctx: RunContext, layer: Layer, direction: Direction, opts: PrepareOptions): Promise<{ space: Space; backend: Backend; fellBackFrom?: Space }> {
  const { config } = ctx;
  const collision = layer.kind === 'result' && !layer.remote.startsWith('hf:') && opts.branch !== config.mainBranch && branchCollides(opts.branch, config.layers.map((l) => l.path));
  if (collision) throw new StrataError(`The branch name "${opts.branch}" cannot name a remote space: ${collision}.`, 'Rename the branch (git branch -m NEW-NAME).', 2);
  let space = spaceFor(layer, opts.branch, config.mainBranch);
  const backend = await openBackend(space.remote, config);
  if (opts.revision) {
    if (!backend.versioned) throw new StrataError(`${layer.name} is not a versioned layer (its remote is ${space.remote.url}): it has no past revisions.`, 'Only layers on a Hub dataset keep history.', 2);
    space = atRevision(space, opts.revision);
  }
  if (direction === 'pull' && opts.fallbackToMain && !space.isMain && !(await backend.exists(space))) {
    return { space: spaceFor(layer, config.mainBranch, config.mainBranch), backend, fellBackFrom: space };
  }
  return { space, backend };
}

/**
 * listRemote: what the space holds (excluded keys left out), with the digests a previous
 * sync knew; for a push to a space with no history yet, what it starts from (the backend's
 * baseline: main's files on the Hub, main's files to copy inside the store on S3 and folders).
 */
async function listRemote(
  ctx: RunContext,
  backend: Backend,
  space: Space,
  head: string | null,
  direction: Direction,
  scope: string,
  state: LayerState,
  exclude: (key: string) => boolean,
): Promise<{ remote: RemoteStream; seedHead?: string | null; seedSpace?: Space; seed?: Entry[] }> {
  // A push to a space with no history may start from main's files: it needs the whole listing.
  const seeded = direction === 'push' && head === null && !space.isMain;
  const expected = state.sample(space.id, scope);
  const streamed = seeded ? undefined : backend.listInOrder?.(space, scope, expected);
  if (streamed) return { remote: visible(streamed, exclude) };
  const own = await backend.list(space, scope, expected);
  if (!seeded) return { remote: visible(own, exclude) };
  const base = await backend.baseline(space, spaceFor(space.layer, ctx.config.mainBranch, ctx.config.mainBranch), scope, own);
  if (base.seed && base.seedSpace) reuseSeedDigests(base.seed, state.rows(base.seedSpace.id, scope));
  return { remote: visible(base.remote ?? own, exclude), seedHead: base.seedHead, seedSpace: base.seedSpace, seed: base.seed };
}

/**
 * visible: a listing without its excluded keys. An excluded key is acknowledged: a refused key
 * another tool put there stops being reported (prepare filters `refused` once the listing has
 * been read: a stream fills it as it goes).
 */
function visible(listing: RemoteStream, exclude: (key: string) => boolean): RemoteStream {
  const keep = (e: Entry) => !exclude(e.key);
  const { entries } = listing;
  return { entries: Symbol.asyncIterator in entries ? filterPages(entries, keep) : filter(entries, keep), refused: listing.refused };
}

/** filter: the items `keep` accepts, as they are read. */
function* filter<T>(items: Iterable<T>, keep: (x: T) => boolean): Generator<T> {
  for (const x of items) if (keep(x)) yield x;
}

async function* filterPages<T>(pages: AsyncIterable<T[]>, keep: (x: T) => boolean): AsyncGenerator<T[]> {
  for await (const page of pages) yield page.filter(keep);
}

/** hashInDoubt hashes the local files the planner cannot decide on by size (HASHERS at a time); the sync caches the hashes. */
async function hashInDoubt(layer: Layer, localRoot: string, wanted: { entry: Entry; names: DigestName[] }[], hashed: Map<string, FileRecord | null>): Promise<void> {
  const limit = pLimit(HASHERS);
  await Promise.all(
    wanted.map(({ entry, names }) =>
      limit(async () => {
        const file = path.join(localRoot, ...(entry.name ?? entry.key).split('/'));
        try {
          Object.assign(entry.digests, await hashFile(file, names));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new StrataError(`Cannot read ${layer.local}/${entry.key} (${code ?? (e as Error).message}).`, code === 'EACCES' || code === 'EPERM' ? 'Make it readable (chmod u+r), or move it out of the data folder.' : 'Check the file, then run again.', 2);
        }
        hashed.set(entry.key, { size: entry.size, mtimeMs: entry.mtimeMs!, digests: { ...entry.digests } });
      }),
    ),
  );
}

// Main's files whose change tag is what it was at the last sync of main have the content they had then.
function reuseSeedDigests(seed: Entry[], rows: Iterable<[string, RemoteRecord]>) {
  for (const [, e, row] of join(seed, rows, (x) => x.key, (x) => x[0], "main's listing or its state record")) {
    const r = row?.[1];
    if (e && r && e.tag && r.tag === e.tag && r.size === e.size) e.digests = { ...r.digests, ...e.digests };
  }
}

// Plain-folder remotes list no hashes: the march asks for the remote side of size-equal pairs (the only ones in doubt).
async function hashRemote(backend: Backend, space: Space, entries: Entry[]) {
  const limit = pLimit(HASHERS);
  await Promise.all(entries.map((r) => limit(async () => Object.assign(r.digests, await backend.remoteDigests!(space, r)))));
}
