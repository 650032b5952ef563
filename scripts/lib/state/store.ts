// Where the state record lives: one SQLite database per working copy, .strata/state/state.db
// (better-sqlite3). A sync reads only the rows of the spaces it touches and writes only the
// rows that changed, each save one transaction: a kill leaves the last committed state, never
// half a record. Why SQLite rather than files: see docs/architecture.md ("The state record").
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StrataError } from '../errors.js';
import type { Claim, Digests, FileRecord, FolderRecord, LayerState, RemoteRecord, SpaceRecord, Staging, StateChange } from './record.js';
import { legacyChanges } from './legacy.js';
import { StagingTable } from './staging.js';
import { applySpace } from './transitions.js';
import { decide, REVISION_DAYS, type SpaceInfo } from './prune.js';

/** The record's format version, kept in SQLite's user_version: a newer Strata may migrate, an older one refuses. */
const FORMAT = 1;

const SCHEMA = `
CREATE TABLE folder (layer TEXT PRIMARY KEY, basis TEXT, revision TEXT);
CREATE TABLE file (layer TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, digests TEXT NOT NULL,
  PRIMARY KEY (layer, key)) WITHOUT ROWID;
CREATE TABLE space (id INTEGER PRIMARY KEY, layer TEXT NOT NULL, name TEXT NOT NULL, head TEXT, synced_at TEXT NOT NULL DEFAULT '',
  pending TEXT, scope_heads TEXT, revision INTEGER NOT NULL DEFAULT 0, used_at TEXT NOT NULL, UNIQUE (layer, name));
CREATE TABLE remote (space INTEGER NOT NULL REFERENCES space (id) ON DELETE CASCADE, key TEXT NOT NULL, size INTEGER NOT NULL,
  tag TEXT, digests TEXT NOT NULL, PRIMARY KEY (space, key)) WITHOUT ROWID;
`;

export function stateDir(projectRoot: string): string {
  return path.join(projectRoot, '.strata', 'state');
}

// One connection per database file per process, reopened when the file was replaced or
// removed (a test, or an analyst, deleting .strata/state/ starts a new record).
const open = new Map<string, { db: Database.Database; ino: number }>();

export function openStore(projectRoot: string): Store {
  const file = path.join(stateDir(projectRoot), 'state.db');
  const ino = fs.statSync(file, { throwIfNoEntry: false })?.ino;
  const cached = open.get(file);
  if (cached && cached.ino === ino) return new Store(cached.db, projectRoot);
  cached?.db.close();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 10_000 });
    // The rollback journal (not WAL): it works on the network shares lab projects live on.
    db.pragma('journal_mode = DELETE');
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) {
      db.exec(SCHEMA);
      db.pragma(`user_version = ${FORMAT}`);
    } else if (version > FORMAT) {
      throw new StrataError(
        `${file} was written by a newer Strata (record format ${version}; this one reads ${FORMAT}).`,
        'Update Strata (npm ci in the project), or move the file aside to start a new record (the next get then treats differing local files as unshared work).',
      );
    }
  } catch (e) {
    db?.close();
    if (e instanceof StrataError) throw e;
    // Not a database, or a damaged one: never written so by Strata (each save is one transaction).
    throw new StrataError(
      `The state record ${file} cannot be read (${(e as Error).message}).`,
      'Move it aside (mv .strata/state/state.db .strata/state/state.db.damaged) to start a new record; the next get then treats differing local files as unshared work.',
    );
  }
  open.set(file, { db, ino: fs.statSync(file).ino });
  return new Store(db, projectRoot);
}

const json = <T>(s: string | null): T | undefined => (s === null ? undefined : (JSON.parse(s) as T));

interface SpaceRow {
  id: number;
  name: string;
  head: string | null;
  synced_at: string;
  pending: string | null;
  scope_heads: string | null;
  revision: number;
  used_at: string;
}

/** A layer's whole record as plain data, every space included. */
export interface StateSnapshot {
  files: Record<string, FileRecord>;
  spaces: Record<string, SpaceRecord & { remote: Record<string, RemoteRecord> }>;
  basis?: string;
  revision?: FolderRecord['revision'];
}

export class Store {
  constructor(
    readonly db: Database.Database,
    readonly projectRoot: string,
  ) {}

  /** layer opens one layer's record, carrying over a record an older Strata kept as JSON. */
  layer(layer: string): LayerState {
    this.importLegacy(layer);
    this.forgetOldRevisions(layer);
    const row = this.db.prepare('SELECT basis, revision FROM folder WHERE layer = ?').get(layer) as { basis: string | null; revision: string | null } | undefined;
    const folder: FolderRecord = {};
    if (row?.basis) folder.basis = row.basis;
    if (row?.revision) folder.revision = JSON.parse(row.revision);
    const spaces = new Map<string, SpaceRecord | undefined>();
    // One statement for the whole cache: a lookup per file is a read transaction per file
    // (locks and a header read each), 40 µs apiece against 2 µs a row here.
    const filesStmt = this.db.prepare("SELECT key, size, mtime_ms, digests FROM file WHERE layer = ? AND (? = '' OR (key > ? AND key < ?)) ORDER BY key");
    const sharedStmt = this.db.prepare('SELECT r.digests FROM space s JOIN remote r ON r.space = s.id AND r.key = ? WHERE s.layer = ?').pluck();
    // The primary key (space, key) keeps rows in key order: ORDER BY reads them off the index.
    const inScope = "FROM space s JOIN remote r ON r.space = s.id WHERE s.layer = ? AND s.name = ? AND (? = '' OR (r.key > ? AND r.key < ?))";
    const rowsStmt = this.db.prepare(`SELECT r.key, r.size, r.tag, r.digests ${inScope} ORDER BY r.key`);
    const countStmt = this.db.prepare(`SELECT count(*) ${inScope}`).pluck();
    const keyAtStmt = this.db.prepare(`SELECT r.key ${inScope} ORDER BY r.key LIMIT 1 OFFSET ?`).pluck();
    const keyAfterStmt = this.db.prepare(`SELECT r.key ${inScope} AND r.key > ? ORDER BY r.key LIMIT 1 OFFSET ?`).pluck();
    const rowStmt = this.db.prepare('SELECT r.size, r.tag, r.digests FROM space s JOIN remote r ON r.space = s.id AND r.key = ? WHERE s.layer = ? AND s.name = ?');
    return {
      layer,
      folder,
      space: (name) => {
        if (!spaces.has(name)) spaces.set(name, this.readSpace(layer, name));
        return spaces.get(name);
      },
      rows: function* (name, scope) {
        for (const r of rowsStmt.iterate(layer, name, scope, `${scope}/`, `${scope}0`) as Iterable<RemoteRow & { key: string }>) yield [r.key, remoteRecord(r)];
      },
      sample: (name, scope) => {
        const args = [layer, name, scope, `${scope}/`, `${scope}0`];
        // Keys are asked for in order: each OFFSET counts on from the key before, not from the
        // first (49 split keys of a million rows: 0.1 s against 4 s).
        let last: { i: number; key: string } | undefined;
        const keyAt = (i: number) => {
          const key = (last && i > last.i ? keyAfterStmt.get(...args, last.key, i - last.i - 1) : keyAtStmt.get(...args, i)) as string | undefined;
          if (key !== undefined) last = { i, key };
          return key;
        };
        return { count: countStmt.get(...args) as number, keyAt };
      },
      row: (name, key) => {
        const r = rowStmt.get(key, layer, name) as RemoteRow | undefined;
        return r && remoteRecord(r);
      },
      files: function* (scope) {
        // Keys under `scope/` sort between `scope/` and `scope0` ('0' follows '/').
        for (const r of filesStmt.iterate(layer, scope, `${scope}/`, `${scope}0`) as Iterable<{ key: string; size: number; mtime_ms: number; digests: string }>) {
          yield [r.key, { size: r.size, mtimeMs: r.mtime_ms, digests: JSON.parse(r.digests) }];
        }
      },
      shared: (key) => (sharedStmt.all(key, layer) as string[]).map((d) => JSON.parse(d) as Digests),
      stage: () => this.stage(),
      save: (change) => {
        this.save(layer, change);
        if (change.folder) {
          delete folder.basis;
          delete folder.revision;
          Object.assign(folder, change.folder);
        }
        if (change.space) spaces.set(change.space.name, applySpace(change.space));
      },
    };
  }

  // Past revisions read once (get-results-at) are forgotten by age, so visiting many does not
  // grow the record for good; the rule is prune.ts's.
  private forgetOldRevisions(layer: string): void {
    const old = decide(this.spaces(layer).filter((s) => s.revision), { now: new Date(), revisionDays: REVISION_DAYS, folders: this.folders() }).filter((d) => d.forget);
    if (old.length) this.forget(old.map((d) => d.space));
  }

  // A record an older Strata kept as JSON is imported in one transaction, then renamed: a kill
  // before the rename imports it again over the same rows, which changes nothing.
  private importLegacy(layer: string): void {
    const file = path.join(stateDir(this.projectRoot), `${layer}.json`);
    if (!fs.existsSync(file)) return;
    const changes = legacyChanges(file, (m) => process.stderr.write(m + '\n'));
    this.db.transaction(() => {
      for (const c of changes) this.save(layer, c);
    })();
    fs.renameSync(file, `${file}.imported`);
  }

  private readSpace(layer: string, name: string): SpaceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM space WHERE layer = ? AND name = ?').get(layer, name) as SpaceRow | undefined;
    if (!row) return undefined;
    const record: SpaceRecord = { head: row.head, syncedAt: row.synced_at };
    const pending = json<Claim>(row.pending);
    if (pending) record.pending = pending;
    const scopeHeads = json<Record<string, string | null>>(row.scope_heads);
    if (scopeHeads) record.scopeHeads = scopeHeads;
    return record;
  }

  private staging: StagingTable | undefined;

  /** stage empties the staging table and returns it (LayerState.stage). */
  stage(): Staging {
    this.staging ??= new StagingTable(this.db);
    this.staging.clear();
    return this.staging;
  }

  /** save applies one change in one transaction: all of it is written, or (killed) none. */
  save(layer: string, change: StateChange, now = new Date()): void {
    if (change.staged) this.staging?.flush();
    this.db.transaction(() => {
      if (change.folder) {
        this.db
          .prepare('INSERT INTO folder (layer, basis, revision) VALUES (?, ?, ?) ON CONFLICT (layer) DO UPDATE SET basis = excluded.basis, revision = excluded.revision')
          .run(layer, change.folder.basis ?? null, change.folder.revision ? JSON.stringify(change.folder.revision) : null);
      }
      if (change.files?.size) {
        const put = this.db.prepare('INSERT OR REPLACE INTO file (layer, key, size, mtime_ms, digests) VALUES (?, ?, ?, ?, ?)');
        const drop = this.db.prepare('DELETE FROM file WHERE layer = ? AND key = ?');
        for (const [key, f] of change.files) f ? put.run(layer, key, f.size, f.mtimeMs, JSON.stringify(f.digests)) : drop.run(layer, key);
      }
      const s = change.space;
      if (s) {
        const m = s.meta;
        const id = (
          this.db
            .prepare(
              `INSERT INTO space (layer, name, head, synced_at, pending, scope_heads, revision, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (layer, name) DO UPDATE SET head = excluded.head, synced_at = excluded.synced_at, pending = excluded.pending,
               scope_heads = excluded.scope_heads, used_at = excluded.used_at RETURNING id`,
            )
            .get(layer, s.name, m.head, m.syncedAt, m.pending ? JSON.stringify(m.pending) : null, m.scopeHeads ? JSON.stringify(m.scopeHeads) : null, s.revision ? 1 : 0, now.toISOString()) as { id: number }
        ).id;
        const put = this.db.prepare('INSERT OR REPLACE INTO remote (space, key, size, tag, digests) VALUES (?, ?, ?, ?, ?)');
        const drop = this.db.prepare('DELETE FROM remote WHERE space = ? AND key = ?');
        for (const [key, r] of s.remote.put) put.run(id, key, r.size, r.tag ?? null, JSON.stringify(r.digests));
        for (const key of s.remote.drop) drop.run(id, key);
        if (change.staged?.remote) this.staging?.commitRemote(id);
      }
      if (change.staged) this.staging?.commitFiles(layer);
    })();
  }

  /** The spaces the record holds (of one layer, or all), for pruning. */
  spaces(layer?: string): SpaceInfo[] {
    const rows = this.db
      .prepare(`SELECT layer, name, used_at, revision, pending FROM space ${layer === undefined ? '' : 'WHERE layer = ?'} ORDER BY layer, name`)
      .all(...(layer === undefined ? [] : [layer])) as { layer: string; name: string; used_at: string; revision: number; pending: string | null }[];
    return rows.map((r) => ({ layer: r.layer, name: r.name, usedAt: r.used_at, revision: r.revision === 1, pending: r.pending !== null }));
  }

  /** files: how many remote keys the record keeps for a space (what forgetting it frees). */
  files(layer: string, name: string): number {
    return this.db.prepare('SELECT count(*) FROM remote r JOIN space s ON s.id = r.space WHERE s.layer = ? AND s.name = ?').pluck().get(layer, name) as number;
  }

  /** The layers' folder records (basis, revision held), for pruning. */
  folders(): Map<string, FolderRecord> {
    const out = new Map<string, FolderRecord>();
    for (const r of this.db.prepare('SELECT layer, basis, revision FROM folder').all() as { layer: string; basis: string | null; revision: string | null }[]) {
      out.set(r.layer, { ...(r.basis ? { basis: r.basis } : {}), ...(r.revision ? { revision: JSON.parse(r.revision) } : {}) });
    }
    return out;
  }

  /** forget removes spaces' records (their remote rows go with them), in one transaction. */
  forget(spaces: { layer: string; name: string }[]): void {
    const stmt = this.db.prepare('DELETE FROM space WHERE layer = ? AND name = ?');
    this.db.transaction(() => {
      for (const s of spaces) stmt.run(s.layer, s.name);
    })();
  }

  /** snapshot is a layer's whole record as plain data (tests and debugging); null when never synced. */
  snapshot(layer: string): StateSnapshot | null {
    const folder = this.db.prepare('SELECT basis, revision FROM folder WHERE layer = ?').get(layer) as { basis: string | null; revision: string | null } | undefined;
    const names = this.db.prepare('SELECT name FROM space WHERE layer = ? ORDER BY name').pluck().all(layer) as string[];
    const files = this.db.prepare('SELECT key, size, mtime_ms, digests FROM file WHERE layer = ? ORDER BY key').all(layer) as { key: string; size: number; mtime_ms: number; digests: string }[];
    if (!folder && !names.length && !files.length) return null;
    const spaces: StateSnapshot['spaces'] = {};
    const rows = this.db.prepare('SELECT r.key, r.size, r.tag, r.digests FROM space s JOIN remote r ON r.space = s.id WHERE s.layer = ? AND s.name = ? ORDER BY r.key');
    for (const name of names) {
      const remote: Record<string, RemoteRecord> = {};
      for (const r of rows.iterate(layer, name) as Iterable<RemoteRow & { key: string }>) remote[r.key] = remoteRecord(r);
      spaces[name] = { ...this.readSpace(layer, name)!, remote };
    }
    return {
      files: Object.fromEntries(files.map((f) => [f.key, { size: f.size, mtimeMs: f.mtime_ms, digests: JSON.parse(f.digests) as Digests }])),
      spaces,
      ...(folder?.basis ? { basis: folder.basis } : {}),
      ...(folder?.revision ? { revision: JSON.parse(folder.revision) } : {}),
    };
  }
}

interface RemoteRow {
  size: number;
  tag: string | null;
  digests: string;
}

function remoteRecord(r: RemoteRow): RemoteRecord {
  return r.tag === null ? { size: r.size, digests: JSON.parse(r.digests) } : { size: r.size, tag: r.tag, digests: JSON.parse(r.digests) };
}

/** readSnapshot: a layer's whole record, or null when this working copy has none (nothing is created). */
export function readSnapshot(projectRoot: string, layer: string): StateSnapshot | null {
  if (!fs.existsSync(path.join(stateDir(projectRoot), 'state.db'))) return null;
  return openStore(projectRoot).snapshot(layer);
}

/** readLayers: the layers the record has anything for ([] when there is no record). */
export function readLayers(projectRoot: string): string[] {
  if (!fs.existsSync(path.join(stateDir(projectRoot), 'state.db'))) return [];
  const db = openStore(projectRoot).db;
  return db.prepare('SELECT layer FROM folder UNION SELECT layer FROM space UNION SELECT layer FROM file ORDER BY 1').pluck().all() as string[];
}

/** loadState opens one layer's record for a sync. */
export function loadState(projectRoot: string, layer: string): LayerState {
  return openStore(projectRoot).layer(layer);
}
