// A test's remote: what strata.yaml and the environment need to use it, and direct access
// for assertions and for the other tools a lab runs beside Strata (rclone, the hf CLI). Three
// kinds, one shape: a plain folder (remote-folder.ts), a bucket on the test S3 server
// (remote-s3.ts), and a dataset repo on a Hub for processed/ with a folder for the other
// layers (remote-hub.ts). Keys are addressed three ways, each named by its method:
//   layer keys  — relative to a layer's space on a branch: layer(), get(), put(), etag(), blockWrite();
//   PREFIX keys — relative to the folder strata.yaml's URL names: files(), keys(), rclonePath();
//   store keys  — relative to the whole bucket or folder: storeKeys(), storeRead().
import { fileRemote } from './remote-folder.js';
import { hubRemote } from './remote-hub.js';
import { s3Remote } from './remote-s3.js';
import type { FolderRemote } from './remote-folder.js';
import type { HubRemote } from './remote-hub.js';
import type { BucketRemote } from './remote-s3.js';

export { fileRemote, hubRemote, s3Remote, type BucketRemote, type FolderRemote, type HubRemote };
export { spacePath } from './remote-layout.js';

export type RemoteKind = 'file' | 's3' | 'hf';
export type Remote = FolderRemote | BucketRemote | HubRemote;
export type ObjectRemote = FolderRemote | BucketRemote;

/** What every kind offers. */
export interface RemoteBase {
  readonly kind: RemoteKind;
  /** strata.yaml lines that name it. */
  readonly yaml: string;
  /** What a Strata run needs in its environment to reach it: credentials, and the proxy's address when made `via` one. */
  readonly env: Record<string, string>;
  /** key → sha256 of a layer's files on a branch, read directly (never through a proxy); Strata's temp files left out. */
  layer(branch?: string, layer?: string): Promise<Record<string, string>>;
  /** The bytes of a layer's file on a branch, or null when there is none. */
  get(key: string, branch?: string, layer?: string): Promise<Buffer | null>;
  /** Writes a layer's file on a branch as another tool would (rclone, the hf CLI): not through Strata. */
  put(key: string, content: string | Buffer, branch?: string, layer?: string): Promise<void>;
  /** Removes what it made outside the test's temp folders (a bucket). */
  cleanup(): Promise<void>;
}

/** What a folder and a bucket offer besides. */
export interface ObjectRemoteBase extends RemoteBase {
  /** The URL in strata.yaml. */
  readonly url: string;
  /** PREFIX-relative folder of a layer's space on a branch: `processed`, `branches/<b>/processed`. */
  space(branch?: string, layer?: string): string;
  /** key → sha256 of everything under PREFIX/sub (journal and temp files included), keys relative to PREFIX/sub. */
  files(sub?: string): Promise<Record<string, string>>;
  /** The keys under PREFIX/sub, sorted. */
  keys(sub?: string): Promise<string[]>;
  /** Every key of the whole bucket or folder, sorted: a write outside PREFIX shows too. */
  storeKeys(): Promise<string[]>;
  /** The bytes at a store key, or null. */
  storeRead(storeKey: string): Promise<Buffer | null>;
  /** An rclone path for PREFIX/sub (a local path, or an on-the-fly `:s3,…:` remote). */
  rclonePath(sub?: string): string;
  /**
   * Makes every write of a layer's file fail until unblockWrites(), the way a server or a share
   * refuses one object: a folder where the file should go (folder), a bucket policy that
   * denies PutObject on that one key (S3). Listings are unaffected.
   */
  blockWrite(key: string, branch?: string, layer?: string): Promise<void>;
  unblockWrites(): Promise<void>;
}
