// What every backend's readRange shares: the range asked for, clamped to the file's size as
// listed (an empty range needs no request), and the error for a file the remote does not hold.
import { StrataError } from '../errors.js';
import type { Entry } from '../listing/entry.js';
import { describeSpace, type Space } from '../space.js';

/**
 * clampRange: the bytes [start, end) of `entry` to ask the remote for, `end` clamped to the
 * entry's size; null when nothing is left (start >= end, or start at or past the end).
 */
export function clampRange(entry: Entry, start: number, end: number): { start: number; end: number } | null {
  if (!Number.isSafeInteger(start) || start < 0 || !(Number.isSafeInteger(end) || end === Infinity)) {
    throw new RangeError(`readRange of ${entry.key}: [${start}, ${end}) is not a range of bytes (whole numbers, start from 0)`);
  }
  const stop = Math.min(end, entry.size);
  return start < stop ? { start, end: stop } : null;
}

/** The error for a range read of a file the space does not hold (removed or renamed since it was listed). */
export function rangeFileMissing(space: Space, entry: Entry): StrataError {
  return new StrataError(`Cannot read ${entry.key}: ${describeSpace(space)} holds no such file.`, 'It was removed or renamed since it was listed: list the remote again, then read a file it holds.');
}

/**
 * rangeOf reads the answer to a ranged GET: all of a 206 (the range itself), or of a 200 from a
 * server that ignored Range (the whole file) bytes [start, end) only, the rest left unread
 * (leaving the loop ends the answer).
 */
export async function rangeOf(body: AsyncIterable<Uint8Array>, whole: boolean, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of body) {
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    got += chunk.byteLength;
    if (whole && got >= end) break;
  }
  const all = Buffer.concat(chunks, got);
  return whole ? all.subarray(start, end) : all;
}
