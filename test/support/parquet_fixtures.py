"""Parquet files for the browse preview's tests (test/unit/browse-preview.test.ts), written by
pyarrow, and what pyarrow reads back from them, printed as JSON on stdout.

Usage: parquet_fixtures.py OUT_DIR

The expected cells follow the preview's cell rules (null -> '', ints as decimals, timestamps as
JavaScript's toISOString, JSON for lists with int64s as strings, cells cut at 200 characters),
except floats: they stay JSON numbers, for the test to print as JavaScript does.
"""
import datetime as dt
import json
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROWS_SHOWN = 50
CODECS = ['snappy', 'zstd', 'gzip', 'brotli', 'lz4']


def mixed_table(n=120):
    """Every kind of column the preview formats, with nulls; row 7 holds a 300-character string."""
    base = dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=dt.timezone.utc)
    return pa.table({
        'i': pa.array([None if k % 11 == 3 else (2**62 + k if k % 2 else -k * 1000) for k in range(n)], pa.int64()),
        'f': pa.array([None if k % 13 == 5 else [k * 0.1, 1e21 * k, -1.5e-7 * k, 0.1 + 0.2][k % 4] for k in range(n)], pa.float64()),
        's': pa.array([None if k % 9 == 4 else ('x' * 300 if k == 7 else f'row {k}, "quoted" é ✓' if k % 3 else '') for k in range(n)], pa.string()),
        't': pa.array([None if k % 17 == 6 else base + dt.timedelta(days=k, microseconds=k * 777) for k in range(n)],
                      pa.timestamp('us', tz='UTC')),
        'b': pa.array([None if k % 5 == 2 else k % 2 == 0 for k in range(n)], pa.bool_()),
        'n': pa.nulls(n),
        'l': pa.array([None if k % 7 == 1 else list(range(k % 4)) for k in range(n)], pa.list_(pa.int64())),
    })


def big_table(n=2_000_000):
    """Random-ish numbers, ~40 MB once written: they do not compress, so the file stays large."""
    return pa.table({
        'id': pa.array(range(n), pa.int32()),
        'key': pc.cast(pc.multiply(pc.random(n, initializer=62), float(2**62)), pa.int64(), safe=False),
        'value': pc.random(n, initializer=7),
    })


def cell(v):
    if v is None:
        return ''
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return v
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S') + '.%03dZ' % (v.microsecond // 1000)
    if isinstance(v, list):
        return json.dumps([None if x is None else str(x) for x in v], separators=(',', ':'))
    if isinstance(v, str):
        return v if len(v) <= 200 else v[:199] + '…'
    raise TypeError(type(v))


def describe(path):
    f = pq.ParquetFile(path)
    leaves = {c.path.split('.')[0]: c for c in f.schema}  # a list column's leaf stands for its top column
    columns = [{'name': name, 'physical': leaves[name].physical_type, 'logical': leaves[name].logical_type.type}
               for name in f.schema_arrow.names]
    first = f.read().slice(0, ROWS_SHOWN).to_pylist()
    return {
        'numRows': f.metadata.num_rows,
        'rowGroups': f.num_row_groups,
        'codec': f.metadata.row_group(0).column(0).compression,
        'columns': columns,
        'rows': [[cell(v) for v in row.values()] for row in first],
    }


def main(out):
    result = {}
    mixed = mixed_table()
    for codec in CODECS:
        path = f'{out}/mixed-{codec}.parquet'
        # Row groups of 40 rows: the first 50 rows span two of them.
        pq.write_table(mixed, path, compression=codec, row_group_size=40)
        result[f'mixed-{codec}'] = describe(path)
    path = f'{out}/big.parquet'
    # Row groups of 128 Ki rows (~2.6 MB): the first rows are in the first of 16. No dictionaries:
    # random values would only fill one before falling back to plain pages.
    pq.write_table(big_table(), path, row_group_size=128 * 1024, use_dictionary=False)
    result['big'] = describe(path)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == '__main__':
    main(sys.argv[1])
