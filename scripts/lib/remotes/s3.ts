// S3 (AWS or any S3-compatible store) as an ObjectStore. Integrity end to end: small files
// carry Content-MD5; large files go in parts (s3-upload.ts), hashed while streamed, the stored ETag checked
// against the locally computed multipart ETag. Checksum trailers are off because
// S3-compatible servers (Ceph RGW among them) refuse the SDK's aws-chunked uploads.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createDigester, etagDigests } from '../listing/digest.js';
import type { Digests } from '../state/record.js';
import { httpDateMs, mtimeMeta, MTIME_META, parseMtimeMeta } from '../listing/mtime.js';
import { assertUnchanged, stampOf } from '../listing/unchanged.js';
import { SMALL_FILE, type CopyOptions, type ObjectStore, type PutOptions, type StoredObject } from './object-store.js';
import { COPY_LIMITS, s3Copy, type CopyLimits, type CopyResult } from './s3-copy.js';
import { uploadInParts } from './s3-upload.js';
import { connectS3, explainS3Error, type S3Connection } from './s3-client.js';
import type { RemoteRead } from './types.js';
import { retryableS3, S3Http, type ListPage } from './s3-http.js';
import { withRetries } from './retry-policy.js';
import { byKey, compareKeys } from '../listing/entry.js';
import { collect, Prefetch } from './prefetch.js';

/** Key ranges of a streamed listing being listed at once (listPages). */
const RANGES_IN_FLIGHT = 4;

export class S3Store implements ObjectStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly endpoint: string | undefined;
  private readonly connection: S3Connection;
  /** Plain signed requests for listing pages and single-request GETs and PUTs (an explicit endpoint only; see s3-http.ts). */
  private readonly http: S3Http | undefined;
  /** Where a copy inside the store goes in parts (s3-copy.ts); lowered by tests to copy small objects in parts. */
  copyLimits: CopyLimits = COPY_LIMITS;
  constructor(
    readonly bucket: string,
    env: Record<string, string | undefined>,
    transfers: number,
    idleTimeoutMs = 120_000,
  ) {
    this.connection = connectS3(bucket, env, transfers, idleTimeoutMs);
    this.client = this.connection.client;
    this.endpoint = this.connection.endpoint;
    if (this.endpoint) {
      this.http = new S3Http({
        endpoint: this.endpoint,
        bucket,
        region: () => this.client.config.region(),
        credentials: () => this.client.config.credentials(),
        maxSockets: transfers * 2,
        idleTimeoutMs,
        ca: this.connection.ca,
      });
    }
  }

  async list(prefix: string, splits: string[] = []): Promise<StoredObject[]> {
    const full = prefix ? `${prefix}/` : '';
    // Ranges (after, upTo]: the first from the start, the last to the end of the prefix.
    const bounds = [undefined, ...splits.map((k) => full + k)];
    const ranges = await Promise.all(bounds.map((after, i) => collect(this.rangePages(full, after, bounds[i + 1]))));
    const out = ranges.flat();
    // Ranges in order are already in S3's order (UTF-8 bytes, byKey's): the sort only checks it, in one pass.
    return out.sort(byKey);
  }

  /**
   * The listing's pages in key order as they arrive, never held whole: the ranges cut at
   * `splits` are listed RANGES_IN_FLIGHT at a time, each ahead of the reader by at most its
   * own length, so memory holds a few ranges whatever the listing's size.
   */
  async *listPages(prefix: string, splits: string[] = []): AsyncGenerator<StoredObject[]> {
    const full = prefix ? `${prefix}/` : '';
    const bounds = [undefined, ...splits.map((k) => full + k)];
    const ranges: Prefetch<StoredObject[]>[] = [];
    const start = (i: number) => {
      if (i < bounds.length && !ranges[i]) ranges[i] = new Prefetch(this.rangePages(full, bounds[i], bounds[i + 1]));
    };
    try {
      for (let i = 0; i < bounds.length; i++) {
        for (let j = i; j < i + RANGES_IN_FLIGHT; j++) start(j);
        yield* ranges[i]!;
      }
    } finally {
      // Stopped early (the sync failed): the ranges still listing finish on their own, unread.
      for (const r of ranges) r?.abandon();
    }
  }

  async listAfter(prefix: string, after: string): Promise<StoredObject[]> {
    const full = prefix ? `${prefix}/` : '';
    return (await collect(this.rangePages(full, full + after, undefined))).sort(byKey);
  }

  /** The pages of the keys in (after, upTo], folder markers left out, keys relative to `full`. */
  private async *rangePages(full: string, after: string | undefined, upTo: string | undefined): AsyncGenerator<StoredObject[]> {
    let token: string | undefined;
    do {
      const page = await this.call(`list s3://${this.bucket}/${full}`, () => this.listPage(full, after, token));
      const contents = page.objects;
      // Pages come in key order: only a page that ends past the range needs checking key by key.
      const last = contents[contents.length - 1]?.key;
      const crosses = upTo !== undefined && last !== undefined && compareKeys(last, upTo) > 0;
      const out: StoredObject[] = [];
      for (const o of contents) {
        if (crosses && compareKeys(o.key, upTo!) > 0) break; // the next range's
        if (!o.key || o.key.endsWith('/')) continue; // folder markers some tools create
        out.push({ key: o.key.slice(full.length), size: o.size, tag: o.etag, etag: o.etag, digests: etagDigests(o.etag, o.size) });
      }
      if (out.length) yield out;
      if (crosses) return;
      token = page.next;
    } while (token);
  }

  /**
   * folders: one delimiter listing of `prefix/`, paged through its common prefixes (objects
   * directly in it are not folders and are left out). Its pages are retried as every listing page.
   */
  async folders(prefix: string): Promise<string[]> {
    const full = prefix ? `${prefix}/` : '';
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(`list the folders of s3://${this.bucket}/${full}`, () => this.listPage(full, undefined, token, '/'));
      for (const p of page.folders) {
        const name = p.slice(full.length, -1);
        if (name) names.push(name); // "prefix//…" names no folder
      }
      token = page.next;
    } while (token);
    return names.sort(compareKeys);
  }

  private async listPage(full: string, after: string | undefined, token: string | undefined, delimiter?: string): Promise<ListPage> {
    if (this.http) return this.http.list(full, after, token, delimiter);
    const page = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, Delimiter: delimiter, ContinuationToken: token, StartAfter: token ? undefined : after }),
    );
    return {
      objects: (page.Contents ?? []).map((o) => ({ key: o.Key ?? '', size: o.Size ?? 0, etag: (o.ETag ?? '').replace(/"/g, '') })),
      folders: (page.CommonPrefixes ?? []).flatMap((p) => (p.Prefix ? [p.Prefix] : [])),
      next: page.IsTruncated ? page.NextContinuationToken : undefined,
    };
  }

  async read(key: string): Promise<RemoteRead> {
    // The GET answers the time too (no extra request): rclone's metadata, else Last-Modified.
    if (this.http) {
      const res = await this.call(`read s3://${this.bucket}/${key}`, () => this.http!.get(key));
      return { body: res, mtimeMs: parseMtimeMeta(res.headers[`x-amz-meta-${MTIME_META}`]) ?? httpDateMs(res.headers['last-modified']) };
    }
    // Tried once (the reader client): the download (apply/download.ts) retries the whole file.
    const res = await this.call(`read s3://${this.bucket}/${key}`, () => this.connection.reader.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    return { body: res.Body as Readable, mtimeMs: parseMtimeMeta(res.Metadata?.[MTIME_META]) ?? httpDateMs(res.LastModified) };
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array | null> {
    const what = `read s3://${this.bucket}/${key} (bytes ${start}-${end - 1})`;
    if (this.http) return this.call(what, () => this.http!.getRange(key, start, end));
    try {
      // The reader client tries once; the one rule retries the request and the reading of its bytes together.
      return await withRetries(async () => {
        const res = await this.connection.reader.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
        return res.Body!.transformToByteArray();
      }, { retryable: retryableS3 });
    } catch (e) {
      const name = (e as Error).name;
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (name === 'NoSuchKey' || (status === 404 && name !== 'NoSuchBucket')) return null;
      if (name === 'InvalidRange' || status === 416) return new Uint8Array(0);
      throw this.explain(what, e);
    }
  }

  async put(key: string, file: string, opts: PutOptions): Promise<{ digests: Digests; tag: string }> {
    const Metadata = { ...opts.meta, [MTIME_META]: mtimeMeta(opts.mtimeMs) };
    const before = stampOf(file);
    if (opts.size <= SMALL_FILE) {
      const body = await fs.promises.readFile(file);
      assertUnchanged(file, before, 'while being read');
      if (body.length !== opts.size) throw new Error(`${file} changed size while being read (${opts.size} → ${body.length} bytes)`);
      const d = createDigester(['md5'], body.length);
      d.update(body);
      const digests = d.digests();
      const contentMd5 = Buffer.from(digests.md5!, 'hex').toString('base64');
      await this.call(`upload s3://${this.bucket}/${key}`, async () => {
        if (!this.http) return this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length, ContentMD5: contentMd5, Metadata }));
        const headers: Record<string, string> = { 'content-md5': contentMd5 };
        for (const [k, v] of Object.entries(Metadata)) headers[`x-amz-meta-${k}`] = v;
        return this.http.put(key, body, headers);
      });
      opts.onBytes?.(body.length);
      return { digests, tag: digests.md5! };
    }
    return uploadInParts({ client: this.client, bucket: this.bucket, key, file, size: opts.size, before, Metadata, onBytes: opts.onBytes, call: (what, fn) => this.call(what, fn) });
  }

  async copy(from: string, to: string, opts: CopyOptions): Promise<CopyResult> {
    return this.call(`copy s3://${this.bucket}/${from}`, () => s3Copy(this.client, this.bucket, from, to, opts, this.copyLimits));
  }

  async delete(keys: string[]) {
    const failed: { key: string; error: string }[] = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      try {
        const res = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        for (const e of res.Errors ?? []) failed.push({ key: e.Key ?? '?', error: `${e.Code}: ${e.Message}` });
      } catch (e) {
        for (const key of batch) failed.push({ key, error: (e as Error).message });
      }
    }
    return failed;
  }

  async cleanup(prefix: string): Promise<number> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: `${prefix}/`, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      for (const u of page.Uploads ?? []) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key!, UploadId: u.UploadId! }));
        aborted++;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return aborted;
  }

  async putIfAbsent(key: string, body: string): Promise<boolean> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, IfNoneMatch: '*', ContentType: 'application/json' }));
      return true;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // 412: the key exists; 409: another create-only write of it is in flight (AWS).
      if (status === 412 || status === 409) return false;
      throw this.explain(`write s3://${this.bucket}/${key}`, e);
    }
  }

  async getText(key: string): Promise<string | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await res.Body!.transformToString();
    } catch (e) {
      if ((e as Error).name === 'NoSuchKey' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw this.explain(`read s3://${this.bucket}/${key}`, e);
    }
  }

  async putText(key: string, body: string): Promise<void> {
    await this.call(`write s3://${this.bucket}/${key}`, () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' })));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if ((e as Error).name === 'NotFound' || status === 404) return false;
      throw this.explain(`check s3://${this.bucket}/${key}`, e);
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.explain(what, e);
    }
  }

  private explain(what: string, e: unknown): Error {
    return explainS3Error(this.connection, what, e);
  }
}
