// Decompression of Xet chunk bodies: LZ4 frames (what xet-core's lz4_flex and huggingface.js's
// lz4js both write), decoded by lz4js (the decoder huggingface.js vendors), and Xet's
// byte-grouping variant. The CAS must read chunks to check a xorb's hash and to rebuild a
// file's sha256; a chunk that decodes wrongly fails that hash check.
import lz4 from 'lz4js';

/** Decodes one LZ4 frame whose content is known to be `size` bytes long. */
export function lz4FrameDecode(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let written: number;
  try {
    written = lz4.decompressFrame(src, out);
  } catch (e) {
    throw new Error(`not a valid LZ4 frame (${(e as Error).message})`);
  }
  if (written !== size) throw new Error(`LZ4 frame decoded to ${written} bytes, expected ${size}`);
  return out;
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
