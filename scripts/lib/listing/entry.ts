// Entry is the one shape every listing produces — local folder, S3, plain folder or the Hub —
// so that matching and planning never know where a listing came from.

/** Digest names a content hash. `etag:<partSize>` is an S3 multipart ETag for that part size. */
export type DigestName = 'md5' | 'sha256' | 'gitsha1' | `etag:${number}`;

export interface Entry {
  /** Layer-relative key: NFC, forward slashes, no leading slash. */
  key: string;
  size: number;
  /** Local files: modification time (ms). Used with size to decide when to re-hash. */
  mtimeMs?: number;
  /**
   * Remote files: an opaque change token (S3 ETag, file size+mtime, Hub blob oid).
   * If it is unchanged since the last sync, the content is unchanged too.
   */
  tag?: string;
  /** Known content hashes. Remote listings fill what they get for free. */
  digests: Partial<Record<DigestName, string>>;
  /** Local files whose on-disk name differs from the key (e.g. NFD names on macOS). */
  name?: string;
  /** S3 ETag as listed (quotes removed), when the entry came from S3. */
  etag?: string;
}

export function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
