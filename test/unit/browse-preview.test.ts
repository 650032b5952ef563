// The browse preview on real files: Parquet written by pyarrow (test/support/parquet_fixtures.py,
// which also prints what pyarrow reads back), CSV, TSV, text and images written here. Each file
// is read through a RangeSource over the local file that counts the bytes it hands out.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preview, type Preview, type RangeSource } from '../../scripts/lib/browse/preview.js';
import { removeTemps, tempDir } from '../support/scratch.js';

const KiB = 1024;

interface Counted extends RangeSource {
  bytesRead: number;
  reads: number;
}

/** A RangeSource over a local file, counting what it reads; Node Buffers, as the backends give. */
function fileSource(file: string): Counted {
  const size = fs.statSync(file).size;
  const src: Counted = {
    size,
    bytesRead: 0,
    reads: 0,
    async read(start, end) {
      const from = Math.max(0, start);
      const buf = Buffer.alloc(Math.max(0, Math.min(end, size) - from));
      const fh = await fs.promises.open(file, 'r');
      try {
        const { bytesRead } = await fh.read(buf, 0, buf.length, from);
        src.bytesRead += bytesRead;
        src.reads++;
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
  };
  return src;
}

function failingSource(size: number): RangeSource {
  return { size, read: () => Promise.reject(new Error('connection reset by the test')) };
}

let dir: string;

function write(name: string, data: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}

async function previewFile(name: string, opts?: { rows?: number }): Promise<{ p: Preview; src: Counted }> {
  const src = fileSource(path.join(dir, name));
  return { p: await preview(name, src, opts), src };
}

function asTable(p: Preview) {
  if (p.kind !== 'table') throw new Error(`expected a table, got ${JSON.stringify(p).slice(0, 300)}`);
  return p;
}

beforeAll(() => {
  dir = tempDir('strata-browse-');
});
afterAll(removeTemps);

describe('Parquet', () => {
  interface Expected {
    numRows: number;
    rowGroups: number;
    codec: string;
    columns: { name: string; physical: string; logical: string }[];
    rows: (string | number)[][];
  }
  let expected: Record<string, Expected>;

  beforeAll(() => {
    const out = execFileSync(path.resolve('.venv/bin/python'), [path.resolve('test/support/parquet_fixtures.py'), dir], { encoding: 'utf8' });
    expected = JSON.parse(out);
  }, 60_000);

  // pyarrow keeps floats as numbers: JavaScript prints them as the preview does; the rest is text already.
  const cells = (rows: (string | number)[][]) => rows.map((r) => r.map((c) => (typeof c === 'number' ? String(c) : c)));

  // pyarrow's own names for a column's type, as the preview's short string begins.
  function pyarrowType(c: { physical: string; logical: string }): string {
    if (c.logical === 'NONE') return c.physical;
    return ({ UNKNOWN: 'NULL', INT: 'INT' } as Record<string, string>)[c.logical] ?? c.logical;
  }

  it.each(['snappy', 'zstd', 'gzip', 'brotli', 'lz4'])('reads a %s file: columns, types, row count and first rows as pyarrow does', async (codec) => {
    const want = expected[`mixed-${codec}`];
    expect(want.codec).toBe(codec.toUpperCase());
    const { p, src } = await previewFile(`mixed-${codec}.parquet`);
    const t = asTable(p);
    expect(t.format).toBe('parquet');
    // A file smaller than the footer read is read once, whole: its chunks are served from that read.
    expect([src.reads, src.bytesRead]).toEqual([1, src.size]);
    expect(t.columns).toEqual([
      { name: 'i', type: 'INT64' },
      { name: 'f', type: 'DOUBLE' },
      { name: 's', type: 'STRING' },
      { name: 't', type: 'TIMESTAMP(MICROS, UTC)' },
      { name: 'b', type: 'BOOLEAN' },
      { name: 'n', type: 'NULL' },
      { name: 'l', type: 'LIST' },
    ]);
    const scalars = want.columns.filter((c) => c.name !== 'l'); // pyarrow lists a list column by its leaf
    expect(scalars.map((c) => c.name)).toEqual(['i', 'f', 's', 't', 'b', 'n']);
    for (const c of scalars) expect(t.columns.find((x) => x.name === c.name)!.type!.startsWith(pyarrowType(c))).toBe(true);
    expect(t.totalRows).toBe(120);
    expect(t.totalRows).toBe(want.numRows);
    expect(want.rowGroups).toBe(3); // the 50 rows shown span two row groups
    expect(t.rows).toHaveLength(50);
    expect(t.rows).toEqual(cells(want.rows));
    // Spot checks that do not go through pyarrow: bigint, float, cut cell, Date, list.
    expect(t.rows[1].slice(0, 2)).toEqual(['4611686018427387905', '1e+21']);
    expect(t.rows[7][2]).toBe('x'.repeat(199) + '…');
    expect(t.rows[0][3]).toBe('2024-02-29T23:59:58.123Z');
    expect(t.rows[3][6]).toBe('["0","1","2"]');
    expect(t.rows[0][6]).toBe('[]');
    expect(t.rows[1][6]).toBe('');
  });

  it('shows only the rows asked for', async () => {
    const t = asTable((await previewFile('mixed-snappy.parquet', { rows: 3 })).p);
    expect(t.rows).toEqual(cells(expected['mixed-snappy'].rows.slice(0, 3)));
    expect(t.totalRows).toBe(120);
  });

  it('previews a 40 MB file of 16 row groups reading under 10% of it', async () => {
    const want = expected.big;
    const { p, src } = await previewFile('big.parquet');
    expect(src.size).toBeGreaterThan(35e6);
    expect(want.rowGroups).toBe(16);
    const t = asTable(p);
    expect(t.columns).toEqual([
      { name: 'id', type: 'INT32' },
      { name: 'key', type: 'INT64' },
      { name: 'value', type: 'DOUBLE' },
    ]);
    expect(t.totalRows).toBe(2_000_000);
    expect(t.rows).toEqual(cells(want.rows));
    expect(t.rows[49][0]).toBe('49');
    expect(src.bytesRead).toBeLessThan(src.size * 0.1);
  });

  it('turns a file that is not Parquet into none, naming the footer', async () => {
    write('fake.parquet', 'a,b\n1,2\n'.repeat(100));
    const { p } = await previewFile('fake.parquet');
    expect(p.kind).toBe('none');
    expect(p.kind === 'none' && p.reason).toMatch(/^not a readable Parquet file: its footer .* failed: .*PAR1/);
  });

  it('turns a file too short for Parquet into none without reading it', async () => {
    write('short.parquet', 'PAR1PAR1');
    const { p, src } = await previewFile('short.parquet');
    expect(p).toEqual({ kind: 'none', reason: 'not a readable Parquet file: 8 bytes is too short' });
    expect(src.reads).toBe(0);
  });

  it('turns garbled data pages into none, naming the rows', async () => {
    const bytes = fs.readFileSync(path.join(dir, 'mixed-snappy.parquet'));
    bytes.fill(0xff, 4, 2000); // the footer stays whole: the schema reads, the first pages do not
    write('garbled.parquet', bytes);
    const { p } = await previewFile('garbled.parquet');
    expect(p.kind).toBe('none');
    expect(p.kind === 'none' && p.reason).toMatch(/^not a readable Parquet file: its first rows failed: /);
  });

  it('lets a read error from the source through', async () => {
    await expect(preview('x.parquet', failingSource(10_000))).rejects.toThrow('connection reset by the test');
  });
});

describe('CSV and TSV', () => {
  it('parses quotes, commas and line breaks inside fields', async () => {
    write('q.csv', 'name,note,n\r\n"Smith, J","said ""hi""",1\r\n"multi\nline",plain,2\r\n');
    const t = asTable((await previewFile('q.csv')).p);
    expect(t.format).toBe('csv');
    expect(t.columns).toEqual([{ name: 'name' }, { name: 'note' }, { name: 'n' }]);
    expect(t.rows).toEqual([
      ['Smith, J', 'said "hi"', '1'],
      ['multi\nline', 'plain', '2'],
    ]);
    expect(t.totalRows).toBe(2);
    expect(t.note).toBeUndefined();
  });

  it('reads TSV (.tsv and .TAB) by tabs', async () => {
    write('t.tsv', 'a\tb c\td,e\n1\t2 3\t4,5\n');
    const t = asTable((await previewFile('t.tsv')).p);
    expect(t.format).toBe('tsv');
    expect(t.columns.map((c) => c.name)).toEqual(['a', 'b c', 'd,e']);
    expect(t.rows).toEqual([['1', '2 3', '4,5']]);
    write('T.TAB', 'x\ty\n6 "inch"\t7\n');
    const u = asTable((await previewFile('T.TAB')).p);
    expect(u.format).toBe('tsv');
    expect(u.rows).toEqual([['6 "inch"', '7']]);
  });

  it('keeps ragged rows, padded to a rectangle', async () => {
    write('ragged.csv', 'a,b,c\n1,2\n3,4,5,6\n\n7\n');
    const t = asTable((await previewFile('ragged.csv')).p);
    expect(t.columns.map((c) => c.name)).toEqual(['a', 'b', 'c', '']);
    expect(t.rows).toEqual([
      ['1', '2', '', ''],
      ['3', '4', '5', '6'],
      ['7', '', '', ''],
    ]);
    expect(t.totalRows).toBe(3);
  });

  it('reads only the start of a 2 MB CSV and says so', async () => {
    const lines = ['id,text,quoted'];
    for (let i = 0, length = 0; length < 2 * 1024 * KiB; i++) {
      lines.push(`${i},row ${i} ${'é'.repeat(i % 7)},"a ""q"" and a\nbreak ${i}"`);
      length += lines[lines.length - 1].length + 1;
    }
    write('big.csv', lines.join('\n') + '\n');
    const { p, src } = await previewFile('big.csv');
    const t = asTable(p);
    expect(src.size).toBeGreaterThan(2 * 1024 * KiB);
    expect(src.bytesRead).toBeLessThanOrEqual(256 * KiB + 1024);
    expect(t.columns.map((c) => c.name)).toEqual(['id', 'text', 'quoted']);
    expect(t.rows).toHaveLength(50);
    expect(t.rows[42]).toEqual(['42', 'row 42 ', 'a "q" and a\nbreak 42']);
    expect(t.rows[47]).toEqual(['47', 'row 47 ééééé', 'a "q" and a\nbreak 47']);
    expect(t.totalRows).toBeUndefined();
    expect(t.note).toMatch(/first 256 KiB/);
  });

  it('keeps the records before a quoted field that the read cut in two', async () => {
    // Records of 100 KiB with a line break 10 KiB in: the 256 KiB read's last line break is
    // inside the third record's quoted field, so the text kept ends in an open quote.
    const long = (i: number) => `${i},"${'y'.repeat(10 * KiB)}\n${'y'.repeat(90 * KiB)}"`;
    write('long.csv', ['k,v', long(0), long(1), long(2), long(3)].join('\n') + '\n');
    const t = asTable((await previewFile('long.csv')).p);
    expect(t.rows.map((r) => r[0])).toEqual(['0', '1']);
    expect(t.rows[0][1]).toBe('y'.repeat(199) + '…');
  });

  it('leaves out the line that the read cut in two', async () => {
    const line = (i: number) => `${i},${'z'.repeat(100 * KiB)}`;
    write('lines.csv', ['k,v', line(0), line(1), line(2)].join('\n') + '\n');
    const t = asTable((await previewFile('lines.csv')).p);
    expect(t.rows.map((r) => r[0])).toEqual(['0', '1']);
    expect(t.note).toMatch(/total row count is unknown/);
  });

  it('turns a parse error into none with the parser\'s message', async () => {
    write('bad.csv', 'a,b\n"x"y,2\n');
    const { p } = await previewFile('bad.csv');
    expect(p.kind).toBe('none');
    expect(p.kind === 'none' && p.reason).toMatch(/^CSV parse error: Invalid Closing Quote/);
  });

  it('lets a read error from the source through', async () => {
    await expect(preview('x.csv', failingSource(100))).rejects.toThrow('connection reset by the test');
  });
});

describe('images', () => {
  // The classic 1x1 transparent PNG.
  const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  // No Pillow in the venv to write a real JPEG: SOI, a JFIF APP0 segment and EOI. The preview
  // checks only the signature (FF D8 FF), which these bytes carry as a real JPEG does.
  const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');

  it('knows a PNG and a JPEG by their signature, reading a few bytes', async () => {
    write('dot.PNG', PNG);
    write('dot.jpeg', JPEG);
    write('dot.jpg', JPEG);
    const png = await previewFile('dot.PNG');
    expect(png.p).toEqual({ kind: 'image', mime: 'image/png' });
    expect(png.src.bytesRead).toBe(8);
    expect((await previewFile('dot.jpeg')).p).toEqual({ kind: 'image', mime: 'image/jpeg' });
    expect((await previewFile('dot.jpg')).p).toEqual({ kind: 'image', mime: 'image/jpeg' });
  });

  it('turns a .png that is not a PNG (or a .jpg that is one) into none', async () => {
    write('fake.png', 'hello, not an image');
    expect((await previewFile('fake.png')).p).toEqual({ kind: 'none', reason: 'not a PNG file: its first bytes are not the PNG signature' });
    write('png.jpg', PNG);
    expect((await previewFile('png.jpg')).p).toEqual({ kind: 'none', reason: 'not a JPEG file: its first bytes are not the JPEG signature' });
  });
});

describe('text', () => {
  it('shows a known text extension as text, HTML as its source', async () => {
    write('notes.md', '# Notes\n\nσ = 1\n');
    expect((await previewFile('notes.md')).p).toEqual({ kind: 'text', text: '# Notes\n\nσ = 1\n', truncated: false });
    write('page.html', '<b>bold</b>');
    expect((await previewFile('page.html')).p).toEqual({ kind: 'text', text: '<b>bold</b>', truncated: false });
    write('model.R', 'x <- 1\n');
    expect((await previewFile('model.R')).p).toEqual({ kind: 'text', text: 'x <- 1\n', truncated: false });
  });

  it('shows a UTF-8 file of unknown extension (or none) as text', async () => {
    write('README', 'plain words\n');
    expect((await previewFile('README')).p).toEqual({ kind: 'text', text: 'plain words\n', truncated: false });
    write('run.snakefile', 'rule all:\n  input: "ü"\n');
    expect((await previewFile('run.snakefile')).p).toEqual({ kind: 'text', text: 'rule all:\n  input: "ü"\n', truncated: false });
  });

  it('reads a long text to 256 KiB, not cutting a character in two', async () => {
    // 'ü' is two bytes: the 256 KiB read ends in the middle of one.
    const text = 'a' + 'ü'.repeat(200 * KiB);
    write('long.weird', text);
    const { p, src } = await previewFile('long.weird');
    expect(p.kind).toBe('text');
    if (p.kind !== 'text') return;
    expect(p.truncated).toBe(true);
    expect(p.text).toBe(text.slice(0, 1 + (256 * KiB - 2) / 2));
    expect(src.bytesRead).toBe(256 * KiB);
  });

  it('turns a binary file into none, reading 64 KiB at most', async () => {
    const bytes = Buffer.alloc(300 * KiB, 0x41);
    bytes[1000] = 0;
    write('blob.bin', bytes);
    const { p, src } = await previewFile('blob.bin');
    expect(p).toEqual({ kind: 'none', reason: 'binary file (it holds NUL bytes)' });
    expect(src.bytesRead).toBe(64 * KiB);
    write('latin1.dat', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    expect((await previewFile('latin1.dat')).p).toEqual({ kind: 'none', reason: 'binary file (not UTF-8 text)' });
  });
});
