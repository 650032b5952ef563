// CSV and TSV previews: the file's start, parsed by csv-parse (quoted fields may hold commas,
// quotes and newlines, which no split by lines gets right). The first record is the header.
import { Buffer } from 'node:buffer';
import { CsvError, parse, type Options } from 'csv-parse/sync';
import { cutCell } from './cell.js';
import type { Preview, RangeSource } from './preview.js';

/** How much of a CSV, TSV or text file a preview reads at most. */
export const TEXT_LIMIT = 256 * 1024;

/**
 * previewCsv: the header and the first `rows` rows. The whole file is read when it is at most
 * TEXT_LIMIT long, and only then is `totalRows` known; a longer one is read to TEXT_LIMIT.
 */
export async function previewCsv(src: RangeSource, format: 'csv' | 'tsv', rows: number): Promise<Preview> {
  const partial = src.size > TEXT_LIMIT;
  let bytes = await src.read(0, Math.min(src.size, TEXT_LIMIT));
  // The read may end inside a record (or a character): it ends at the last line break instead.
  if (partial) bytes = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
  let records: string[][];
  try {
    records = parseRecords(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), format, partial ? rows + 1 : undefined);
  } catch (err) {
    return { kind: 'none', reason: `${format.toUpperCase()} parse error: ${err instanceof Error ? err.message : String(err)}` };
  }
  const note = `only the first ${TEXT_LIMIT / 1024} KiB of the file were read: the total row count is unknown`;
  return table(format, records, rows, partial ? note : undefined);
}

/**
 * parseRecords: the records of `data`, at most `upTo` (all when undefined). Ragged rows are
 * kept (relax_column_count); blank lines are no rows. TSV writers rarely quote, so a quote
 * inside a TSV field is kept as a character (relax_quotes) rather than refused.
 */
function parseRecords(data: Buffer, format: 'csv' | 'tsv', upTo?: number): string[][] {
  const options: Options = {
    delimiter: format === 'tsv' ? '\t' : ',',
    relax_column_count: true,
    relax_quotes: format === 'tsv',
    skip_empty_lines: true,
    bom: true,
    ...(upTo !== undefined && { to: upTo }),
  };
  try {
    return parse(data, options);
  } catch (err) {
    // A partial read may end inside a quoted field that holds a line break: that last record is
    // cut, not malformed, so the records before it stand (the error counts them).
    const done = err instanceof CsvError && err.code === 'CSV_QUOTE_NOT_CLOSED' ? Number(err.records) : 0;
    if (upTo !== undefined && done > 0) return parse(data, { ...options, to: done });
    throw err;
  }
}

/** table: a rectangular table of the records, padded with '' where a row or the header is short. */
function table(format: 'csv' | 'tsv', records: string[][], rows: number, note?: string): Preview {
  const [header = [], ...body] = records;
  const shown = body.slice(0, rows);
  const width = Math.max(header.length, ...shown.map((r) => r.length));
  const pad = (r: string[]) => Array.from({ length: width }, (_, i) => cutCell(r[i] ?? ''));
  return {
    kind: 'table',
    format,
    columns: pad(header).map((name) => ({ name })),
    rows: shown.map(pad),
    ...(note === undefined ? { totalRows: body.length } : { note }),
  };
}
