// The key rule applied page by page (an S3 listing as it arrives) against the same rule over
// the whole listing: the same entries and refusals, or a request for the whole listing where
// page by page could differ (twins, keys NFC moves backwards).
import { describe, expect, it } from 'vitest';
import { byKey, compareKeys } from '../../scripts/lib/listing/entry.js';
import { screenKeys } from '../../scripts/lib/listing/keys.js';
import { screenInOrder, WholeListingNeeded, type RawObject } from '../../scripts/lib/listing/screen-in-order.js';
import { listingSplits } from '../../scripts/lib/remotes/object-backend.js';
import { sampleOf } from '../../scripts/lib/listing/entry.js';

const raw = (key: string): RawObject => ({ key, size: key.length, tag: `t-${key}`, digests: {} });

/** S3's pages: raw keys in byte order, cut every `size` keys. */
async function* pagesOf(keys: string[], size: number): AsyncGenerator<RawObject[]> {
  const sorted = [...new Set(keys)].sort(compareKeys);
  for (let i = 0; i < sorted.length; i += size) yield sorted.slice(i, i + size).map(raw);
}

async function streamed(keys: string[], size: number) {
  const refused: { key: string; reason: string }[] = [];
  const entries = [];
  for await (const page of screenInOrder(pagesOf(keys, size), refused)) entries.push(...page);
  return { entries, refused };
}

const whole = (keys: string[]) => screenKeys([...new Set(keys)].map(raw));
const sortedRefusals = (r: { key: string; reason: string }[]) => [...r].sort((a, b) => compareKeys(a.key, b.key));

// A small seeded generator: the same cases on every run.
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('screenInOrder', () => {
  it('gives what the whole listing gives, in key order, for listings without twins', async () => {
    const names = ['a', 'b', 'a-b', 'a.b', 'é', 'e\u0301x', 'Ångström', '😀', 'ｆｕｌｌ', 'z', '0', 'a b', '..', 'x\ty', 'plate', 'plate-1'];
    const rnd = random(7);
    for (let round = 0; round < 60; round++) {
      const keys: string[] = [];
      const n = 1 + Math.floor(rnd() * 120);
      for (let i = 0; i < n; i++) {
        const depth = 1 + Math.floor(rnd() * 3);
        keys.push(Array.from({ length: depth }, () => names[Math.floor(rnd() * names.length)]).join('/'));
      }
      const expected = whole(keys);
      let got;
      try {
        got = await streamed(keys, 1 + Math.floor(rnd() * 12));
      } catch (e) {
        // Only where the whole listing has twins (names here differ in case only as twins do).
        expect(e).toBeInstanceOf(WholeListingNeeded);
        expect(expected.refused.some((r) => /twin/.test(r.reason))).toBe(true);
        continue;
      }
      expect(got.entries.map((e) => [e.key, e.name, e.tag])).toEqual(expected.entries.map((e) => [e.key, e.name, e.tag]));
      expect(sortedRefusals(got.refused)).toEqual(sortedRefusals(expected.refused));
      for (let i = 1; i < got.entries.length; i++) expect(compareKeys(got.entries[i - 1]!.key, got.entries[i]!.key)).toBeLessThan(0);
    }
  });

  it('holds a key NFC moves forward until the listing passes it', async () => {
    // "e" + combining acute sorts among the e's as stored and after "z" once normalised.
    const keys = ['d.csv', 'e\u0301te\u0301.csv', 'f.csv', 'z.csv'];
    const got = await streamed(keys, 1);
    expect(got.entries.map((e) => e.key)).toEqual(['d.csv', 'f.csv', 'z.csv', '\u00e9t\u00e9.csv']);
    expect(got.entries[3]!.name).toBe('e\u0301te\u0301.csv');
  });

  it('refuses a key under a file across pages, as the whole listing does', async () => {
    const keys = ['run', 'run-2/x', 'run.csv', 'run/a', 'run/b/c'];
    const got = await streamed(keys, 1);
    expect(got.entries.map((e) => e.key)).toEqual(['run', 'run-2/x', 'run.csv']);
    expect(sortedRefusals(got.refused)).toEqual(sortedRefusals(whole(keys).refused));
  });

  it.each([
    ['case twins far apart', ['Plate/x.csv', 'b.csv', 'plate/x.csv']],
    ['case twins in one folder', ['run/A.csv', 'run/a.csv']],
    ['a case twin whose lower-case name sorts first', ['ß.csv', 'ẞ.csv']],
    ['Unicode twins', ['caf\u00e9.csv', 'cafe\u0301.csv']],
    ['a key NFC moves before keys already given', ['K.csv', 'b.csv', '\u212a2.csv']],
  ])('asks for the whole listing: %s', async (_what, keys) => {
    await expect(streamed(keys, 1)).rejects.toBeInstanceOf(WholeListingNeeded);
  });
});

describe('listingSplits for a streamed listing', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `f-${String(i).padStart(7, '0')}` })).sort(byKey);
  it('cuts a large listing into ranges of about 20,000 keys', () => {
    const splits = listingSplits(sampleOf(many(1_000_000)), '', true);
    expect(splits).toHaveLength(49);
    expect(splits[0]).toBe('f-0020000');
    // A whole listing keeps four ranges whatever its size.
    expect(listingSplits(sampleOf(many(1_000_000)))).toHaveLength(3);
    expect(listingSplits(sampleOf(many(10_000)), '', true)).toHaveLength(3);
  });
});
