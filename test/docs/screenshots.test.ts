// The pictures of `just browse` in docs/user-guide.md, drawn from a made-up lab project on the
// local Ceph S3: Ana's results on main, Ben's qc-threshold branch, then Ana reviews it in the
// browser. Run by `just screenshots` (STRATA_SCREENSHOTS=1 makes this vitest project); the
// pictures go to docs/img/. Each step still asserts what it shows, so a broken page is not drawn.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { useBrowser, type OpenBrowser } from '../support/browser.js';
import { s3Remote } from '../support/remote.js';
import { assertOk } from '../support/run.js';
import { removeTemps, tempDir } from '../support/scratch.js';
import { screenshot } from '../support/screenshot.js';
import { STRATA_ROOT, workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const IMG = path.join(STRATA_ROOT, 'docs', 'img');
const PYTHON = path.join(STRATA_ROOT, '.venv', 'bin', 'python');

/** Plate counts as a CSV: one row per well. */
function plate(n: number, shift = 0): string {
  const rows = ['well,cells,mean_area,passed_qc'];
  for (let r = 0; r < 8; r++) for (let c = 1; c <= 12; c++) rows.push(`${'ABCDEFGH'[r]}${String(c).padStart(2, '0')},${400 + ((n * 37 + r * 11 + c * 7 + shift) % 180)},${(180 + ((r * c + n) % 40) / 3).toFixed(2)},${(r + c + shift) % 9 !== 0}`);
  return rows.join('\n') + '\n';
}

/** A summary table written by pyarrow. */
function parquet(threshold: number): Buffer {
  const file = path.join(tempDir('strata-shots-'), 'counts.parquet');
  execFileSync(PYTHON, ['-c', `import pyarrow as pa, pyarrow.parquet as pq, sys
rows = [(p, f"{'ABCDEFGH'[r]}{c:02d}", 400 + (p * 37 + r * 11 + c * 7) % 180, (r + c) % 9 != 0) for p in range(1, 7) for r in range(8) for c in range(1, 13)]
t = pa.table({'plate': [r[0] for r in rows], 'well': [r[1] for r in rows], 'cells': [r[2] for r in rows], 'passed_qc': [r[2] > ${threshold} and r[3] for r in rows]})
pq.write_table(t, sys.argv[1])`, file]);
  return fs.readFileSync(file);
}

describe('the pictures of just browse', () => {
  let browser: OpenBrowser;
  useBrowser((b) => (browser = b));

  /** A bar chart drawn by Chromium itself, as a PNG: the figure a lab commits next to its counts. */
  async function figure(values: number[]): Promise<Buffer> {
    const page = await browser.page();
    const bars = values.map((v, i) => `<rect x="${30 + i * 60}" y="${220 - v / 3}" width="40" height="${v / 3}" fill="#3b6ea5"/><text x="${40 + i * 60}" y="240" font-size="12">P${i + 1}</text>`).join('');
    await page.setContent(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="250" style="background:#fff"><text x="30" y="20" font-size="14">cells per plate</text>${bars}</svg>`);
    const png = await page.locator('svg').screenshot({ type: 'png' });
    await page.close();
    return png;
  }

  async function browse(wc: WorkingCopy): Promise<{ url: string; stop: () => Promise<void> }> {
    const running = wc.start(['browse'], { timeoutMs: 600_000 });
    for (let i = 0; i < 600 && !/127\.0\.0\.1:\d+\/[\w-]+\//.test(running.output()); i++) await new Promise((ok) => setTimeout(ok, 50));
    const url = /http:\/\/127\.0\.0\.1:\d+\/[\w-]+\//.exec(running.output())?.[0];
    if (!url) throw new Error(`browse did not start:\n${running.output()}`);
    return { url, stop: async () => void (running.pid && process.kill(running.pid, 'SIGINT'), await running.exited) };
  }

  it('overview, a branch against main, a parquet file, a figure, the history', async () => {
    const remote = await s3Remote(inject('s3'));
    const ana = workingCopy(remote, { user: 'ana', name: 'cell-paint' });
    ana.git('remote', 'add', 'origin', 'git@github.com:example-lab/cell-paint.git');
    for (let n = 1; n <= 6; n++) ana.write(`data/processed/plates/plate-0${n}.csv`, plate(n));
    ana.write('data/processed/summary/counts.parquet', parquet(0));
    ana.write('data/processed/figures/cells-per-plate.png', await figure([480, 455, 510, 470, 430, 495]));
    ana.write('data/processed/README.md', '# Processed results\n\nCell counts per plate, from `snakemake counts`.\n');
    ana.write('data/external/plate-map.csv', 'plate,compound\n1,DMSO\n2,staurosporine\n');
    assertOk(await ana.run(['put-inputs']));
    assertOk(await ana.run(['put-results']));

    const ben = workingCopy(remote, { user: 'ben', branch: 'qc-threshold', name: 'cell-paint' });
    assertOk(await ben.run(['get-results']));
    ben.write('data/processed/plates/plate-03.csv', plate(3, 5));
    ben.write('data/processed/plates/plate-05.csv', plate(5, 5));
    ben.remove('data/processed/plates/plate-06.csv');
    ben.write('data/processed/summary/qc.parquet', parquet(450));
    ben.write('data/processed/figures/cells-per-plate.png', await figure([480, 455, 360, 470, 330]));
    ben.git('commit', '-q', '--allow-empty', '-m', 'QC: drop wells under 450 cells');
    assertOk(await ben.run(['put-results']));

    const server = await browse(ana);
    try {
      const page = await browser.page();
      await page.goto(server.url);
      expect(await page.locator('main').innerText()).toContain('qc-threshold');
      await screenshot(page, path.join(IMG, 'browse-overview.png'));

      await page.goto(`${server.url}diff?layer=processed&a=main&b=qc-threshold`);
      expect(await page.locator('#differences').innerText()).toContain('plate-06.csv');
      await screenshot(page, path.join(IMG, 'browse-diff.png'));

      await page.goto(`${server.url}file?layer=processed&branch=qc-threshold&key=summary%2Fqc.parquet`);
      expect(await page.locator('main').innerText()).toContain('576 rows');
      await screenshot(page, path.join(IMG, 'browse-parquet.png'));

      await page.goto(`${server.url}file?layer=processed&branch=qc-threshold&key=figures%2Fcells-per-plate.png`);
      expect(await page.locator('img#preview').evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);
      await screenshot(page, path.join(IMG, 'browse-figure.png'));

      await page.goto(`${server.url}history?layer=processed&branch=qc-threshold`);
      expect(await page.locator('#history').innerText()).toContain('ben@');
      await screenshot(page, path.join(IMG, 'browse-history.png'));
    } finally {
      await server.stop();
    }
  });
});
