// A bucket remote (s3://) on the test S3 server: a fresh bucket per remote, PREFIX
// projects/<project>/datastore as the lab's buckets are laid out. Read and written with the
// AWS SDK directly, never through Strata or a proxy.
import { randomBytes } from 'node:crypto';
import {
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { cephS3Client, createBucket, type S3Access } from './ceph.js';
import type { ObjectRemoteBase } from './remote.js';
import { joinKey, spacePath } from './remote-layout.js';
import { sha256 } from './tree.js';

export class BucketRemote implements ObjectRemoteBase {
  readonly kind = 's3' as const;
  readonly url: string;
  readonly yaml: string;
  readonly env: Record<string, string>;
  /** A client of the bucket owner's, for what a test does to the bucket itself (policies, multipart listings). */
  readonly client: S3Client;
  private blocked: string[] = [];

  constructor(
    readonly server: S3Access,
    readonly bucket: string,
    /** PREFIX, the key prefix strata.yaml's URL names. */
    readonly prefix: string,
    /** The endpoint Strata runs use (a fault proxy), when not the server's own. */
    via?: string,
  ) {
    this.url = `s3://${bucket}/${prefix}`;
    this.yaml = `remote: ${this.url}\n`;
    this.env = { AWS_ENDPOINT_URL_S3: via ?? server.endpoint, AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region };
    this.client = cephS3Client(server);
  }

  space(branch = 'main', layer = 'processed'): string {
    return spacePath(branch, layer);
  }

  /** Every object under a store-key prefix: key and ETag (quotes removed). URL-encoded listings carry any key intact (control characters included). */
  private async list(prefix: string): Promise<{ key: string; etag: string }[]> {
    const out: { key: string; etag: string }[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token, EncodingType: 'url' }));
      for (const o of page.Contents ?? []) if (o.Key) out.push({ key: decodeURIComponent(o.Key.replace(/\+/g, ' ')), etag: (o.ETag ?? '').replace(/"/g, '') });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async storeKeys() {
    return (await this.list('')).map((o) => o.key);
  }
  async storeRead(key: string) {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (e) {
      if ((e as Error).name === 'NoSuchKey' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw e;
    }
  }
  async keys(sub = '') {
    const base = joinKey(this.prefix, sub) + '/';
    return (await this.list(base)).map((o) => o.key.slice(base.length));
  }
  async files(sub = '') {
    const out: Record<string, string> = {};
    for (const k of await this.keys(sub)) out[k] = sha256((await this.storeRead(joinKey(this.prefix, sub, k)))!);
    return out;
  }
  async layer(branch = 'main', layer = 'processed') {
    return this.files(this.space(branch, layer));
  }
  /** The store key of a layer's file: joined with "/" as it is, so that hostile keys ("../x", "/x") stay what they are. */
  private storeKey(key: string, branch: string, layer: string): string {
    return `${joinKey(this.prefix, this.space(branch, layer))}/${key}`;
  }
  async get(key: string, branch = 'main', layer = 'processed') {
    return this.storeRead(this.storeKey(key, branch, layer));
  }
  async put(key: string, content: string | Buffer, branch = 'main', layer = 'processed') {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.storeKey(key, branch, layer), Body: content }));
  }
  /** The listed ETag of a layer's file (quotes removed), or null when absent. */
  async etag(key: string, branch = 'main', layer = 'processed'): Promise<string | null> {
    const full = this.storeKey(key, branch, layer);
    return (await this.list(full)).find((o) => o.key === full)?.etag ?? null;
  }
  rclonePath(sub = '') {
    const q = (v: string) => `'${v}'`;
    const opts = [
      's3',
      'provider=Other',
      'env_auth=false',
      `access_key_id=${q(this.server.accessKeyId)}`,
      `secret_access_key=${q(this.server.secretAccessKey)}`,
      `endpoint=${q(this.server.endpoint)}`,
      `region=${q(this.server.region)}`,
      'force_path_style=true',
    ];
    return `:${opts.join(',')}:${joinKey(this.bucket, this.prefix, sub)}`;
  }
  async blockWrite(key: string, branch = 'main', layer = 'processed') {
    this.blocked.push(this.storeKey(key, branch, layer));
    const Statement = this.blocked.map((k) => ({ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${this.bucket}/${k}` }));
    await this.client.send(new PutBucketPolicyCommand({ Bucket: this.bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement }) }));
  }
  async unblockWrites() {
    if (this.blocked.length) await this.client.send(new DeleteBucketPolicyCommand({ Bucket: this.bucket }));
    this.blocked = [];
  }
  async cleanup() {
    try {
      const keys = await this.storeKeys();
      for (let i = 0; i < keys.length; i += 1000) {
        await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
      }
      await this.client.send(new DeleteBucketCommand({ Bucket: this.bucket }));
    } finally {
      this.client.destroy();
    }
  }
}

/**
 * A fresh bucket on the S3 server, PREFIX projects/<project>/datastore. `via`: the endpoint
 * Strata runs use (a fault proxy in front of the server); assertions always read the server.
 */
export async function s3Remote(server: S3Access, opts: { via?: string; project?: string } = {}): Promise<BucketRemote> {
  const remote = new BucketRemote(server, `lab-${randomBytes(6).toString('hex')}`, `projects/${opts.project ?? 'cell-paint'}/datastore`, opts.via);
  await createBucket(server, remote.bucket);
  return remote;
}
