// Existing buckets were written by the lab's rclone recipes, and people will keep looking
// at them with rclone (SPEC §1, §4: "an existing rclone bucket works unchanged"). Debian's
// rclone writes a prefix — a 12 MB file as a multipart upload in 5 MiB parts, an ETag
// Strata's own part size would not give — that get-inputs must pull byte for byte, then
// leave alone; and what Strata uploads must be plain objects to rclone.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REMOTE_KINDS, useLab } from '../support/lab.js';
import { assertOk } from '../support/run.js';
import { hashed } from '../support/tree.js';

const MB = 1000 * 1000;

describe.each(REMOTE_KINDS)('%s remote: a prefix written by rclone', (kind) => {
  const lab = useLab(kind);

  it('get-inputs pulls what rclone wrote (multipart included), then transfers nothing', async () => {
    const l = lab();
    const { ana } = l;
    const big = randomBytes(12 * MB);
    const external: Record<string, string | Buffer> = {
      'plate-map.csv': 'well,compound\nA01,DMSO\n',
      'images/stack.bin': big,
      'notes/readme with spaces.txt': 'written by rclone\n',
    };
    const profiles: Record<string, string | Buffer> = {
      'plate-1/profiles.csv': 'well,f1\nA01,0.1\n',
      'plate-1/profiles.parquet': randomBytes(2 * MB),
    };
    const src = 'rclone-src';
    for (const [k, v] of Object.entries(external)) l.mia.write(`${src}/external/${k}`, v);
    for (const [k, v] of Object.entries(profiles)) l.mia.write(`${src}/profiles/${k}`, v);
    for (const layer of ['external', 'profiles']) {
      assertOk(
        await l.rclone('copy', l.mia.path(`${src}/${layer}`), l.remote.rclonePath(layer), '--s3-upload-cutoff', '1M', '--s3-chunk-size', '5M'),
        `rclone copy ${layer}`,
      );
    }
    expect(await l.remote.files('external')).toEqual(hashed(external));
    // The case under test: a multipart ETag from 5 MiB parts (3 parts for 12 MB).
    if (l.remote.kind === 's3') expect(await l.remote.etag('images/stack.bin', 'main', 'external')).toMatch(/^[0-9a-f]{32}-3$/);

    const first = assertOk(await ana.just('get-inputs'), 'ana get-inputs');
    expect(ana.files('data/external')).toEqual(hashed(external));
    expect(ana.files('data/raw/profiles')).toEqual(hashed(profiles));
    expect(first.stdout).toMatch(/down 5 /);

    const second = assertOk(await ana.just('get-inputs'), 'ana get-inputs again');
    expect(second.stdout).toMatch(/Summary: up 0 \(0 B\), down 0 \(0 B\), copied 0, deleted 0, recycled 0, unchanged 5/);
    expect(ana.files('data/external')).toEqual(hashed(external));
    expect(ana.recycleStamps()).toEqual([]);
  });

  it('what Strata uploads is plain objects to rclone lsf, cat and check', async () => {
    const l = lab();
    const { ana } = l;
    ana.git('switch', '-q', '-c', 'rclone-view');
    const results: Record<string, string | Buffer> = {
      'run-1/summary.csv': 'plate,cells\nplate-1,1200\n',
      'run-1/deep/er/table.tsv': 'a\tb\n1\t2\n',
      'run-1/large.bin': randomBytes(10 * MB), // above Strata's single-request limit: multipart
    };
    for (const [k, v] of Object.entries(results)) ana.write(`data/processed/${k}`, v);
    assertOk(await ana.just('put-results'), 'ana put-results');

    const where = l.remote.rclonePath('branches/rclone-view/processed');
    const lsf = assertOk(await l.rclone('lsf', '-R', '--files-only', where), 'rclone lsf');
    expect(lsf.stdout.trim().split('\n').sort()).toEqual(Object.keys(results).sort());
    const cat = assertOk(await l.rclone('cat', `${where}/run-1/summary.csv`), 'rclone cat');
    expect(cat.stdout).toBe(results['run-1/summary.csv']);
    // Byte-for-byte comparison of the whole folder (--download: no trust in hashes).
    assertOk(await l.rclone('check', '--download', '--exclude', '.gitkeep', ana.path('data/processed'), where), 'rclone check --download');
  });
});

describe.each(REMOTE_KINDS)('%s remote: modification times travel with rclone', (kind) => {
  const lab = useLab(kind);
  // Times a pipeline could have left: distinct, out of name order, with sub-second parts.
  const times: Record<string, number> = { 'a.csv': Date.UTC(2026, 0, 5, 9, 0, 0, 250), 'b.csv': Date.UTC(2025, 6, 1, 12, 30, 0, 125), 'sub/c.csv': Date.UTC(2026, 2, 9, 18, 45, 30, 500) };
  const setTimes = (dir: string) => {
    for (const [k, ms] of Object.entries(times)) fs.utimesSync(path.join(dir, k), ms / 1000, ms / 1000);
  };
  const readTimes = (dir: string) => Object.fromEntries(Object.keys(times).map((k) => [k, fs.statSync(path.join(dir, k)).mtimeMs]));

  it('a pull gives each file the time rclone recorded when it uploaded', async () => {
    const l = lab();
    const src = l.mia.path('rclone-src');
    for (const k of Object.keys(times)) l.mia.write(`rclone-src/${k}`, `${k}\n`);
    setTimes(src);
    assertOk(await l.rclone('copy', src, l.remote.rclonePath('external')), 'rclone copy');
    assertOk(await l.ana.just('get-inputs'), 'get-inputs');
    const got = readTimes(l.ana.path('data/external'));
    for (const [k, ms] of Object.entries(times)) expect(Math.abs(got[k]! - ms), `${k}: ${new Date(got[k]!).toISOString()}`).toBeLessThan(1);
  });

  it('rclone reads the times Strata recorded when it pushed', async () => {
    const l = lab();
    const { ana } = l;
    ana.git('switch', '-q', '-c', 'times');
    for (const k of Object.keys(times)) ana.write(`data/processed/${k}`, `${k}\n`);
    setTimes(ana.path('data/processed'));
    assertOk(await ana.just('put-results'), 'put-results');
    const listed = assertOk(await l.rclone('lsjson', '-R', '--files-only', l.remote.rclonePath('branches/times/processed')), 'rclone lsjson');
    const byPath = Object.fromEntries((JSON.parse(listed.stdout) as { Path: string; ModTime: string }[]).map((e) => [e.Path, Date.parse(e.ModTime)]));
    for (const [k, ms] of Object.entries(times)) expect(Math.abs(byPath[k]! - ms), `${k}: rclone says ${new Date(byPath[k]!).toISOString()}`).toBeLessThan(1);
  });
});
