// The browse pages' pure parts: escaping (a hostile key or cell is text, never markup), the
// comparison of two listings, and commit links from a git remote's URL.
import { describe, expect, it } from 'vitest';
import { commitLinker } from '../../scripts/lib/browse/commit-links.js';
import { compareListings, undecided } from '../../scripts/lib/browse/compare.js';
import { html, Html, query } from '../../scripts/lib/browse/html.js';
import type { Entry } from '../../scripts/lib/listing/entry.js';

const HOSTILE = `"><script>alert(1)</script><img src=x onerror=alert(2)>&amp;'`;

describe('html', () => {
  it('escapes every value, in text and in attributes; arrays are joined, nullish and false left out', () => {
    const out = html`<td title="${HOSTILE}">${HOSTILE}</td>${[HOSTILE, 1, null, undefined, false]}`.text;
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).not.toMatch(/"\s*onerror/);
    expect(out).toBe(
      '<td title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;&#39;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;&#39;</td>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;&#39;1',
    );
  });

  it('passes markup made by html itself, and nothing else', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}</p>`.text).toBe('<p><b>&lt;i&gt;</b></p>');
    // A look-alike object is a value like any other.
    expect(html`${{ text: '<x>' } as unknown as Html}`.text).toBe('[object Object]');
  });

  it('query: parameters percent-encoded, empty ones left out', () => {
    expect(query({ layer: 'processed', key: 'a b/&c=d?#', rev: undefined, dir: '' })).toBe('?layer=processed&key=a+b%2F%26c%3Dd%3F%23');
  });
});

const e = (key: string, size: number, digests: Entry['digests'] = {}, tag?: string): Entry => ({ key, size, digests, tag });

describe('compareListings', () => {
  it('added, changed and deleted by key and content; equal files counted', () => {
    const a = [e('a.csv', 1, { md5: 'x' }), e('b.csv', 2, { md5: 'y' }), e('c.csv', 3, { md5: 'z' }), e('d.csv', 4, { sha256: 's' })];
    const b = [e('b.csv', 2, { md5: 'y' }), e('c.csv', 3, { md5: 'Z' }), e('d.csv', 5, { sha256: 's' }), e('e.csv', 1, { md5: 'q' })];
    const { differences, same } = compareListings(a, b);
    expect(differences.map((d) => `${d.change} ${d.key}`)).toEqual(['deleted a.csv', 'changed c.csv', 'changed d.csv', 'added e.csv']);
    expect(same).toBe(1);
  });

  it('follows the one key order (code points), so keys with emoji and full-width letters meet', () => {
    const keys = ['\u{1F600}.csv', '\uFF21.csv', 'z.csv'];
    const sorted = [...keys].sort((x, y) => (Buffer.compare(Buffer.from(x), Buffer.from(y))));
    const list = sorted.map((k) => e(k, 1, { md5: k }));
    expect(compareListings(list, list)).toEqual({ differences: [], same: 3 });
  });

  it('no shared digest: equal tags are the same; otherwise what `equal` says (asked only for undecided pairs)', () => {
    const a = [e('p.bin', 5, {}, 't1'), e('q.bin', 5, {}, 't2'), e('r.bin', 5, {}, 't3')];
    const b = [e('p.bin', 5, {}, 't1'), e('q.bin', 5, {}, 'T2'), e('r.bin', 5, {}, 'T3')];
    expect(undecided(a, b).map(([x]) => x.key)).toEqual(['q.bin', 'r.bin']);
    const answers: Record<string, boolean> = { 'q.bin': true, 'r.bin': false };
    const { differences, same } = compareListings(a, b, (x) => answers[x.key]);
    expect(differences.map((d) => d.key)).toEqual(['r.bin']);
    expect(same).toBe(2);
  });
});

describe('commitLinker', () => {
  const SHA = '0123456789abcdef0123456789abcdef01234567';
  it.each([
    ['git@github.com:lab/cell-paint.git', `https://github.com/lab/cell-paint/commit/${SHA}`],
    ['https://github.com/lab/cell-paint.git', `https://github.com/lab/cell-paint/commit/${SHA}`],
    ['ssh://git@github.com/lab/cell-paint', `https://github.com/lab/cell-paint/commit/${SHA}`],
    ['git@gitlab.com:lab/imaging/cell-paint.git', `https://gitlab.com/lab/imaging/cell-paint/-/commit/${SHA}`],
    ['https://gitlab.com/lab/cell-paint.git', `https://gitlab.com/lab/cell-paint/-/commit/${SHA}`],
  ])('%s', (remote, want) => {
    expect(commitLinker(remote)?.(SHA)).toBe(want);
  });

  it('no link for another host, a local path or no remote', () => {
    expect(commitLinker('/srv/git/cell-paint.git')).toBeNull();
    expect(commitLinker('https://git.example.org/lab/cell-paint.git')).toBeNull();
    expect(commitLinker(null)).toBeNull();
  });
});
