import { describe, expect, it } from 'vitest';
import { compareKeys, sampleOf } from '../../scripts/lib/listing/entry.js';
import { caseTwins, keyProblem, normaliseKey, screenKeys } from '../../scripts/lib/listing/keys.js';
import { listingSplits } from '../../scripts/lib/remotes/object-backend.js';
import { parseListPage } from '../../scripts/lib/remotes/s3-http.js';
import { excludeMatcher } from '../../scripts/lib/listing/exclude.js';
import { ALWAYS_EXCLUDED } from '../../scripts/lib/config/defaults.js';

describe('keyProblem', () => {
  it.each([
    ['a/b.csv', null],
    ['plate 1/résumé+x.csv', null],
    ['../etc/passwd', /\.\./],
    ['a/../../b', /\.\./],
    ['/abs', /absolute/],
    ['a\\b', /backslash/],
    ['C:/x', /drive/],
    ['a\u0000b', /control/],
    ['a\nb', /control/],
    ['a//b', /empty/],
    ['./a', /"\."/],
    ['x'.repeat(256), /255/],
    [Array(200).fill('abcdef').join('/'), /1,024/],
  ])('%j', (key, want) => {
    const got = keyProblem(key);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatch(want as RegExp);
  });
});

describe('normalisation and twins', () => {
  it('makes NFD keys NFC', () => {
    expect(normaliseKey('cafe\u0301.csv')).toBe('caf\u00e9.csv');
  });
  it('finds case twins', () => {
    expect(caseTwins(['A.csv', 'a.csv', 'b.csv'])).toEqual([['A.csv', 'a.csv']]);
  });
  it('screens hostile remote listings, naming each refused key', () => {
    const o = (key: string) => ({ key, size: 1, tag: 't', digests: {} });
    const { entries, refused } = screenKeys([o('ok.csv'), o('../x'), o('caf\u00e9'), o('cafe\u0301'), o('Up.csv'), o('up.csv'), o('dir'), o('dir/file'), o('deep/x'), o('deep/x/y/z')]);
    expect(entries.map((e) => e.key)).toEqual(['deep/x', 'dir', 'ok.csv']);
    expect(refused.map((r) => r.key).sort()).toEqual(['../x', 'Up.csv', 'caf\u00e9', 'cafe\u0301', 'deep/x/y/z', 'dir/file', 'up.csv'].sort());
    expect(refused.find((r) => r.key === 'deep/x/y/z')?.reason).toBe('lies under "deep/x", which is also a file');
  });
});

describe('excludes', () => {
  const ex = excludeMatcher(ALWAYS_EXCLUDED);
  it.each([
    ['.DS_Store', true],
    ['a/.DS_Store', true],
    ['a/__pycache__/m.pyc', true],
    ['m.pyc', true],
    ['nb/.ipynb_checkpoints/x.ipynb', true],
    ['x.tmp', true],
    ['.gitkeep', true],
    ['a/.x.csv.1a2b.strata-tmp', true],
    ['a/b.csv', false],
    ['.hidden.csv', false],
  ])('%s → %s', (key, want) => {
    expect(ex(key)).toBe(want);
  });
});

describe('listingSplits', () => {
  const many = (n: number, prefix = '') => Array.from({ length: n }, (_, i) => ({ key: `${prefix}plate-${String(i).padStart(6, '0')}.csv` }));

  it('keeps a small listing as one chain', () => {
    expect(listingSplits(sampleOf(many(3_999)))).toEqual([]);
  });

  it('cuts a large one into up to four ranges at expected keys, in byte order', () => {
    const splits = listingSplits(sampleOf(many(100_000)));
    expect(splits).toEqual(['plate-025000.csv', 'plate-050000.csv', 'plate-075000.csv']);
    expect(listingSplits(sampleOf(many(5_000)))).toEqual(['plate-002500.csv']);
  });

  it('splits inside a scope, relative to it', () => {
    const entries = [...many(10_000, 'run-1/'), ...many(10, 'run-2/')];
    const inScope = (run: string) => sampleOf(entries.filter((e) => e.key.startsWith(`${run}/`)));
    expect(listingSplits(inScope('run-1'), 'run-1')).toEqual(['plate-002500.csv', 'plate-005000.csv', 'plate-007500.csv']);
    expect(listingSplits(inScope('run-2'), 'run-2')).toEqual([]);
  });

  it('orders keys as S3 and SQLite do (UTF-8 bytes), not as JavaScript does', () => {
    expect(['c/\uFF5E', 'c/\u{1F52C}'].sort(compareKeys)).toEqual(['c/\uFF5E', 'c/\u{1F52C}']);
    expect(['c/\uFF5E', 'c/\u{1F52C}'].sort()).toEqual(['c/\u{1F52C}', 'c/\uFF5E']);
  });

  it('compareKeys agrees with a comparison of UTF-8 bytes on every pair of a mixed alphabet', () => {
    const units = ['a', 'B', '/', '-', '0', 'é', '中', '\uFF5E', '\uFFFD', '\uE000', '\u{1F52C}', '\u{10FFFF}', '\u{1F600}'];
    const keys = units.flatMap((x) => units.map((y) => `k/${x}${y}`)).concat(units, ['k', 'k/']);
    const bytes = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const a of keys) for (const b of keys) expect(Math.sign(compareKeys(a, b)), `${a} vs ${b}`).toBe(bytes(a, b));
  });
});

describe('parseListPage', () => {
  const page = (contents: string, tail = '<IsTruncated>false</IsTruncated>', enc = '<EncodingType>url</EncodingType>') =>
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p%2F</Prefix>${enc}${tail}${contents}</ListBucketResult>`;
  const item = (key: string, size: number, etag: string) =>
    `<Contents><Key>${key}</Key><LastModified>2026-11-23T07:00:00.000Z</LastModified><ETag>&quot;${etag}&quot;</ETag><Size>${size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;

  it('decodes URL-encoded keys (+ is a space), sizes and ETags', () => {
    const p = parseListPage(page(item('p/a%2Bb+c%26%3C%C3%A9.csv', 12, 'abc') + item('p/x', 0, 'def-2')));
    expect(p.objects).toEqual([
      { key: 'p/a+b c&<é.csv', size: 12, etag: 'abc' },
      { key: 'p/x', size: 0, etag: 'def-2' },
    ]);
    expect(p.next).toBeUndefined();
  });

  it('reads XML-escaped keys when the server ignored encoding-type', () => {
    const p = parseListPage(page(item('p/a+b &amp; &lt;c&gt; &#233;', 1, 'e'), '<IsTruncated>false</IsTruncated>', ''));
    expect(p.objects[0]!.key).toBe('p/a+b & <c> é');
  });

  it('decodes the common prefixes of a delimiter listing as it decodes keys, apart from the listing\'s own Prefix', () => {
    const common = (p: string) => `<CommonPrefixes><Prefix>${p}</Prefix></CommonPrefixes>`;
    const p = parseListPage(page(item('p/top.csv', 1, 'e') + common('p/a%2Bb+c%26%3C%C3%A9/') + common('p/x/'), '<IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken><Delimiter>%2F</Delimiter>'));
    expect(p.folders).toEqual(['p/a+b c&<é/', 'p/x/']);
    expect(p.objects.map((o) => o.key)).toEqual(['p/top.csv']);
    expect(p.next).toBe('t');
    expect(parseListPage(page(common('p/a+b &amp; &lt;c&gt;/'), '<IsTruncated>false</IsTruncated>', '')).folders).toEqual(['p/a+b & <c>/']);
    expect(parseListPage(page(item('p/a', 1, 'e'))).folders).toEqual([]);
  });

  it('returns the continuation of a truncated page, and refuses one without it', () => {
    expect(parseListPage(page(item('p/a', 1, 'e'), '<IsTruncated>true</IsTruncated><NextContinuationToken>1/a+b=&amp;</NextContinuationToken>')).next).toBe('1/a+b=&');
    expect(() => parseListPage(page(item('p/a', 1, 'e'), '<IsTruncated>true</IsTruncated>'))).toThrow(/continuation/);
    expect(() => parseListPage('<Error><Code>AccessDenied</Code></Error>')).toThrow(/ListBucketResult/);
  });
});
