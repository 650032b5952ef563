// ObjectStore is what S3 and a plain folder have in common: keys, bytes, create-only
// writes. The object backend builds spaces and the push journal on top of it once, for both.
import type { Entry } from '../listing/entry.js';
import type { Refusal } from '../listing/keys.js';
import type { Digests } from '../state/record.js';
import type { RemoteRead } from './types.js';

/** Files up to this size are read into memory and sent in one request; larger ones stream in parts. */
export const SMALL_FILE = 4 * 1024 * 1024;

/**
 * readChunk: the read buffer for streaming a file of `size` bytes — its size (at least 16 KiB),
 * at most 1 MiB. A stream allocates a whole buffer per file: 1 MiB for each of 100,000 small
 * files was most of a first push's memory.
 */
export function readChunk(size: number): number {
  return Math.min(1 << 20, Math.max(16 << 10, size + 1));
}

export interface StoredObject {
  /** Key relative to the listed prefix. */
  key: string;
  size: number;
  /** Change token: ETag (S3) or size, mtime and ctime (folder). */
  tag: string;
  /** Digests the listing gives for free (S3 ETag). */
  digests: Digests;
  etag?: string;
}

export interface PutOptions {
  size: number;
  /** The local file's modification time, kept with the stored object (listing/mtime.ts). */
  mtimeMs: number;
  /** Metadata stored with the object (S3 user metadata): the git SHA that produced it. */
  meta: Record<string, string>;
  onBytes?: (n: number) => void;
}

export interface CopyOptions {
  /** Metadata of the copy (S3 user metadata): which commit made it. */
  meta: Record<string, string>;
  /** The time to keep with the copy (a copy is the same file: the source's time); the source's own when absent. */
  mtimeMs?: number;
  /** The source's size, when the caller knows it from a listing (S3: above 5 GiB a copy goes in parts). */
  size?: number;
}

export interface ObjectStore {
  readonly kind: 's3' | 'file';
  /**
   * Every object under `prefix/` (recursive), keys relative to it, sorted. `splits` (relative
   * keys, byte order) cut the listing into ranges a store may list in parallel.
   */
  list(prefix: string, splits?: string[]): Promise<StoredObject[]>;
  /**
   * The files under `prefix/scope` in key order as they are read, never held as a list
   * (folders): layer-relative keys, normalised; names the key rule refuses are left out and
   * named in `refused` as they are met.
   */
  listInOrder?(prefix: string, scope: string, refused: Refusal[]): Iterable<Entry>;
  /**
   * The objects under `prefix/` as pages in key order as they arrive (S3), never held whole;
   * `splits` as for list. Keys relative to the prefix, as stored.
   */
  listPages?(prefix: string, splits?: string[]): AsyncIterable<StoredObject[]>;
  /**
   * The names of the immediate sub-folders of `prefix/`, sorted (S3: a delimiter listing's
   * common prefixes; folders: the directories in it): one level, none of the objects below.
   */
  folders(prefix: string): Promise<string[]>;
  /** The object's bytes and the modification time kept with it (recorded at push, else the store's own). */
  read(key: string): Promise<RemoteRead>;
  /**
   * Bytes [start, end) of an object (start < end; fewer when the object ends sooner, none when
   * it ends before `start`), reading no more than those; null when there is no such object.
   */
  readRange(key: string, start: number, end: number): Promise<Uint8Array | null>;
  /** Upload a local file; returns the digests of what was stored (verified against the server's) and its new change tag. */
  put(key: string, file: string, opts: PutOptions): Promise<{ digests: Digests; tag?: string }>;
  /**
   * Copy inside the store, no bytes through this machine. Returns the copy's change tag where
   * the store answers one (S3: its ETag, which a copy in parts does not share with the source),
   * and a digest of the content the tag stands for when the source's listing had none (a
   * copy in parts: its multipart ETag).
   */
  copy(from: string, to: string, opts: CopyOptions): Promise<{ tag?: string; digests?: Digests }>;
  delete(keys: string[]): Promise<{ key: string; error: string }[]>;
  /** Create-only write: false when the key already exists (the compare-and-swap behind the journal). */
  putIfAbsent(key: string, body: string): Promise<boolean>;
  getText(key: string): Promise<string | null>;
  /** Overwrite a small text object (the journal's head pointer): a reader sees the old text or the new, whole. */
  putText(key: string, body: string): Promise<void>;
  /** Whether an object exists (a HEAD on S3, a stat on folders): the journal's probe of one sequence number. */
  exists(key: string): Promise<boolean>;
  /**
   * The objects under `prefix/` whose relative key sorts after `after` (S3's StartAfter), for
   * the journal's records newer than its head pointer without listing the older ones.
   */
  listAfter(prefix: string, after: string): Promise<StoredObject[]>;
  /**
   * Remove what dead pushes left under `prefix`: incomplete multipart uploads (S3), temp files
   * (folders). Called only by the holder of the space's journal claim, so nothing live is touched.
   */
  cleanup?(prefix: string): Promise<number>;
  /** Digests of a stored object whose listing has none (folders: read and hash it). */
  digests?(key: string): Promise<Digests>;
}
