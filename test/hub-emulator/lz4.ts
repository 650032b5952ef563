// Decompression of Xet chunk bodies: LZ4 frames (what xet-core's lz4_flex and huggingface.js's
// lz4js both write) and the byte-grouping variant. Node has no LZ4 built in, and the CAS must
// read chunks to check a xorb's hash and to rebuild a file's sha256.

const FRAME_MAGIC = 0x184d2204;

/** Decodes one LZ4 frame whose content is known to be `size` bytes long. */
export function lz4FrameDecode(src: Uint8Array, size: number): Uint8Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (src.length < 7 || view.getUint32(0, true) !== FRAME_MAGIC) throw new Error('not an LZ4 frame');
  const flg = src[4]!;
  if (flg >> 6 !== 1) throw new Error('unsupported LZ4 frame version');
  const blockChecksums = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const dictId = (flg & 0x01) !== 0;
  let pos = 6 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1; // magic, FLG, BD, options, header checksum
  const out = new Uint8Array(size);
  let written = 0;
  for (;;) {
    if (pos + 4 > src.length) throw new Error('truncated LZ4 frame');
    const word = view.getUint32(pos, true);
    pos += 4;
    if (word === 0) break; // end mark
    const len = word & 0x7fffffff;
    if (pos + len > src.length) throw new Error('truncated LZ4 block');
    if (word & 0x80000000) {
      // Stored block (incompressible data).
      if (written + len > size) throw new Error('LZ4 frame longer than announced');
      out.set(src.subarray(pos, pos + len), written);
      written += len;
    } else {
      // Blocks may depend on earlier ones, so all decode into the same output buffer.
      written = lz4BlockDecode(src.subarray(pos, pos + len), out, written);
    }
    pos += len + (blockChecksums ? 4 : 0);
  }
  if (contentChecksum) pos += 4;
  if (written !== size) throw new Error(`LZ4 frame decoded to ${written} bytes, expected ${size}`);
  return out;
}

/** Decodes one LZ4 block (sequences of literals + matches) into `out` from `at`; returns the new end. */
function lz4BlockDecode(block: Uint8Array, out: Uint8Array, at: number): number {
  let i = 0;
  let o = at;
  const readLength = (base: number): number => {
    let n = base;
    if (base === 15) {
      let b: number;
      do {
        if (i >= block.length) throw new Error('truncated LZ4 length');
        b = block[i++]!;
        n += b;
      } while (b === 255);
    }
    return n;
  };
  while (i < block.length) {
    const token = block[i++]!;
    const literals = readLength(token >> 4);
    if (i + literals > block.length || o + literals > out.length) throw new Error('LZ4 literals out of bounds');
    out.set(block.subarray(i, i + literals), o);
    i += literals;
    o += literals;
    if (i >= block.length) break; // the last sequence has literals only
    const offset = block[i]! | (block[i + 1]! << 8);
    i += 2;
    if (offset === 0 || offset > o) throw new Error('invalid LZ4 match offset');
    const matchLength = readLength(token & 0x0f) + 4;
    if (o + matchLength > out.length) throw new Error('LZ4 match out of bounds');
    // Byte by byte: a match may overlap the bytes it is producing (run-length style).
    for (let k = 0; k < matchLength; k++, o++) out[o] = out[o - offset]!;
  }
  return o;
}

/**
 * Undoes Xet's 4-way byte grouping: the compressor stored bytes 0,4,8…, then 1,5,9…, then 2,6,…
 * and 3,7,…; groups are as long as possible from the first one (sizes differ by at most one).
 */
export function byteGroupingRegroup(grouped: Uint8Array): Uint8Array {
  const n = grouped.length;
  const out = new Uint8Array(n);
  const base = Math.floor(n / 4);
  const extra = n % 4;
  let src = 0;
  for (let g = 0; g < 4; g++) {
    const len = base + (g < extra ? 1 : 0);
    for (let j = 0; j < len; j++) out[j * 4 + g] = grouped[src++]!;
  }
  return out;
}
