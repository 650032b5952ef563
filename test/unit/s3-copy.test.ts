// The part size of a copy in parts (scripts/lib/remotes/s3-copy.ts): AWS takes at most
// 10,000 parts of 5 MiB–5 GiB, so the part grows with the object where it must.
import { describe, expect, it } from 'vitest';
import { COPY_LIMITS, partSizeFor } from '../../scripts/lib/remotes/s3-copy.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

describe('partSizeFor', () => {
  it.each([
    [6 * GiB, 512 * MiB, 12],
    [5 * GiB + 1, 512 * MiB, 11],
    [4 * TiB, 512 * MiB, 8192],
    [5 * TiB, 525 * MiB, 9987],
  ])('%d bytes: parts of %d bytes, %d of them', (size, part, parts) => {
    const got = partSizeFor(size, COPY_LIMITS.part);
    expect(got).toBe(part);
    expect(Math.ceil(size / got)).toBe(parts);
    expect(parts).toBeLessThanOrEqual(10_000);
    expect(got % MiB).toBe(0);
    expect(got).toBeGreaterThanOrEqual(5 * MiB);
    expect(got).toBeLessThanOrEqual(5 * GiB);
  });
});
