// The S3 behaviours Strata relies on, checked against the server globalSetup provides: if
// one of these fails, the sync tests' failures are about the server, not about Strata.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cephS3Client, createBucket } from '../support/ceph.js';

const server = inject('s3');
const s3 = cephS3Client(server);
const bucket = `smoke-${randomUUID().slice(0, 8)}`;

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

async function getText(key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return res.Body!.transformToString();
}

describe('S3 test server', () => {
  beforeAll(async () => {
    await createBucket(server, bucket);
  });

  afterAll(async () => {
    // Matters when STRATA_TEST_S3_ENDPOINT points at a long-lived server.
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const objects = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (objects.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    s3.destroy();
  });

  it('create-only PUT (If-None-Match: *) succeeds once, then answers 412', async () => {
    const key = 'create-only.txt';
    const first = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'first', IfNoneMatch: '*' }),
    );
    expect(first.ETag).toBe(`"${md5('first')}"`);

    const second = s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'second', IfNoneMatch: '*' }));
    await expect(second).rejects.toBeInstanceOf(S3ServiceException);
    await expect(second).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });

    // The refused write must not have replaced the object.
    expect(await getText(key)).toBe('first');
  });

  it('multipart upload of 12 MiB in 5 MiB parts has a 3-part ETag and the right bytes', async () => {
    const key = 'multipart.bin';
    const partSize = 5 * 1024 * 1024;
    const body = randomBytes(12 * 1024 * 1024);
    await new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: body }, partSize, queueSize: 2 }).done();

    // A multipart ETag is the MD5 of the parts' binary MD5s, then "-<parts>".
    const partDigests = [0, partSize, 2 * partSize].map((start) =>
      createHash('md5').update(body.subarray(start, start + partSize)).digest(),
    );
    const expectedEtag = `"${md5(Buffer.concat(partDigests))}-3"`;

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ETag).toMatch(/-3"$/);
    expect(head.ETag).toBe(expectedEtag);
    expect(head.ContentLength).toBe(body.length);

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(md5(bytes)).toBe(md5(body));
  });

  it('lists and reads back keys with a space, unicode and "+" exactly', async () => {
    // "x y" and "x+y" side by side: a server or client that decodes "+" as a space in a
    // key would merge them into one object.
    const keys = ['odd/a b.txt', 'odd/x y.txt', 'odd/x+y.txt', 'odd/ünïcødé-文件.txt'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` }));

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'odd/' }));
    // S3 lists in UTF-8 byte order, which is the order written above.
    expect(listed.Contents?.map((o) => o.Key)).toEqual(keys);
    expect(listed.KeyCount).toBe(keys.length);

    for (const key of keys) expect(await getText(key)).toBe(`body of ${key}`);
  });
});
