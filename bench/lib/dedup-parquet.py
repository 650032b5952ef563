"""Writes the dedup group's parquet file: single-cell profiles of a plate, deterministic from a seed.

Rows are cells, grouped by well (well id A01…P24, site, cell number) with float32 feature
columns. Written with content-defined chunking (pyarrow's use_content_defined_chunking), as a
lab writes files meant for the Hub. The same seed and row count give the same bytes, so a
rewrite with the same arguments is the same file with a new modification time.

  python dedup-parquet.py OUT --seed S --target-bytes B   # base file; rows chosen to reach B
  python dedup-parquet.py OUT --seed S --rows N [--append-rows K] [--add-column]

--append-rows K adds K more cells after the N (the first N rows unchanged); --add-column adds
one column (a per-cell cluster label, int16, 24 values) after the others. Prints one JSON line:
rows, bytes, columns, and the compressed bytes of the added column when there is one.
"""

import argparse
import json
import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

BLOCK = 65536  # rows generated per block: row r's values depend only on the seed and r
FEATURES = [
    "Cells_AreaShape_Area",
    "Cells_AreaShape_Eccentricity",
    "Cells_Intensity_MeanIntensity_DNA",
    "Cells_Intensity_MeanIntensity_Mito",
    "Cytoplasm_Texture_Contrast_ER",
    "Nuclei_AreaShape_Solidity",
    "Nuclei_Granularity_1_RNA",
    "Cells_Correlation_Overlap_AGP_ER",
]
CELLS_PER_SITE = 400
SITES = 9
WELLS = [f"{r}{c:02d}" for r in "ABCDEFGHIJKLMNOP" for c in range(1, 25)]
CLUSTERS = 24


def uniform(seed: int, column: int, block: int, n: int) -> pa.Array:
    # A seed of its own for every column and block: the prefix of a longer table is the same.
    return pc.random(n, initializer=(seed * 1_000_003 + column * 10_007 + block) % (2**63))


def block_table(seed: int, block: int, n: int, add_column: bool) -> pa.Table:
    start = block * BLOCK
    index = pa.array(range(start, start + n), pa.int64())
    per_well = CELLS_PER_SITE * SITES
    well_ix = pc.cast(pc.divide(index, per_well), pa.int64())
    well = pc.take(pa.array(WELLS), pc.remainder(well_ix, len(WELLS)))
    within = pc.remainder(index, per_well)
    site = pc.cast(pc.add(pc.divide(within, CELLS_PER_SITE), 1), pa.int16())
    cell = pc.cast(pc.remainder(within, CELLS_PER_SITE), pa.int32())
    cols = {"well": well, "site": site, "cell": cell}
    for i, name in enumerate(FEATURES):
        u = uniform(seed, i, block, n)
        # Spread like a feature: a positive scale per column, float32 as CellProfiler writes.
        cols[name] = pc.cast(pc.multiply(u, float(10 ** (i % 4))), pa.float32(), safe=False)
    if add_column:
        u = uniform(seed, 1000, block, n)
        cols["Metadata_Cluster"] = pc.cast(pc.floor(pc.multiply(u, CLUSTERS)), pa.int16())
    return pa.table(cols)


def make_table(seed: int, rows: int, add_column: bool) -> pa.Table:
    parts = []
    for b in range((rows + BLOCK - 1) // BLOCK):
        parts.append(block_table(seed, b, min(BLOCK, rows - b * BLOCK), add_column))
    return pa.concat_tables(parts).combine_chunks()


def write(table: pa.Table, where) -> None:
    pq.write_table(table, where, compression="snappy", use_content_defined_chunking=True)


def rows_for(seed: int, target: int) -> int:
    # Bytes per row from a sample of one full row group (1024 × 1024 rows, pyarrow's default)
    # written the same way, then rows to reach the target.
    sample = make_table(seed, 16 * BLOCK, False)
    sink = pa.BufferOutputStream()
    write(sample, sink)
    per_row = sink.getvalue().size / sample.num_rows
    return max(BLOCK, int(round(target / per_row / 1024)) * 1024)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rows", type=int)
    p.add_argument("--target-bytes", type=int)
    p.add_argument("--append-rows", type=int, default=0)
    p.add_argument("--add-column", action="store_true")
    a = p.parse_args()
    rows = a.rows if a.rows is not None else rows_for(a.seed, a.target_bytes)
    table = make_table(a.seed, rows + a.append_rows, a.add_column)
    tmp = a.out + ".tmp"
    write(table, tmp)
    os.replace(tmp, a.out)
    meta = pq.ParquetFile(a.out).metadata
    out = {"rows": meta.num_rows, "bytes": os.path.getsize(a.out), "columns": meta.num_columns, "rowGroups": meta.num_row_groups}
    if a.add_column:
        last = meta.num_columns - 1
        out["addedColumnBytes"] = sum(meta.row_group(g).column(last).total_compressed_size for g in range(meta.num_row_groups))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
