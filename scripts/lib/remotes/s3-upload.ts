// A file above one request's size uploaded to S3 in parts (@aws-sdk/lib-storage), hashed as it
// streams: the stored ETag is checked against the multipart ETag computed locally, and a file
// rewritten while it was read fails before the upload is completed, so the store never holds
// a mix of old and new. Small files go in one request (s3.ts `put`).
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createDigester } from '../listing/digest.js';
import { assertUnchanged, type FileStamp } from '../listing/unchanged.js';
import type { Digests } from '../state/record.js';

const MiB = 1024 * 1024;
/** Part size of multipart uploads: the AWS CLI's default, so its ETags and ours agree. */
export const PART_SIZE = 8 * MiB;
/** Parts of one file in flight at once (memory per large file = PART_SIZE × this). */
const PARTS_IN_FLIGHT = 6;

export interface PartsUpload {
  client: S3Client;
  bucket: string;
  key: string;
  file: string;
  size: number;
  /** The file's size and time when the push planned it (listing/unchanged.ts). */
  before: FileStamp;
  Metadata: Record<string, string>;
  onBytes?: (n: number) => void;
  /** The store's wrapper that turns an SDK error into one naming `what`. */
  call: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
}

export async function uploadInParts(u: PartsUpload): Promise<{ digests: Digests; tag: string }> {
  const { client, bucket, key, file, size, before, Metadata, onBytes, call } = u;
  // Above one part the stored ETag is the multipart one, and that hash alone is what the
  // state record needs: a second full MD5 pass over a large file would double the CPU.
  const digester = createDigester(size > PART_SIZE ? [`etag:${PART_SIZE}`] : ['md5', `etag:${PART_SIZE}`], size);
  let seen = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      digester.update(chunk);
      seen += chunk.length;
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
    // Before the last part goes and the upload is completed: a file rewritten while it was
    // read fails here, so the remote never gets a mix of old and new.
    flush(cb) {
      try {
        assertUnchanged(file, before, 'while being uploaded');
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  const source = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  source.on('error', (e) => hashing.destroy(e));
  source.pipe(hashing);
  // Loaded on the first large file: most syncs never need it.
  const { Upload } = await import('@aws-sdk/lib-storage');
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: hashing, Metadata },
    partSize: PART_SIZE,
    queueSize: PARTS_IN_FLIGHT,
    leavePartsOnError: false,
  });
  await call(`upload s3://${bucket}/${key}`, () => upload.done());
  if (seen !== size) throw new Error(`${file} changed size while being uploaded (${size} → ${seen} bytes)`);
  const digests = digester.digests();
  // Some servers answer CompleteMultipartUpload with an empty ETag; HEAD has the real one.
  const head = await call(`check s3://${bucket}/${key}`, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
  const etag = (head.ETag ?? '').replace(/"/g, '');
  const expected = etag.includes('-') ? digests[`etag:${PART_SIZE}`] : digests.md5;
  if (etag && etag !== expected) {
    throw new Error(`the stored object's ETag ${etag} does not match what was read locally (${expected}); the file may have changed during upload`);
  }
  return { digests, tag: etag || expected! };
}
