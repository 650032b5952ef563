// The preview of a remote file, as data (another module renders it): `just browse` shows a
// file without downloading it, so each kind reads only what it shows — a CSV's or a text's
// start, a Parquet file's footer and first rows, an image's signature.
import { TEXT_LIMIT, previewCsv } from './preview-csv.js';
import { previewParquet } from './preview-parquet.js';

/** A remote file read by ranges: `read(start, end)` gives bytes [start, end) (end exclusive, clamped to size). */
export interface RangeSource {
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

export type Preview =
  | { kind: 'table'; format: 'csv' | 'tsv' | 'parquet'; columns: { name: string; type?: string }[]; rows: string[][]; totalRows?: number; note?: string }
  | { kind: 'image'; mime: 'image/png' | 'image/jpeg' }
  | { kind: 'text'; text: string; truncated: boolean }
  | { kind: 'none'; reason: string };

export type ImageMime = Extract<Preview, { kind: 'image' }>['mime'];

export const DEFAULT_ROWS = 50;

/** How much of a file with an unknown extension is looked at to tell text from binary. */
const SNIFF_LIMIT = 64 * 1024;

/** Shown as text whatever their bytes (HTML too: as its source, the renderer escapes it). */
const TEXT_EXTENSIONS = new Set([
  'txt', 'md', 'json', 'yaml', 'yml', 'log', 'py', 'r', 'sh', 'toml', 'ini', 'cfg', 'tex', 'bib', 'html', 'htm',
]);

const SIGNATURES: Record<ImageMime, { name: string; bytes: number[] }> = {
  'image/png': { name: 'PNG', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  'image/jpeg': { name: 'JPEG', bytes: [0xff, 0xd8, 0xff] },
};

/**
 * preview: what `key` holds, chosen by its extension (any case) and, for an unknown one, by
 * its first bytes. A read error from `src` is thrown; a malformed file is a `none` preview.
 */
export async function preview(key: string, src: RangeSource, opts: { rows?: number } = {}): Promise<Preview> {
  const rows = rowCount(opts.rows);
  const ext = extension(key);
  switch (ext) {
    case 'csv': return previewCsv(src, 'csv', rows);
    case 'tsv': case 'tab': return previewCsv(src, 'tsv', rows);
    case 'parquet': case 'pq': return previewParquet(src, rows);
    case 'png': return previewImage(src, 'image/png');
    case 'jpg': case 'jpeg': return previewImage(src, 'image/jpeg');
  }
  if (TEXT_EXTENSIONS.has(ext)) return previewText(src);
  return sniff(src);
}

function rowCount(rows: number | undefined): number {
  return rows === undefined || !Number.isFinite(rows) ? DEFAULT_ROWS : Math.max(0, Math.floor(rows));
}

/** extension: the last name's extension, lower case, without the dot ('' when it has none). */
export function extension(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

// The extension only says what the file should be: its signature says what it is.
async function previewImage(src: RangeSource, mime: ImageMime): Promise<Preview> {
  const { name, bytes } = SIGNATURES[mime];
  const head = await src.read(0, Math.min(src.size, bytes.length));
  if (head.length === bytes.length && bytes.every((b, i) => head[i] === b)) return { kind: 'image', mime };
  return { kind: 'none', reason: `not a ${name} file: its first bytes are not the ${name} signature` };
}

async function previewText(src: RangeSource): Promise<Preview> {
  const bytes = await src.read(0, Math.min(src.size, TEXT_LIMIT));
  return textOf(bytes, src.size > TEXT_LIMIT);
}

// A file of no known kind is text when its start is UTF-8 without NUL bytes (binary formats
// nearly always hold a NUL early on); only then is the rest of the text's share read.
async function sniff(src: RangeSource): Promise<Preview> {
  const head = await src.read(0, Math.min(src.size, SNIFF_LIMIT));
  if (head.includes(0)) return { kind: 'none', reason: 'binary file (it holds NUL bytes)' };
  if (!isUtf8(wholeCharacters(head, src.size > head.length))) return { kind: 'none', reason: 'binary file (not UTF-8 text)' };
  if (src.size <= head.length) return textOf(head, false);
  const rest = await src.read(head.length, Math.min(src.size, TEXT_LIMIT));
  const bytes = new Uint8Array(head.length + rest.length);
  bytes.set(head);
  bytes.set(rest, head.length);
  return textOf(bytes, src.size > TEXT_LIMIT);
}

function textOf(bytes: Uint8Array, truncated: boolean): Preview {
  // Not fatal: a text file with a stray bad byte still shows, with U+FFFD in its place.
  const text = new TextDecoder('utf-8').decode(wholeCharacters(bytes, truncated));
  return { kind: 'text', text, truncated };
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * wholeCharacters: the bytes without a UTF-8 sequence that a partial read cut at its end (it
 * would decode as U+FFFD, or fail the UTF-8 check, though the file is fine).
 */
export function wholeCharacters(bytes: Uint8Array, partial: boolean): Uint8Array {
  if (!partial) return bytes;
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 4); i--) {
    const b = bytes[i];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return bytes.length - i < need ? bytes.subarray(0, i) : bytes;
  }
  return bytes;
}
