// Copies inside an S3 store (a new branch's first push copying main's files, promote): no byte
// passes through this machine. One CopyObject copies at most 5 GiB (AWS refuses more; Ceph RGW
// keeps the same limit); above it the copy goes in parts: CreateMultipartUpload, one
// UploadPartCopy per byte range of the source, CompleteMultipartUpload — and
// AbortMultipartUpload when any step fails, so no half-made copy is left behind (a push killed
// mid-copy leaves an upload that the next push's cleanup aborts, as for uploads).
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { Digests } from '../state/record.js';
import { mtimeMeta, MTIME_META } from '../listing/mtime.js';
import type { CopyOptions } from './object-store.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface CopyLimits {
  /** The largest object one CopyObject copies: 5 GiB on AWS (and on Ceph RGW by default). */
  single: number;
  /** Part size of a copy in parts. AWS takes 5 MiB–5 GiB per part and at most 10,000 parts. */
  part: number;
}

/**
 * COPY_LIMITS: copies in parts of 512 MiB, so a 6 GiB file is 12 parts, each a few seconds of
 * the server's time; 512 MiB is also among the part sizes a listed ETag is matched against
 * (listing/digest.ts), so the copy's ETag still compares with a local file.
 */
export const COPY_LIMITS: CopyLimits = { single: 5 * GiB, part: 512 * MiB };
/** AWS's most parts in one multipart upload: a larger source gets larger parts. */
const MAX_PARTS = 10_000;
/** Part copies in flight at once: the server does the work, this machine only waits. */
const PARTS_IN_FLIGHT = 4;

/** What a copy answers: its change tag (ETag), and for a copy in parts the multipart ETag it got. */
export interface CopyResult {
  tag?: string;
  digests?: Digests;
}

/**
 * s3Copy copies `from` to `to` inside `bucket`. The copy carries Strata's metadata for this
 * push (`opts.meta`) and the file's time (`opts.mtimeMs`, else the source's); when the source
 * has to be read first (its size or time unknown, or a copy in parts) it also keeps the
 * source's content type and any other metadata.
 */
export async function s3Copy(client: S3Client, bucket: string, from: string, to: string, opts: CopyOptions, limits: CopyLimits = COPY_LIMITS): Promise<CopyResult> {
  const CopySource = `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
  if (opts.size !== undefined && opts.size <= limits.single && opts.mtimeMs !== undefined) {
    // The common case (a branch's first push): size and time come from the listings, one request.
    const Metadata = { ...opts.meta, [MTIME_META]: mtimeMeta(opts.mtimeMs) };
    const res = await client.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource, MetadataDirective: 'REPLACE', Metadata }));
    return { tag: unquote(res.CopyObjectResult?.ETag) };
  }
  const source = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: from }));
  const size = source.ContentLength ?? 0;
  const mtime = opts.mtimeMs !== undefined ? mtimeMeta(opts.mtimeMs) : source.Metadata?.[MTIME_META];
  const Metadata = { ...source.Metadata, ...opts.meta, ...(mtime ? { [MTIME_META]: mtime } : {}) };
  const ContentType = source.ContentType;
  if (size <= limits.single) {
    const res = await client.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource, CopySourceIfMatch: source.ETag, MetadataDirective: 'REPLACE', Metadata, ContentType }));
    return { tag: unquote(res.CopyObjectResult?.ETag) };
  }
  return copyInParts(client, { bucket, to, CopySource, size, etag: source.ETag, Metadata, ContentType }, partSizeFor(size, limits.part));
}

/** partSizeFor: the configured part size, or the smallest whole MiB that keeps `size` within MAX_PARTS parts. */
export function partSizeFor(size: number, part: number): number {
  return Math.max(part, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

interface PartsCopy {
  bucket: string;
  to: string;
  CopySource: string;
  size: number;
  /** The source's ETag: every part is copied from that version, or the copy fails (412) and is aborted. */
  etag?: string;
  Metadata: Record<string, string>;
  ContentType?: string;
}

async function copyInParts(client: S3Client, c: PartsCopy, part: number): Promise<CopyResult> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: c.bucket, Key: c.to, Metadata: c.Metadata, ContentType: c.ContentType }));
  try {
    const limit = pLimit(PARTS_IN_FLIGHT);
    const count = Math.ceil(c.size / part);
    const Parts = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        limit(async () => {
          const range = `bytes=${i * part}-${Math.min(c.size, (i + 1) * part) - 1}`;
          const res = await client.send(
            new UploadPartCopyCommand({ Bucket: c.bucket, Key: c.to, UploadId, PartNumber: i + 1, CopySource: c.CopySource, CopySourceRange: range, CopySourceIfMatch: c.etag }),
          );
          return { PartNumber: i + 1, ETag: res.CopyPartResult?.ETag };
        }),
      ),
    );
    const done = await client.send(new CompleteMultipartUploadCommand({ Bucket: c.bucket, Key: c.to, UploadId, MultipartUpload: { Parts } }));
    // Some servers (Ceph RGW) answer the completion with an empty ETag; HEAD has the real one.
    const etag = unquote(done.ETag) || unquote((await client.send(new HeadObjectCommand({ Bucket: c.bucket, Key: c.to }))).ETag);
    // A multipart ETag names its part size: kept, so the next sync compares without hashing.
    return { tag: etag, digests: etag?.endsWith(`-${count}`) ? { [`etag:${part}`]: etag } : undefined };
  } catch (e) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: c.bucket, Key: c.to, UploadId })).catch(() => undefined);
    throw e;
  }
}

function unquote(etag: string | undefined): string | undefined {
  return etag ? etag.replace(/"/g, '') : undefined;
}
