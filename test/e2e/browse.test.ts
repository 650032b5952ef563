// `just browse` end to end: a real Strata browse server, started as a lab member starts it,
// read in real Chromium (Debian's, driven by playwright-core) — on S3 (Ceph), a plain folder
// and the Hub (emulator). A teammate pushes a branch; the page shows it against main with the
// push behind each change, a parquet file's schema and first rows (read by ranges), an image,
// a hostile key as text; a request without the token, or one that would change anything, is
// refused.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { useBrowser, type OpenBrowser } from '../support/browser.js';
import { fileRemote, hubRemote, s3Remote, type Remote } from '../support/remote.js';
import { assertOk } from '../support/run.js';
import { removeTemps, tempDir } from '../support/scratch.js';
import { STRATA_ROOT, workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const PYTHON = path.join(STRATA_ROOT, '.venv', 'bin', 'python');
const HOSTILE = '<img src=x onerror=alert(1)>"&.csv';
// A 1×1 PNG.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a7e8e0d60000000049454e44ae426082', 'hex');

/** A parquet file pyarrow writes: `rows` rows of (well, count, score, name). */
function parquet(rows: number): Buffer {
  const file = path.join(tempDir('strata-parquet-'), 'counts.parquet');
  execFileSync(PYTHON, [
    '-c',
    `import pyarrow as pa, pyarrow.parquet as pq, sys
n = ${rows}
t = pa.table({'well': [f'A{i:04d}' for i in range(n)], 'count': list(range(n)), 'score': [i / 4 for i in range(n)], 'name': ['cell' if i % 2 else None for i in range(n)]})
pq.write_table(t, sys.argv[1], row_group_size=max(1, n // 4))`,
    file,
  ]);
  return fs.readFileSync(file);
}

/** Starts `strata browse` in the working copy; the address comes from its output. Stopped by PID. */
async function browse(wc: WorkingCopy): Promise<{ url: string; stop: () => Promise<void> }> {
  const running = wc.start(['browse'], { timeoutMs: 600_000 });
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    url = /http:\/\/127\.0\.0\.1:\d+\/[\w-]+\//.exec(running.output())?.[0];
    if (!url && (Date.now() > deadline || running.child.exitCode !== null)) throw new Error(`browse did not start:\n${running.output()}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  return {
    url,
    stop: async () => {
      if (running.child.exitCode === null && running.pid) process.kill(running.pid, 'SIGINT');
      const { exitCode } = await running.exited;
      expect(exitCode).toBe(130);
      expect(running.output()).toContain('browse stopped.');
    },
  };
}

const KINDS: [string, () => Remote | Promise<Remote>][] = [
  ['S3', () => s3Remote(inject('s3'))],
  ['a folder', () => fileRemote()],
  ['the Hub', () => hubRemote(inject('hub'))],
];

describe.each(KINDS)('browse on %s', (_name, makeRemote) => {
  let browser: OpenBrowser;
  useBrowser((b) => (browser = b));

  it('overview, a teammate’s branch against main with the push behind each change, previews, a hostile key as text', async () => {
    const remote = await makeRemote();
    const ana = workingCopy(remote, { user: 'ana' });
    ana.write('data/processed/keep.csv', 'well,count\nA01,3\n');
    ana.write('data/processed/plates/gone.csv', 'gone\n');
    ana.write('data/processed/plates/changed.csv', 'well,count\nA01,1\n');
    assertOk(await ana.run(['put-results']), 'ana pushes main');

    // Ben works on branch cell-counts: changes a file, adds a parquet file, an image, a hostile name, deletes one.
    const ben = workingCopy(remote, { user: 'ben', branch: 'cell-counts' });
    assertOk(await ben.run(['get-results']), 'ben pulls');
    ben.write('data/processed/plates/changed.csv', 'well,count\nA01,1\nB02,"7, or ""eight"""\n');
    ben.remove('data/processed/plates/gone.csv');
    ben.write('data/processed/counts.parquet', parquet(1000));
    ben.write('data/processed/plate.png', PNG);
    ben.write(`data/processed/${HOSTILE}`, 'x,y\n<b>bold</b>,2\n');
    assertOk(await ben.run(['put-results']), 'ben pushes cell-counts');
    const benSha = ben.git('rev-parse', 'HEAD').trim();
    // Ana's git has never heard of cell-counts: the page finds it on the remote.

    const server = await browse(ana);
    try {
      const page = await browser.page();
      // Overview: each layer and its remote; main and cell-counts with their last push.
      await page.goto(server.url);
      const overview = await page.locator('main').innerText();
      for (const layer of ['external', 'raw', 'interim', 'processed']) expect(overview).toContain(layer);
      expect(overview).toMatch(/cell-counts[^\n]*ben@/);
      expect(overview).toContain(benSha.slice(0, 8));

      // Branch against main: one click from the overview.
      await page.locator('h2:has-text("processed") + p + table a', { hasText: 'vs main' }).first().click();
      const rows = await page.locator('#differences tr').allInnerTexts();
      const row = (key: string) => rows.find((r) => r.includes(key)) ?? '';
      expect(row('plates/changed.csv')).toMatch(/^~/);
      expect(row('plates/changed.csv')).toContain('ben@');
      expect(row('plates/gone.csv')).toMatch(/^−/);
      expect(row('counts.parquet')).toMatch(/^\+/);
      expect(row('plate.png')).toMatch(/^\+/);
      expect(row('keep.csv')).toBe('');
      expect(await page.locator('main').innerText()).toContain('1 the same');

      // The hostile key is text: its row shows the name, and no element came from it.
      expect(row(HOSTILE)).toContain(HOSTILE);
      expect(await page.locator('main img').count()).toBe(0);

      // A parquet file: schema, row count, first rows, from ranged reads.
      await page.locator('#differences a', { hasText: 'counts.parquet' }).click();
      const about = await page.locator('#about').innerText();
      expect(about).toMatch(/ben@/);
      expect(about).toContain('not in your working copy');
      expect(await page.locator('main').innerText()).toMatch(/parquet · 1000 rows · 4 columns/);
      const header = await page.locator('#preview tr').first().innerText();
      expect(header.split(/\s+/).filter((w) => ['well', 'count', 'score', 'name'].includes(w))).toEqual(['well', 'count', 'score', 'name']);
      expect(await page.locator('#preview tr').nth(3).innerText()).toMatch(/A0002\s+2\s+0\.5/);

      // A CSV with quotes and commas, as a table.
      await page.goto(`${server.url}file?layer=processed&branch=cell-counts&key=plates%2Fchanged.csv`);
      expect(await page.locator('#preview tr').nth(2).innerText()).toBe('B02\t7, or "eight"');
      expect(await page.locator('#local').innerText()).toContain('differs');

      // The image, shown.
      await page.goto(`${server.url}file?layer=processed&branch=cell-counts&key=plate.png`);
      const width = await page.locator('img#preview').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : -1));
      expect(width).toBe(1);

      // The hostile file's own page: its cell's markup is text too.
      await page.goto(`${server.url}file?layer=processed&branch=cell-counts&key=${encodeURIComponent(HOSTILE)}`);
      expect(await page.locator('h1').innerText()).toBe(HOSTILE);
      expect(await page.locator('#preview').innerText()).toContain('<b>bold</b>');
      expect(await page.locator('main b').count()).toBe(0);

      // History, with the git commit of each push.
      await page.goto(`${server.url}history?layer=processed&branch=cell-counts`);
      expect(await page.locator('#history').innerText()).toContain(benSha.slice(0, 8));
      expect(page.consoleErrors).toEqual([]);

      // Without the token, or with another verb: refused, and nothing is said about the data.
      const origin = new URL(server.url).origin;
      for (const bad of [`${origin}/`, `${origin}/diff?layer=processed`, `${origin}/nottoken/`]) {
        const res = await fetch(bad);
        expect(res.status).toBe(403);
        expect(await res.text()).not.toContain('processed');
      }
      const post = await fetch(`${server.url}file?layer=processed&key=keep.csv`, { method: 'POST' });
      expect(post.status).toBe(405);
      // Served with a policy that allows no script, and no Referer leaving with the token.
      const res = await fetch(server.url);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    } finally {
      await server.stop();
    }
    // Nothing changed: Ana's files and the remote's are as they were.
    expect(Object.keys(ana.processed()).sort()).toEqual(['keep.csv', 'plates/changed.csv', 'plates/gone.csv']);
    expect(Object.keys(await remote.layer('cell-counts'))).toContain('counts.parquet');
  });
});

describe('browse on the Hub: revisions', () => {
  let browser: OpenBrowser;
  useBrowser((b) => (browser = b));

  it('compares main at a tag with main now; the overview names the tag; a file at the tag is read there', async () => {
    const remote = hubRemote(inject('hub'));
    const ana = workingCopy(remote, { user: 'ana' });
    ana.write('data/processed/counts.csv', 'well,count\nA01,3\n');
    ana.write('data/processed/old.csv', 'old\n');
    assertOk(await ana.run(['put-results']), 'first push');
    assertOk(await ana.run(['tag', 'paper-v1']), 'tag');
    ana.write('data/processed/counts.csv', 'well,count\nA01,4\n');
    ana.remove('data/processed/old.csv');
    assertOk(await ana.run(['put-results']), 'second push');

    const server = await browse(ana);
    try {
      const page = await browser.page();
      await page.goto(server.url);
      await page.locator('a', { hasText: 'paper-v1' }).click();
      expect(await page.locator('h1').innerText()).toContain('main at paper-v1');
      await page.goto(`${server.url}diff?layer=processed&a=main&arev=paper-v1&b=main`);
      const rows = await page.locator('#differences tr').allInnerTexts();
      expect(rows.find((r) => r.includes('counts.csv'))).toMatch(/^~/);
      expect(rows.find((r) => r.includes('old.csv'))).toMatch(/^−/);
      // The deleted file, read at the tag.
      await page.locator('#differences a', { hasText: 'old.csv' }).click();
      expect(await page.locator('#preview').innerText()).toContain('old');
      expect(page.consoleErrors).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
