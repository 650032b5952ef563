// Content hashes, computed in one streaming pass however many are asked for. Which hash a
// comparison needs depends on the remote: S3 gives MD5 or a multipart ETag, the Hub gives
// SHA-256 (LFS) or a git blob SHA-1, and a plain folder gives nothing (we hash it ourselves).
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { DigestName } from './entry.js';

export interface Digester {
  update(chunk: Buffer): void;
  digests(): Partial<Record<DigestName, string>>;
}

/** createDigester hashes a stream of `size` bytes into every digest in `names`. */
export function createDigester(names: Iterable<DigestName>, size: number): Digester {
  const parts: { update(b: Buffer): void; done(): [DigestName, string] }[] = [];
  for (const name of new Set(names)) {
    if (name === 'md5' || name === 'sha256') {
      const h = crypto.createHash(name);
      parts.push({ update: (b) => h.update(b), done: () => [name, h.digest('hex')] });
    } else if (name === 'gitsha1') {
      const h = crypto.createHash('sha1').update(`blob ${size}\0`);
      parts.push({ update: (b) => h.update(b), done: () => [name, h.digest('hex')] });
    } else if (name.startsWith('etag:')) {
      parts.push(multipartEtag(name, Number(name.slice(5))));
    }
  }
  return {
    update(chunk) {
      for (const p of parts) p.update(chunk);
    },
    digests() {
      return Object.fromEntries(parts.map((p) => p.done()));
    },
  };
}

// An S3 multipart ETag is md5(md5(part1) ‖ md5(part2) ‖ …) + "-N". Computed incrementally:
// part boundaries fall inside chunks, so split chunks at boundaries.
function multipartEtag(name: DigestName, partSize: number) {
  const partDigests: Buffer[] = [];
  let current = crypto.createHash('md5');
  let inPart = 0;
  return {
    update(chunk: Buffer) {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(partSize - inPart, chunk.length - offset);
        current.update(chunk.subarray(offset, offset + take));
        inPart += take;
        offset += take;
        if (inPart === partSize) {
          partDigests.push(current.digest());
          current = crypto.createHash('md5');
          inPart = 0;
        }
      }
    },
    done(): [DigestName, string] {
      if (inPart > 0 || partDigests.length === 0) partDigests.push(current.digest());
      const whole = crypto.createHash('md5').update(Buffer.concat(partDigests)).digest('hex');
      return [name, `${whole}-${partDigests.length}`];
    },
  };
}

const CHUNK = 1 << 20;
// Read buffers are reused: a fresh 1 MiB buffer per file made hashing 100,000 small files
// spend a third of its time collecting garbage. Hashing copies what it is given, so a
// buffer can be reused as soon as update() returns.
const spareBuffers: Buffer[] = [];

/** hashFile reads a file once and returns the asked digests. */
export async function hashFile(file: string, names: Iterable<DigestName>): Promise<Partial<Record<DigestName, string>>> {
  const handle = await fs.promises.open(file, 'r');
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(CHUNK);
  try {
    const digester = createDigester(names, (await handle.stat()).size);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      digester.update(buffer.subarray(0, bytesRead));
    }
    return digester.digests();
  } finally {
    spareBuffers.push(buffer);
    await handle.close();
  }
}

/**
 * hashFileSync: the same in synchronous reads, for a small file on this machine's own disk,
 * where handing each read to libuv's thread pool costs more than the read (apply/local-disk.ts
 * says when a folder is one; never on a network share, where a read may wait on the network).
 */
export function hashFileSync(file: string, names: Iterable<DigestName>): Partial<Record<DigestName, string>> {
  const fd = fs.openSync(file, 'r');
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(CHUNK);
  try {
    const digester = createDigester(names, fs.fstatSync(fd).size);
    for (;;) {
      const bytesRead = fs.readSync(fd, buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      digester.update(buffer.subarray(0, bytesRead));
    }
    return digester.digests();
  } finally {
    spareBuffers.push(buffer);
    fs.closeSync(fd);
  }
}

const MiB = 1024 * 1024;
// Part sizes used by the tools that wrote the lab's buckets: rclone (5 MiB), the AWS CLI
// (8 MiB, which Strata uses too), and larger ones tools switch to for very large files.
const COMMON_PART_SIZES = [5, 8, 16, 32, 64, 100, 128, 256, 512].map((n) => n * MiB);

/**
 * etagDigests turns an S3 ETag into the digests it stands for. A plain ETag is the MD5;
 * a multipart one ("…-N") could come from any part size that gives N parts, so every
 * plausible part size is offered and the local side hashes the ones it needs.
 */
export function etagDigests(etag: string, size: number): Partial<Record<DigestName, string>> {
  const clean = etag.replace(/"/g, '');
  const m = /^([0-9a-f]{32})(?:-(\d+))?$/.exec(clean);
  if (!m) return {};
  if (!m[2]) return { md5: m[1] };
  const n = Number(m[2]);
  const out: Partial<Record<DigestName, string>> = {};
  const candidates = new Set(COMMON_PART_SIZES);
  // The smallest whole-MiB part size that yields N parts (what tools pick for huge files).
  candidates.add(Math.ceil(size / n / MiB) * MiB);
  for (const p of candidates) {
    if (Math.ceil(size / p) === n || (size === 0 && n === 1)) out[`etag:${p}`] = clean;
  }
  return out;
}

/**
 * sameContent compares by any digest both sides have: true, false, or null when none is
 * shared. Multipart ETag candidates (one per plausible part size) count as one digest that
 * matches when any candidate does.
 */
export function sameContent(a: Partial<Record<DigestName, string>>, b: Partial<Record<DigestName, string>>): boolean | null {
  let verdict: boolean | null = null;
  let etagCompared = false;
  let etagMatched = false;
  for (const [name, value] of Object.entries(a) as [DigestName, string][]) {
    const other = b[name];
    if (other === undefined || value === undefined) continue;
    if (name.startsWith('etag:')) {
      etagCompared = true;
      if (other === value) etagMatched = true;
      continue;
    }
    if (other !== value) return false;
    verdict = true;
  }
  if (verdict) return true;
  if (etagCompared) return etagMatched;
  return verdict;
}
