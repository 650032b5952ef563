// The staging table of a push: the rows of the files written so far, outside the state
// record's tables until the save that moves the head takes them (store.ts).
import type Database from 'better-sqlite3';
import type { Digests, StagedRow, Staging } from './record.js';

/**
 * StagingTable: the rows of the files a push has written so far, in a TEMP table — outside the
 * record's file, private to this connection, gone with it if the run is killed — written a
 * chunk at a time, so that a push of a million files never holds their rows (nor their
 * digests and tags) in memory. The save that commits the push copies them into `file` and
 * `remote` inside its one transaction.
 */
export class StagingTable implements Staging {
  private chunk: [string, StagedRow][] = [];
  private readonly insert: Database.Statement;
  private readonly writeChunk: (rows: [string, StagedRow][]) => void;

  constructor(private readonly db: Database.Database) {
    db.exec('CREATE TEMP TABLE IF NOT EXISTS staged (key TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, tag TEXT, digests TEXT NOT NULL) WITHOUT ROWID');
    this.insert = db.prepare('INSERT OR REPLACE INTO temp.staged (key, size, mtime_ms, tag, digests) VALUES (?, ?, ?, ?, ?)');
    this.writeChunk = db.transaction((rows: [string, StagedRow][]) => {
      for (const [key, r] of rows) this.insert.run(key, r.size, r.mtimeMs, r.tag ?? null, JSON.stringify(r.digests));
    });
  }

  add(key: string, row: StagedRow): void {
    this.chunk.push([key, row]);
    if (this.chunk.length >= STAGED_CHUNK) this.flush();
  }

  *digests(): Iterable<[string, Digests]> {
    this.flush();
    for (const r of this.db.prepare('SELECT key, digests FROM temp.staged ORDER BY key').iterate() as Iterable<{ key: string; digests: string }>) yield [r.key, JSON.parse(r.digests) as Digests];
  }

  flush(): void {
    if (!this.chunk.length) return;
    const rows = this.chunk;
    this.chunk = [];
    this.writeChunk(rows);
  }

  clear(): void {
    this.chunk = [];
    this.db.exec('DELETE FROM temp.staged');
  }

  /** Inside the committing save's transaction: the staged rows become the space's. */
  commitRemote(space: number): void {
    this.db.prepare('INSERT OR REPLACE INTO remote (space, key, size, tag, digests) SELECT ?, key, size, tag, digests FROM temp.staged').run(space);
  }

  /** Inside the committing save's transaction: the staged rows go into the hash cache, and the table is emptied. */
  commitFiles(layer: string): void {
    this.db.prepare('INSERT OR REPLACE INTO file (layer, key, size, mtime_ms, digests) SELECT ?, key, size, mtime_ms, digests FROM temp.staged').run(layer);
    this.db.exec('DELETE FROM temp.staged');
  }
}

/** Rows staged per write transaction: few enough to hold, many enough that commits are rare. */
const STAGED_CHUNK = 1000;
