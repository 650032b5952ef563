// Downloads go to a temporary file in the destination folder, are verified against the
// remote's hash and size, and only then renamed over the real name (SPEC §6.6): nothing
// half-written ever carries a real file's name, and a kill leaves at most a *.strata-tmp.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StrataError } from '../errors.js';
import type { DigestName, Entry } from '../listing/entry.js';
import { createDigester, sameContent } from '../listing/digest.js';
import type { Digests } from '../state/record.js';
import { SMALL_FILE } from '../remotes/object-store.js';
import { TRIES, withRetries } from '../remotes/retry-policy.js';
import type { Backend } from '../remotes/types.js';
import type { Space } from '../space.js';
import { inFlight } from './in-flight.js';

// Unique per run (random) and per file (a counter): random bytes for every file cost more
// CPU than the small file's download.
const RUN_TAG = crypto.randomBytes(3).toString('hex');
let tempCount = 0;

export function tempName(dest: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest).slice(0, 100)}.${RUN_TAG}${(tempCount++).toString(36)}.strata-tmp`);
}

const PERMANENT_CODES = new Set(['ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'EDQUOT', 'ENAMETOOLONG']);

/** transient: worth another try (a dropped, stalled or cut-short transfer), not a refusal or a full disk. */
export function transient(e: unknown): boolean {
  if (e instanceof StrataError) return false;
  const err = e as NodeJS.ErrnoException & { status?: number; $metadata?: { httpStatusCode?: number } };
  if (err.code && PERMANENT_CODES.has(err.code)) return false;
  const status = err.status ?? err.$metadata?.httpStatusCode;
  if (status !== undefined && status < 500 && status !== 429 && status !== 408) return false;
  return true;
}

/**
 * downloadVerified retries a download that failed part-way (reset, stall, truncated or
 * corrupted body) with a fresh temp file, by the one retry rule (remotes/retry-policy.ts);
 * permanent errors fail at once.
 */
export async function downloadVerified(
  backend: Backend,
  space: Space,
  entry: Entry,
  dest: string,
  onBytes: (n: number) => void,
  onRetry: (message: string) => void,
  localDisk = false,
): Promise<Downloaded> {
  return withRetries(async () => {
    try {
      return await download(backend, space, entry, dest, onBytes, localDisk);
    } catch (e) {
      // A stream may fail with a bare reason (a string): still a failed try, as an Error.
      throw e instanceof Error ? e : new Error(String(e));
    }
  }, {
    retryable: transient,
    onRetry: ({ error, attempt }) => onRetry(`${entry.key}: ${error.message}; retrying (${attempt}/${TRIES - 1})`),
  });
}

/** A verified temp file for the caller to rename, with the time the remote keeps for it. */
export interface Downloaded {
  tmp: string;
  digests: Digests;
  mtimeMs?: number;
}

/**
 * download fetches `entry` into a verified temp file and returns its path, digests and the
 * remote's time for it; the caller sets that time and renames it. `localDisk`: write small
 * files synchronously (see local-disk.ts).
 */
export async function download(backend: Backend, space: Space, entry: Entry, dest: string, onBytes: (n: number) => void, localDisk = false): Promise<Downloaded> {
  const tmp = tempName(dest);
  inFlight.add(tmp);
  // The hashes the remote listed are the ones to check (hashing one more costs a pass over
  // every byte); a remote that lists none (a plain folder) gets an MD5 for the state record.
  const listed = Object.keys(entry.digests) as DigestName[];
  const digester = createDigester(listed.length ? listed : ['md5'], entry.size);
  let size = 0;
  try {
    if (entry.size <= SMALL_FILE) {
      // Small files (most of a lab's files) are taken whole: one buffer, hashed once, one
      // write — a stream pipeline per file costs more CPU than the bytes do.
      const chunks: Buffer[] = [];
      // An empty file is read too: its time comes with the answer.
      const remote = await backend.openRead(space, entry);
      for await (const chunk of remote.body) {
        chunks.push(chunk as Buffer);
        size += (chunk as Buffer).length;
        if (size > entry.size) break;
      }
      const mtimeMs = remote.mtimeMs;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      digester.update(body);
      const digests = digester.digests();
      checkReceived(entry, size, digests);
      if (localDisk) fs.writeFileSync(tmp, body, { flag: 'wx' });
      else await fs.promises.writeFile(tmp, body, { flag: 'wx' });
      onBytes(size);
      return { tmp, digests, mtimeMs };
    }
    const remote = await backend.openRead(space, entry);
    await pipeline(
      remote.body,
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          digester.update(chunk);
          size += chunk.length;
          onBytes(chunk.length);
          cb(null, chunk);
        },
      }),
      fs.createWriteStream(tmp, { highWaterMark: 1 << 20, flags: 'wx' }),
    );
    const digests = digester.digests();
    checkReceived(entry, size, digests);
    return { tmp, digests, mtimeMs: remote.mtimeMs };
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    inFlight.delete(tmp);
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new StrataError(`The disk is full while downloading ${entry.key} to ${path.dirname(dest)}.`, 'Free some space (e.g. `just recycle-clean`) and run the recipe again; nothing partial was kept.');
    }
    throw e;
  }
}

// What arrived must be what the listing promised: its size, and its hash where one is listed.
function checkReceived(entry: Entry, size: number, digests: Digests) {
  if (size !== entry.size) throw new Error(`received ${size} bytes, the listing said ${entry.size} (truncated or changed during download)`);
  if (Object.keys(entry.digests).length && sameContent(digests, entry.digests) !== true) {
    throw new Error(`content does not match the remote hash (${Object.values(entry.digests)[0]}); the download was corrupted or the file changed`);
  }
}
