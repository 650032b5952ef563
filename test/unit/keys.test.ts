import { describe, expect, it } from 'vitest';
import { caseTwins, keyProblem, normaliseKey } from '../../scripts/lib/listing/keys.js';
import { screenKeys } from '../../scripts/lib/remotes/object-backend.js';
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
    const { entries, refused } = screenKeys([o('ok.csv'), o('../x'), o('caf\u00e9'), o('cafe\u0301'), o('Up.csv'), o('up.csv'), o('dir'), o('dir/file')]);
    expect(entries.map((e) => e.key)).toEqual(['dir', 'ok.csv']);
    expect(refused.map((r) => r.key).sort()).toEqual(['../x', 'Up.csv', 'caf\u00e9', 'cafe\u0301', 'dir/file', 'up.csv'].sort());
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
