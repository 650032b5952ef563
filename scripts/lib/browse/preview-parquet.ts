// Parquet previews by ranged reads (hyparquet, pure JS): the footer gives the schema and the
// row count, then only the column chunks of the row group(s) holding the first rows are read —
// never the whole file, which may be gigabytes.
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type Compressors, type FileMetaData, type SchemaElement } from 'hyparquet';
import { compressors as decompressors } from 'hyparquet-compressors';
import { cellText } from './cell.js';
import type { Preview, RangeSource } from './preview.js';

/**
 * The footer's first read. hyparquet's default is 512 KiB; most footers are a few KiB, and a
 * larger one costs a second read of just the rest.
 */
const FOOTER_READ = 64 * 1024;

/**
 * The decompressors, skipping pages that decompress to nothing (an all-null column's values,
 * as Arrow and DuckDB do): hyparquet-compressors 1.1.2's LZ4 refuses the one-byte empty block
 * (00) that pyarrow writes for them ("lz4 offset out of range 0").
 */
const compressors: Compressors = Object.fromEntries(
  Object.entries(decompressors).map(([codec, decompress]) => [
    codec,
    (input: Uint8Array, length: number) => (length === 0 ? new Uint8Array(0) : decompress(input, length)),
  ]),
);

/**
 * A hyparquet AsyncBuffer over a RangeSource. It keeps the source's first read error (to tell it
 * from a malformed file) and the footer read: a small file's column chunks lie inside it, so a
 * small file is read once.
 */
interface SourceBuffer extends AsyncBuffer {
  readError?: { error: unknown };
  tail?: { start: number; bytes: Uint8Array };
}

/**
 * previewParquet: the top-level columns with their types, the row count from the footer and
 * the first `rows` rows as cell text. zstd, gzip, brotli and lz4 pages decode through
 * hyparquet-compressors (snappy is built into hyparquet).
 */
export async function previewParquet(src: RangeSource, rows: number): Promise<Preview> {
  // The smallest Parquet file: 'PAR1', a footer length, 'PAR1' and at least a byte of footer.
  if (src.size < 13) return { kind: 'none', reason: `not a readable Parquet file: ${src.size} bytes is too short` };
  const file = sourceBuffer(src);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file, { initialFetchSize: FOOTER_READ });
  } catch (err) {
    return failure(file, 'its footer (schema and row groups)', err);
  }
  const columns = parquetSchema(metadata).children.map(({ element }) => ({ name: element.name, type: typeName(element) }));
  const totalRows = Number(metadata.num_rows);
  const rowEnd = Math.min(rows, totalRows);
  let objects: Record<string, unknown>[] = [];
  try {
    // rowEnd keeps the read to the row groups that hold those rows; the offset index, where the
    // writer made one, narrows it further to the pages that hold them.
    if (rowEnd > 0) objects = await parquetReadObjects({ file, metadata, rowStart: 0, rowEnd, compressors, useOffsetIndex: true });
  } catch (err) {
    return failure(file, 'its first rows', err);
  }
  return {
    kind: 'table',
    format: 'parquet',
    columns,
    rows: objects.map((row) => columns.map(({ name }) => cellText(row[name]))),
    totalRows,
  };
}

function sourceBuffer(src: RangeSource): SourceBuffer {
  const file: SourceBuffer = {
    byteLength: src.size,
    async slice(start: number, end = src.size): Promise<ArrayBuffer> {
      const { tail } = file;
      if (tail && start >= tail.start && end <= tail.start + tail.bytes.length) {
        return arrayBufferOf(tail.bytes.subarray(start - tail.start, end - tail.start));
      }
      let bytes: Uint8Array;
      try {
        bytes = await src.read(start, end);
      } catch (error) {
        file.readError ??= { error };
        throw error;
      }
      if (end >= src.size) file.tail ??= { start, bytes };
      return arrayBufferOf(bytes);
    },
  };
  return file;
}

// hyparquet wants an ArrayBuffer holding exactly the range; a view into a larger one is copied
// (by ArrayBuffer.slice: a Node Buffer's own slice() is a view, not a copy).
function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  if (whole && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}

/** failure: the source's own read error, thrown as it was (the caller shows it), or a `none` preview naming what could not be read. */
function failure(file: SourceBuffer, what: string, err: unknown): Preview {
  if (file.readError) throw file.readError.error;
  return { kind: 'none', reason: `not a readable Parquet file: ${what} failed: ${err instanceof Error ? err.message : String(err)}` };
}

/** typeName: the logical type where there is one (STRING, TIMESTAMP(MICROS, UTC), INT8…), else the physical one. */
export function typeName(element: SchemaElement): string {
  const logical = element.logical_type;
  if (logical) {
    switch (logical.type) {
      case 'INTEGER': return `${logical.isSigned ? 'INT' : 'UINT'}${logical.bitWidth}`;
      case 'TIMESTAMP': case 'TIME': return `${logical.type}(${logical.unit}${logical.isAdjustedToUTC ? ', UTC' : ''})`;
      case 'DECIMAL': return `DECIMAL(${logical.precision},${logical.scale})`;
      default: return logical.type;
    }
  }
  // Older writers set only the converted type (UTF8 is what became STRING).
  if (element.converted_type) return element.converted_type === 'UTF8' ? 'STRING' : element.converted_type;
  return element.type ?? 'STRUCT';
}
