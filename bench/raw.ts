// The physical limit: the same bytes moved with the AWS SDK and nothing else — no listing
// of the other side, no hashing, no state, no journal. Run as its own process (like every
// tool in the benchmark) so that its time includes a process start too.
//
//   node bench/out/bench/raw.js put  --dir DIR --bucket B --prefix P [--concurrency 16] [--mtime-meta]
//   node bench/out/bench/raw.js get  --manifest FILE --dir DIR --bucket B --prefix P [--concurrency 16]
//
// Files up to 8 MiB go in one PUT/GET; larger ones in 8 MiB parts (multipart upload,
// ranged GETs written in place), every request of every file sharing one pool of
// `concurrency` slots. Credentials and endpoint come from AWS_ENDPOINT_URL_S3,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';

const PART = 8 * 1024 * 1024;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string' },
    bucket: { type: 'string' },
    prefix: { type: 'string' },
    manifest: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    'mtime-meta': { type: 'boolean', default: false },
  },
});
const op = positionals[0];
const bucket = values.bucket!;
const prefix = (values.prefix ?? '').replace(/\/+$/, '');
const concurrency = Number(values.concurrency);
const limit = pLimit(concurrency);
const s3 = new S3Client({
  endpoint: process.env.AWS_ENDPOINT_URL_S3,
  region: process.env.AWS_REGION ?? 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID!, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY! },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  requestHandler: { httpAgent: { keepAlive: true, maxSockets: concurrency * 2 } },
});
const keyOf = (rel: string) => (prefix ? `${prefix}/${rel}` : rel);

function listLocal(dir: string, rel = '', out: { rel: string; size: number; mtimeNs: bigint }[] = []) {
  for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) listLocal(dir, r, out);
    else if (d.isFile() && d.name !== '.gitkeep') {
      const st = fs.statSync(path.join(dir, r), { bigint: true });
      out.push({ rel: r, size: Number(st.size), mtimeNs: st.mtimeNs });
    }
  }
  return out;
}

// rclone keeps a file's modification time in X-Amz-Meta-Mtime as "seconds.nanoseconds";
// seeding it lets rclone treat seeded objects as its own uploads.
function rcloneMtime(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}

async function put(dir: string) {
  const files = listLocal(dir);
  let bytes = 0;
  await Promise.all(
    files.map(async (f) => {
      const file = path.join(dir, f.rel);
      const Metadata = values['mtime-meta'] ? { mtime: rcloneMtime(f.mtimeNs) } : undefined;
      if (f.size <= PART) {
        await limit(async () => {
          const Body = await fs.promises.readFile(file);
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(f.rel), Body, ContentLength: Body.length, Metadata }));
        });
      } else {
        const { UploadId } = await limit(() => s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: keyOf(f.rel), Metadata })));
        const fh = await fs.promises.open(file);
        try {
          const parts = await Promise.all(
            Array.from({ length: Math.ceil(f.size / PART) }, (_, i) =>
              limit(async () => {
                const len = Math.min(PART, f.size - i * PART);
                const Body = Buffer.allocUnsafe(len);
                await fh.read(Body, 0, len, i * PART);
                const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: keyOf(f.rel), UploadId, PartNumber: i + 1, Body, ContentLength: len }));
                return { PartNumber: i + 1, ETag: r.ETag };
              }),
            ),
          );
          await limit(() => s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: keyOf(f.rel), UploadId, MultipartUpload: { Parts: parts } })));
        } finally {
          await fh.close();
        }
      }
      bytes += f.size;
    }),
  );
  return { files: files.length, bytes };
}

async function get(dir: string, manifestFile: string) {
  const files = (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { key: string; size: number }[]).map((f) => ({ rel: f.key, size: f.size }));
  let bytes = 0;
  const made = new Set<string>();
  const mkdir = (d: string) => {
    if (!made.has(d)) fs.mkdirSync(d, { recursive: true });
    made.add(d);
  };
  await Promise.all(
    files.map(async (f) => {
      const file = path.join(dir, f.rel);
      mkdir(path.dirname(file));
      if (f.size <= PART) {
        await limit(async () => {
          const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(f.rel) }));
          await fs.promises.writeFile(file, await r.Body!.transformToByteArray());
        });
      } else {
        const fh = await fs.promises.open(file, 'w');
        try {
          await Promise.all(
            Array.from({ length: Math.ceil(f.size / PART) }, (_, i) =>
              limit(async () => {
                const end = Math.min(f.size, (i + 1) * PART) - 1;
                const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(f.rel), Range: `bytes=${i * PART}-${end}` }));
                const body = await r.Body!.transformToByteArray();
                await fh.write(body, 0, body.length, i * PART);
              }),
            ),
          );
        } finally {
          await fh.close();
        }
      }
      bytes += f.size;
    }),
  );
  return { files: files.length, bytes };
}

const started = performance.now();
const result = op === 'put' ? await put(values.dir!) : op === 'get' ? await get(values.dir!, values.manifest!) : null;
if (!result) {
  process.stderr.write('usage: raw.js put|get --bucket B --prefix P [--dir DIR] [--manifest FILE]\n');
  process.exit(2);
}
const secs = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ op, ...result, seconds: secs, MBps: result.bytes / 1e6 / secs })}\n`);
s3.destroy();
