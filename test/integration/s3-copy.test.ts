// Copies inside an S3 store above the single-copy limit (scripts/lib/remotes/s3-copy.ts): AWS
// refuses a CopyObject above 5 GiB, so such a copy goes in parts (UploadPartCopy). The limit
// and the part size are lowered here so that a 12 MiB object takes that path against the real
// Ceph RGW: three part copies, and a copy equal to its source in bytes and in metadata.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { mtimeMeta } from '../../scripts/lib/listing/mtime.js';
import { objectMeta } from '../../scripts/lib/remotes/object-push.js';
import { S3Store } from '../../scripts/lib/remotes/s3.js';
import { s3Error, startFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import { s3Remote, type BucketRemote } from '../support/remote.js';
import { removeTemps, tempDir } from '../support/scratch.js';
import { sha256 } from '../support/tree.js';

afterEach(removeTemps);

const MiB = 1024 * 1024;
const SIZE = 12 * MiB + 3;
const record = { recipe: 'put-results', layer: 'processed', branch: 'qc', gitSha: 'b'.repeat(40), dirty: false, user: 'ana', host: 'lab-ws1', tool: 'strata test' };

const isPartCopy = (r: ProxiedRequest) => r.method === 'PUT' && /[?&]partNumber=/.test(r.path) && !!r.headers['x-amz-copy-source'];
const isWholeCopy = (r: ProxiedRequest) => r.method === 'PUT' && !/[?&]partNumber=/.test(r.path) && !!r.headers['x-amz-copy-source'];

describe('S3: a copy inside the store above the single-copy limit', () => {
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  /** A bucket behind a proxy, a store whose copies go in 5 MiB parts above 5 MiB, and a 12 MiB source. */
  async function setUp() {
    const s3 = inject('s3');
    proxy = await startFaultProxy(s3.endpoint);
    const remote = await s3Remote(s3, { via: proxy.url });
    const store = new S3Store(remote.bucket, remote.env, 4);
    store.copyLimits = { single: 5 * MiB, part: 5 * MiB };
    const bytes = crypto.randomBytes(SIZE);
    const file = path.join(tempDir('strata-copy-'), 'plate.parquet');
    fs.writeFileSync(file, bytes);
    const from = `${remote.prefix}/processed/run/plate.parquet`;
    return { remote, store, bytes, file, from, proxy: proxy! };
  }

  async function head(remote: BucketRemote, key: string) {
    const h = await remote.client.send(new HeadObjectCommand({ Bucket: remote.bucket, Key: key }));
    return { size: h.ContentLength, type: h.ContentType, meta: h.Metadata, etag: h.ETag?.replace(/"/g, '') };
  }

  it('copies in three parts, and the copy equals the source in bytes, SHA-256 and metadata', async () => {
    const { remote, store, bytes, file, from, proxy } = await setUp();
    const mtimeMs = Date.parse('2024-03-01T12:34:56.789Z');
    const meta = objectMeta(record);
    await store.put(from, file, { size: SIZE, mtimeMs, meta });
    const to = `${remote.prefix}/branches/qc/processed/run/plate.parquet`;
    proxy.log.length = 0;
    const copied = await store.copy(from, to, { meta, mtimeMs, size: SIZE });

    const ranges = proxy.log.filter(isPartCopy).map((r) => r.headers['x-amz-copy-source-range']);
    expect(ranges.sort()).toEqual([`bytes=0-${5 * MiB - 1}`, `bytes=${10 * MiB}-${SIZE - 1}`, `bytes=${5 * MiB}-${10 * MiB - 1}`].sort());
    expect(proxy.log.filter(isWholeCopy), 'no single CopyObject above the limit').toHaveLength(0);
    // Every part from the same version of the source: a source replaced mid-copy fails the copy.
    const sourceEtag = (await head(remote, from)).etag;
    expect(proxy.log.filter(isPartCopy).map((r) => String(r.headers['x-amz-copy-source-if-match']).replace(/"/g, ''))).toEqual([sourceEtag, sourceEtag, sourceEtag]);

    const copy = (await remote.client.send(new HeadObjectCommand({ Bucket: remote.bucket, Key: to }))).ETag?.replace(/"/g, '');
    expect(copy).toMatch(/-3$/);
    expect(copied.tag).toBe(copy);
    expect(copied.digests).toEqual({ [`etag:${5 * MiB}`]: copy });
    expect(sha256((await remote.storeRead(to))!)).toBe(sha256(bytes));
    const [src, dst] = [await head(remote, from), await head(remote, to)];
    expect(dst.size).toBe(SIZE);
    expect(dst.type).toBe(src.type);
    expect(dst.meta).toEqual(src.meta);
    expect(dst.meta!.mtime).toBe(mtimeMeta(mtimeMs));
    // No upload is left open.
    const open = await remote.client.send(new ListMultipartUploadsCommand({ Bucket: remote.bucket }));
    expect(open.Uploads ?? []).toHaveLength(0);
  });

  it("keeps the source's time, content type and other metadata when no time is given (promote), in parts or whole", async () => {
    const { remote, store, bytes, from } = await setUp();
    // Written by another tool: rclone's time format, a content type, metadata of its own.
    const small = `${remote.prefix}/processed/run/counts.csv`;
    for (const [key, body, type] of [[from, bytes, 'application/vnd.apache.parquet'], [small, Buffer.from('well,count\nA01,3\n'), 'text/csv']] as const) {
      await remote.client.send(new PutObjectCommand({ Bucket: remote.bucket, Key: key, Body: body, ContentType: type, Metadata: { mtime: '1700000000.123456789', 'made-by': 'rclone' } }));
    }
    const meta = objectMeta({ ...record, branch: 'main', recipe: 'promote from qc' });
    for (const [source, size] of [[from, SIZE], [small, 17]] as const) {
      const to = source.replace('/processed/', '/promoted/');
      await store.copy(source, to, { meta, size });
      const [src, dst] = [await head(remote, source), await head(remote, to)];
      expect(dst.type).toBe(src.type);
      expect(dst.meta).toEqual({ ...meta, mtime: '1700000000.123456789', 'made-by': 'rclone' });
      expect(sha256((await remote.storeRead(to))!)).toBe(sha256((await remote.storeRead(source))!));
    }
  });

  it('a part copy the store refuses aborts the whole copy: no object, no open upload', async () => {
    const { remote, store, file, from, proxy } = await setUp();
    await store.put(from, file, { size: SIZE, mtimeMs: Date.now(), meta: objectMeta(record) });
    proxy.faults.push({ match: (r) => isPartCopy(r) && /[?&]partNumber=2\b/.test(r.path), action: { type: 'status', ...s3Error(403, 'AccessDenied') }, times: Infinity });
    const to = `${remote.prefix}/branches/qc/processed/run/plate.parquet`;
    await expect(store.copy(from, to, { meta: objectMeta(record), mtimeMs: Date.now(), size: SIZE })).rejects.toThrow(/copy s3:\/\/.*plate\.parquet/);
    expect(await remote.storeRead(to)).toBeNull();
    const open = await remote.client.send(new ListMultipartUploadsCommand({ Bucket: remote.bucket }));
    expect(open.Uploads ?? []).toHaveLength(0);
  });
});
