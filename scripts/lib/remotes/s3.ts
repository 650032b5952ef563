// S3 (AWS or any S3-compatible store) as an ObjectStore. Integrity end to end: small files
// carry Content-MD5; large files are hashed while streamed and the stored ETag is checked
// against the locally computed multipart ETag. Checksum trailers are off because
// S3-compatible servers (Ceph RGW among them) refuse the SDK's aws-chunked uploads.
import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  ListMultipartUploadsCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { RefusedError, StrataError } from '../errors.js';
import { createDigester, etagDigests } from '../listing/digest.js';
import type { Digests } from '../listing/state.js';
import { assertUnchanged, stampOf } from '../listing/unchanged.js';
import { SMALL_FILE, type ObjectStore, type PutOptions, type StoredObject } from './object-store.js';
import { S3Http, type ListPage } from './s3-http.js';
import { byteOrder } from '../listing/keys.js';

const MiB = 1024 * 1024;
/** Part size of multipart uploads: the AWS CLI's default, so its ETags and ours agree. */
export const PART_SIZE = 8 * MiB;
/** Parts of one file in flight at once (memory per large file = PART_SIZE × this). */
const PARTS_IN_FLIGHT = 6;

export function s3ClientConfig(env: Record<string, string | undefined>, transfers: number, idleTimeoutMs = 120_000): S3ClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const config: S3ClientConfig = {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
    retryMode: 'adaptive',
    // socketTimeout is an idle timeout: a stalled server fails the request (the SDK retries it),
    // while a slow but steady transfer of any size goes on. (requestTimeout would only warn.)
    requestHandler: {
      connectionTimeout: Math.min(5_000, idleTimeoutMs),
      socketTimeout: idleTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: transfers * 2 },
      httpsAgent: { keepAlive: true, maxSockets: transfers * 2 },
    },
  };
  if (env.AWS_CA_BUNDLE) {
    // The JavaScript SDK does not read AWS_CA_BUNDLE itself; the CLI and rclone do, so labs set it.
    try {
      (config.requestHandler as { httpsAgent: Record<string, unknown> }).httpsAgent.ca = fs.readFileSync(env.AWS_CA_BUNDLE);
    } catch (e) {
      throw new StrataError(`AWS_CA_BUNDLE names ${env.AWS_CA_BUNDLE}, which cannot be read (${(e as NodeJS.ErrnoException).code}).`, 'Point AWS_CA_BUNDLE at your organisation\'s CA certificate file (PEM), or remove it.', 2);
    }
  }
  if (endpoint) {
    config.endpoint = endpoint;
    // Self-hosted stores rarely have per-bucket DNS names.
    config.forcePathStyle = true;
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
  } else if (env.AWS_PROFILE) {
    config.profile = env.AWS_PROFILE;
  }
  return config;
}

/** Network errors that mean "wrong address or no network", not a bug. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class S3Store implements ObjectStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly endpoint: string | undefined;
  /** The AWS_PROFILE the credentials come from, when they come from one (for messages). */
  private readonly profile: string | undefined;
  /** Plain signed requests for listing pages and single-request GETs and PUTs (an explicit endpoint only; see s3-http.ts). */
  private readonly http: S3Http | undefined;
  constructor(
    readonly bucket: string,
    env: Record<string, string | undefined>,
    transfers: number,
    idleTimeoutMs = 120_000,
  ) {
    const config = s3ClientConfig(env, transfers, idleTimeoutMs);
    this.client = new S3Client(config);
    // Uploads are checked end to end by Content-MD5 (one request) or the multipart ETag
    // (parts). The SDK would also hash every in-memory body with SHA-256 for the signature —
    // a second pass over every byte of a large file — so the payload is declared unsigned,
    // as the SDK itself does for streamed bodies.
    this.client.middlewareStack.add(
      (next) => (args) => {
        const headers = (args.request as { headers?: Record<string, string> }).headers;
        if (headers && !('x-amz-content-sha256' in headers)) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        return next(args);
      },
      { step: 'build', name: 'strataUnsignedPayload' },
    );
    this.endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    this.profile = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? undefined : env.AWS_PROFILE;
    if (this.endpoint) {
      this.http = new S3Http({
        endpoint: this.endpoint,
        bucket,
        region: () => this.client.config.region(),
        credentials: () => this.client.config.credentials(),
        maxSockets: transfers * 2,
        idleTimeoutMs,
        ca: (config.requestHandler as { httpsAgent: { ca?: Buffer } }).httpsAgent.ca,
      });
    }
  }

  async list(prefix: string, splits: string[] = []): Promise<StoredObject[]> {
    const full = prefix ? `${prefix}/` : '';
    // Ranges (after, upTo]: the first from the start, the last to the end of the prefix.
    const bounds = [undefined, ...splits.map((k) => full + k)];
    const ranges = await Promise.all(bounds.map((after, i) => this.listRange(full, after, bounds[i + 1])));
    const out = ranges.flat();
    // S3 lists in UTF-8 byte order; JavaScript compares UTF-16 code units. Re-sort for match().
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async listRange(full: string, after: string | undefined, upTo: string | undefined): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(`list s3://${this.bucket}/${full}`, () => this.listPage(full, after, token));
      const contents = page.objects;
      // Pages come in key order: only a page that ends past the range needs checking key by key.
      const last = contents[contents.length - 1]?.key;
      const crosses = upTo !== undefined && last !== undefined && byteOrder(last, upTo) > 0;
      for (const o of contents) {
        if (crosses && byteOrder(o.key, upTo!) > 0) return out; // the next range's
        if (!o.key || o.key.endsWith('/')) continue; // folder markers some tools create
        out.push({ key: o.key.slice(full.length), size: o.size, tag: o.etag, etag: o.etag, digests: etagDigests(o.etag, o.size) });
      }
      token = page.next;
    } while (token);
    return out;
  }

  private async listPage(full: string, after: string | undefined, token: string | undefined): Promise<ListPage> {
    if (this.http) return this.http.list(full, after, token);
    const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token, StartAfter: token ? undefined : after }));
    return {
      objects: (page.Contents ?? []).map((o) => ({ key: o.Key ?? '', size: o.Size ?? 0, etag: (o.ETag ?? '').replace(/"/g, '') })),
      next: page.IsTruncated ? page.NextContinuationToken : undefined,
    };
  }

  async read(key: string): Promise<Readable> {
    if (this.http) return this.call(`read s3://${this.bucket}/${key}`, () => this.http!.get(key));
    const res = await this.call(`read s3://${this.bucket}/${key}`, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    return res.Body as Readable;
  }

  async put(key: string, file: string, opts: PutOptions): Promise<{ digests: Digests; tag: string }> {
    const Metadata = opts.meta;
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
    // Above one part the stored ETag is the multipart one, and that hash alone is what the
    // state record needs: a second full MD5 pass over a large file would double the CPU.
    const digester = createDigester(opts.size > PART_SIZE ? [`etag:${PART_SIZE}`] : ['md5', `etag:${PART_SIZE}`], opts.size);
    let seen = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        digester.update(chunk);
        seen += chunk.length;
        opts.onBytes?.(chunk.length);
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
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: hashing, Metadata },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    await this.call(`upload s3://${this.bucket}/${key}`, () => upload.done());
    if (seen !== opts.size) throw new Error(`${file} changed size while being uploaded (${opts.size} → ${seen} bytes)`);
    const digests = digester.digests();
    // Some servers answer CompleteMultipartUpload with an empty ETag; HEAD has the real one.
    const head = await this.call(`check s3://${this.bucket}/${key}`, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
    const etag = (head.ETag ?? '').replace(/"/g, '');
    const expected = etag.includes('-') ? digests[`etag:${PART_SIZE}`] : digests.md5;
    if (etag && etag !== expected) {
      throw new Error(`the stored object's ETag ${etag} does not match what was read locally (${expected}); the file may have changed during upload`);
    }
    return { digests, tag: etag || expected! };
  }

  async copy(from: string, to: string, meta: Record<string, string>): Promise<void> {
    const source = `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
    await this.call(`copy s3://${this.bucket}/${from}`, () =>
      this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: source, MetadataDirective: 'REPLACE', Metadata: meta })),
    );
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

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.explain(what, e);
    }
  }

  /** explain turns SDK errors a user can fix (credentials, bucket) into StrataErrors; the rest pass through with context. */
  private explain(what: string, e: unknown): Error {
    const err = e as Error & { $metadata?: { httpStatusCode?: number }; Code?: string };
    const status = err.$metadata?.httpStatusCode;
    const name = err.name ?? '';
    const code = (err as NodeJS.ErrnoException).code ?? (err as { cause?: { code?: string } }).cause?.code ?? '';
    if (UNREACHABLE.has(code)) {
      return new StrataError(`Cannot ${what}: the S3 endpoint ${this.endpoint ?? '(AWS)'} is not reachable (${code}).`, 'Check AWS_ENDPOINT_URL_S3 in .env, and your network or VPN; then run again.', 2);
    }
    if ((name === 'CredentialsProviderError' || (/credential|profile/i.test(err.message) && !status)) && this.profile) {
      // The profile is named but gives no keys: "set AWS_PROFILE" would send people in a circle.
      return new StrataError(
        `Cannot ${what}: the AWS profile "${this.profile}" (AWS_PROFILE) was not found, or has no keys, in ~/.aws/credentials or ~/.aws/config.`,
        'Check the name against `aws configure list-profiles` (or the [profile NAME] sections of those files), fix AWS_PROFILE in .env, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead.',
        2,
      );
    }
    if (name === 'CredentialsProviderError' || /credential/i.test(err.message) && !status) {
      return new StrataError(`Cannot ${what}: no AWS credentials were found.`, 'Set AWS_PROFILE in .env (a profile from ~/.aws/credentials), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.', 2);
    }
    if (name === 'AccessDenied' && /^(write|upload|copy|delete)/.test(what)) {
      // The keys are valid (the listing worked) but may not write here: the bucket policy
      // that enforces the role table (just policy), or a store's own permissions.
      return new RefusedError(
        `Cannot ${what}: the store refused to write it (AccessDenied). These S3 keys may not change this part of the project: with the bucket policy from \`just policy\`, analysts write only their branches' results.`,
        'If you are a maintainer, use your maintainer keys (AWS_PROFILE, or the access keys, in .env); analysts push results from a branch with `just put-results`. See "Roles on S3" in docs/user-guide.md.',
      );
    }
    if (status === 403 || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'AccessDenied') {
      return new StrataError(`Cannot ${what}: the store refused the credentials (${name || status}).`, 'Check AWS_PROFILE / the access keys in .env, and that this user may use the bucket.', 2);
    }
    if (name === 'NoSuchBucket') return new StrataError(`Cannot ${what}: the bucket "${this.bucket}" does not exist.`, 'Check "remote" in strata.yaml.', 2);
    const cause = err.message || name || String(e);
    const wrapped = new Error(`${what}: ${cause}`);
    (wrapped as Error & { status?: number }).status = status;
    return wrapped;
  }
}
