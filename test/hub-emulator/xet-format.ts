// The Xet binary formats the CAS has to read or write: xorbs (chunk records), the parts of a
// shard that name files and xorbs, and the small xorb-only shard a dedup query answers with.
// Hashing is @huggingface/xetchunk-wasm's (the official client's own), never re-implemented here.
// Layouts: the Hub's Xet docs (xorb, shard, hashing) and huggingface.js's uploadShards/shardParser.
import { createChunker, fileHash, hashToHex, hexToBytes, hmac, verificationHash, xorbHash, type Chunk } from '@huggingface/xetchunk-wasm';
import { byteGroupingRegroup, lz4FrameDecode } from './lz4.js';

export { fileHash, hashToHex, hexToBytes, hmac, verificationHash, xorbHash, type Chunk };

export const XORB_MAX_BYTES = 64 * 1024 * 1024;
const CHUNK_HEADER_BYTES = 8;
const FOOTER_IDENT = Buffer.from('XETBLOB');
const HASH_BYTES = 32;
const BOOKEND = Buffer.alloc(HASH_BYTES, 0xff);
const SHARD_HEADER_BYTES = 48;
const SHARD_FOOTER_BYTES = 200;
const FILE_FLAG_WITH_VERIFICATION = 0x80000000;
const FILE_FLAG_WITH_METADATA_EXT = 0x40000000;
// "HFRepoMetaData\0" followed by 17 fixed bytes: the shard header's magic tag.
const SHARD_MAGIC = Buffer.concat([
  Buffer.from('HFRepoMetaData\0'),
  Buffer.from([85, 105, 103, 69, 106, 123, 129, 87, 131, 165, 189, 217, 92, 205, 209, 74, 169]),
]);

export class XetFormatError extends Error {}

/** A Xet hash as written in URLs and JSON (each 8-byte word little-endian, as the docs define). */
export const isXetHashHex = (s: string): boolean => /^[0-9a-f]{64}$/.test(s);

// A chunk's hash is blake3 keyed with the data key over its bytes. xetchunk-wasm exposes it only
// through its chunker; with a 2 MiB target the minimum chunk size (256 KiB) is above Xet's
// largest chunk (128 KiB), so the chunker never cuts and hashes the whole input as one chunk.
const wholeInputChunker = createChunker(2 * 1024 * 1024);
export function chunkHash(data: Uint8Array): Uint8Array {
  const chunks = wholeInputChunker.nextBlock(data, true);
  if (chunks.length !== 1 || chunks[0]!.length !== data.length) throw new XetFormatError('chunk too large to hash as one chunk');
  return chunks[0]!.hash;
}

export interface XorbChunk {
  hash: string;
  /** Uncompressed length. */
  length: number;
  /** Where the chunk's record (8-byte header + body) starts in the serialized xorb, and its size. */
  offset: number;
  size: number;
}

/** Decodes the chunk record at `offset` of a serialized xorb; returns its uncompressed bytes and record size. */
export function decodeChunkAt(xorb: Uint8Array, offset: number): { data: Uint8Array; size: number } {
  if (offset + CHUNK_HEADER_BYTES > xorb.length) throw new XetFormatError(`truncated chunk header at byte ${offset}`);
  const h = xorb.subarray(offset, offset + CHUNK_HEADER_BYTES);
  if (h[0] !== 0) throw new XetFormatError(`unknown chunk header version ${h[0]} at byte ${offset}`);
  const compressed = h[1]! | (h[2]! << 8) | (h[3]! << 16);
  const scheme = h[4]!;
  const length = h[5]! | (h[6]! << 8) | (h[7]! << 16);
  const start = offset + CHUNK_HEADER_BYTES;
  if (start + compressed > xorb.length) throw new XetFormatError(`truncated chunk body at byte ${offset}`);
  const body = xorb.subarray(start, start + compressed);
  let data: Uint8Array;
  try {
    if (scheme === 0) data = body;
    else if (scheme === 1) data = lz4FrameDecode(body, length);
    else if (scheme === 2) data = byteGroupingRegroup(lz4FrameDecode(body, length));
    else throw new XetFormatError(`unknown compression scheme ${scheme} at byte ${offset}`);
  } catch (e) {
    throw e instanceof XetFormatError ? e : new XetFormatError(`chunk at byte ${offset}: ${(e as Error).message}`);
  }
  if (data.length !== length) throw new XetFormatError(`chunk at byte ${offset} is ${data.length} bytes, header says ${length}`);
  return { data, size: CHUNK_HEADER_BYTES + compressed };
}

/**
 * Reads every chunk record of an uploaded xorb and hashes it. Current clients send no footer; a
 * trailing `XETBLOB` footer (older clients, stored objects) is tolerated and cut off.
 * Returns the chunks and the length of the chunk records (what is stored).
 */
export function parseXorb(xorb: Uint8Array): { chunks: XorbChunk[]; end: number } {
  const chunks: XorbChunk[] = [];
  let pos = 0;
  while (pos < xorb.length) {
    if (pos + FOOTER_IDENT.length <= xorb.length && FOOTER_IDENT.equals(xorb.subarray(pos, pos + FOOTER_IDENT.length))) break;
    const { data, size } = decodeChunkAt(xorb, pos);
    chunks.push({ hash: hashToHex(chunkHash(data)), length: data.length, offset: pos, size });
    pos += size;
  }
  if (chunks.length === 0) throw new XetFormatError('xorb has no chunks');
  return { chunks, end: pos };
}

export const asChunks = (chunks: { hash: string; length: number }[]): Chunk[] => chunks.map((c) => ({ hash: hexToBytes(c.hash), length: c.length }));

export interface ShardTerm {
  xorb: string;
  /** Uncompressed bytes of chunks [start, end). */
  length: number;
  start: number;
  end: number;
  /** The term's verification hash, when the file entry carries verification data. */
  rangeHash?: string;
}

export interface ShardFile {
  hash: string;
  terms: ShardTerm[];
  /** The 32 bytes of the metadata extension (the file's sha256), as stored. */
  sha256?: Buffer;
}

export interface ShardXorb {
  hash: string;
  chunks: { hash: string; length: number }[];
}

/**
 * Reads a shard's file section (file reconstructions) and xorb section (xorbs and their chunk
 * hashes). Left out: the footer's lookup tables, timestamps and HMAC key, which the CAS
 * rebuilds from these two sections anyway.
 */
export function parseShard(buf: Buffer): { files: ShardFile[]; xorbs: ShardXorb[] } {
  const need = (pos: number, n: number): void => {
    if (pos + n > buf.length) throw new XetFormatError('truncated shard');
  };
  need(0, SHARD_HEADER_BYTES);
  if (!buf.subarray(0, SHARD_MAGIC.length).equals(SHARD_MAGIC)) throw new XetFormatError('not a shard (bad magic tag)');
  const version = buf.readBigUInt64LE(32);
  if (version !== 2n) throw new XetFormatError(`unsupported shard header version ${version}`);
  const hashAt = (pos: number): string => hashToHex(buf.subarray(pos, pos + HASH_BYTES));
  const isBookend = (pos: number): boolean => buf.subarray(pos, pos + HASH_BYTES).equals(BOOKEND);

  let pos = SHARD_HEADER_BYTES;
  const files: ShardFile[] = [];
  for (;;) {
    need(pos, 48);
    if (isBookend(pos)) {
      pos += 48;
      break;
    }
    const file: ShardFile = { hash: hashAt(pos), terms: [] };
    const flags = buf.readUInt32LE(pos + 32);
    const n = buf.readUInt32LE(pos + 36);
    pos += 48;
    need(pos, n * 48);
    for (let i = 0; i < n; i++, pos += 48) {
      file.terms.push({
        xorb: hashAt(pos),
        length: buf.readUInt32LE(pos + 36),
        start: buf.readUInt32LE(pos + 40),
        end: buf.readUInt32LE(pos + 44),
      });
    }
    if (flags & FILE_FLAG_WITH_VERIFICATION) {
      need(pos, n * 48);
      for (let i = 0; i < n; i++, pos += 48) file.terms[i]!.rangeHash = hashAt(pos);
    }
    if (flags & FILE_FLAG_WITH_METADATA_EXT) {
      need(pos, 48);
      file.sha256 = Buffer.from(buf.subarray(pos, pos + HASH_BYTES));
      pos += 48;
    }
    files.push(file);
  }
  const xorbs: ShardXorb[] = [];
  for (;;) {
    need(pos, 48);
    if (isBookend(pos)) break;
    const xorb: ShardXorb = { hash: hashAt(pos), chunks: [] };
    const n = buf.readUInt32LE(pos + 36);
    pos += 48;
    need(pos, n * 48);
    for (let i = 0; i < n; i++, pos += 48) xorb.chunks.push({ hash: hashAt(pos), length: buf.readUInt32LE(pos + 36) });
    xorbs.push(xorb);
  }
  return { files, xorbs };
}

/**
 * The shard a dedup query answers with: no files, the xorbs that hold the chunk with their chunk
 * hashes keyed by `hmacKey` (as the Hub does, so that a client cannot list chunk hashes it does not
 * already have), and a footer whose lookup tables are empty.
 */
export function buildDedupShard(xorbs: { hash: string; chunks: { hash: string; length: number }[]; storedSize: number }[], hmacKey: Uint8Array, expiresAt: number): Buffer {
  const xorbSection = xorbs.reduce((n, x) => n + 48 + x.chunks.length * 48, 0);
  const fileInfoOffset = SHARD_HEADER_BYTES;
  const xorbInfoOffset = fileInfoOffset + 48;
  const footerOffset = xorbInfoOffset + xorbSection + 48;
  const buf = Buffer.alloc(footerOffset + SHARD_FOOTER_BYTES);
  SHARD_MAGIC.copy(buf, 0);
  buf.writeBigUInt64LE(2n, 32);
  buf.writeBigUInt64LE(BigInt(SHARD_FOOTER_BYTES), 40);
  BOOKEND.copy(buf, fileInfoOffset); // empty file section
  let pos = xorbInfoOffset;
  let unpacked = 0;
  let stored = 0;
  for (const x of xorbs) {
    Buffer.from(hexToBytes(x.hash)).copy(buf, pos);
    const bytes = x.chunks.reduce((n, c) => n + c.length, 0);
    buf.writeUInt32LE(0, pos + 32);
    buf.writeUInt32LE(x.chunks.length, pos + 36);
    buf.writeUInt32LE(bytes, pos + 40);
    buf.writeUInt32LE(x.storedSize, pos + 44);
    unpacked += bytes;
    stored += x.storedSize;
    pos += 48;
    let offset = 0;
    for (const c of x.chunks) {
      Buffer.from(hmac(hexToBytes(c.hash), hmacKey)).copy(buf, pos);
      buf.writeUInt32LE(offset, pos + 32);
      buf.writeUInt32LE(c.length, pos + 36);
      offset += c.length;
      pos += 48;
    }
  }
  BOOKEND.copy(buf, pos);
  const f = footerOffset;
  buf.writeBigUInt64LE(1n, f); // footer version
  buf.writeBigUInt64LE(BigInt(fileInfoOffset), f + 8);
  buf.writeBigUInt64LE(BigInt(xorbInfoOffset), f + 16);
  // File, xorb and chunk lookup tables: none, each placed at the footer with a count of 0.
  for (const at of [24, 40, 56]) buf.writeBigUInt64LE(BigInt(footerOffset), f + at);
  Buffer.from(hmacKey).copy(buf, f + 72);
  buf.writeBigUInt64LE(BigInt(Math.floor(Date.now() / 1000)), f + 104);
  buf.writeBigUInt64LE(BigInt(Math.floor(expiresAt / 1000)), f + 112);
  buf.writeBigUInt64LE(BigInt(stored), f + 168);
  buf.writeBigUInt64LE(BigInt(unpacked), f + 176);
  buf.writeBigUInt64LE(BigInt(stored), f + 184);
  buf.writeBigUInt64LE(BigInt(footerOffset), f + 192);
  return buf;
}
