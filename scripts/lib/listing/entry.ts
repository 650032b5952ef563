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

// Units from U+D800 up: a surrogate half, or U+E000–U+FFFF.
const HIGH = /[\uD800-\uFFFF]/;

/**
 * compareKeys orders keys by code point — the order of their UTF-8 bytes, in which S3 lists
 * and SQLite sorts — so that every sorted stream a sync merges (listings, the state record)
 * agrees. JavaScript's `<` compares UTF-16 units, which differs only where both keys hold a
 * unit from U+D800 up (an emoji against a full-width letter): only then is the slow path taken.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  if (!HIGH.test(a) || !HIGH.test(b)) return a < b ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// A surrogate half stands for a code point above U+FFFF: it ranks after U+E000–U+FFFF.
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit < 0xe000) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/**
 * KeySample: keys a space probably holds, in key order, without holding them all — the state
 * record's rows of its last sync. A store uses it to list key ranges side by side.
 */
export interface KeySample {
  count: number;
  /** The i-th key (0-based) in key order. */
  keyAt(i: number): string | undefined;
}

/** sampleOf: a KeySample of a sorted array (tests, small listings). */
export function sampleOf(entries: readonly { key: string }[]): KeySample {
  return { count: entries.length, keyAt: (i) => entries[i]?.key };
}

export function byKey(a: { key: string }, b: { key: string }): number {
  return compareKeys(a.key, b.key);
}
