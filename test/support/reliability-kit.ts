// What the reliability tests (test/reliability) share beyond working copies and remotes:
// how many rounds a loop runs, deterministic test data, and the seeded pair most fault
// scenarios start from.
import { createHash } from 'node:crypto';
import type { Remote } from './remote.js';
import { assertOk } from './run.js';
import { workingCopy, type WorkingCopy } from './working-copy.js';

/** STRATA_SOAK=1 runs the long loops; otherwise each loop runs a few rounds. */
export const SOAK = process.env.STRATA_SOAK === '1';
export const rounds = (quick: number, soak: number) => (SOAK ? Number(process.env.STRATA_SOAK_ROUNDS ?? soak) : quick);

/** Deterministic pseudo-random bytes (so that "old" and "new" versions are known). */
const bytesCache = new Map<string, Buffer>();
export function bytes(size: number, seed: string): Buffer {
  const key = `${size}:${seed}`;
  const hit = bytesCache.get(key);
  if (hit) return hit;
  const out = Buffer.alloc(size);
  bytesCache.set(key, out);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** seedPair: `a` pushes `files`, then a second working copy `b` pulls them — where most fault scenarios start. */
export async function seedPair(remote: Remote, files: Record<string, string | Buffer>): Promise<{ a: WorkingCopy; b: WorkingCopy }> {
  const a = workingCopy(remote);
  for (const [rel, content] of Object.entries(files)) a.write(rel, content);
  assertOk(await a.run(['put-results']), 'seed put-results');
  const b = workingCopy(remote);
  assertOk(await b.run(['get-results']), 'seed get-results');
  return { a, b };
}
