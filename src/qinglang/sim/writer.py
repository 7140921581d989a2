"""Writing tables in the data-contract formats, chunk by chunk.

Tables are built as Arrow tables with logical types (string, bool, int64,
list<string>, timestamp[s, UTC]) and converted per format:
- parquet: native types (timestamps in ms, UTC), zstd, one row group per chunk;
- csv: UTF-8 with header, RFC 4180 quoting, timestamps as ISO 8601
  `YYYY-MM-DDTHH:MM:SSZ`, lists joined with `;`, booleans true/false;
- jsonl: one object per line, timestamps as ISO 8601 strings, lists as arrays.
Output is byte-identical for identical input.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from qinglang.sim.config import DAY

TS = pa.timestamp("s", tz="UTC")
EXT = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}


def ts(secs: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """A timestamp column from epoch seconds (null where `null` is true)."""
    return pa.array(np.asarray(secs, np.int64), type=TS, mask=null)


def strings(values) -> pa.Array:
    return pa.array(values, pa.string())


@functools.lru_cache(maxsize=1)
def _time_of_day() -> pa.Array:
    return pa.array([f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(DAY)], pa.string())


def iso(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """ISO 8601 UTC strings of a timestamp[s] column, fast (lookup of days and times of day)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    secs = arr.cast(pa.int64())
    valid = secs.is_valid()
    s = secs.fill_null(0).to_numpy()
    day = s // DAY
    d0 = int(day.min()) if s.size else 0
    d1 = int(day.max()) if s.size else 0
    days = np.arange(d0, d1 + 1).astype("datetime64[D]")
    day_str = pa.array(np.datetime_as_string(days, unit="D").tolist(), pa.string())
    out = pc.binary_join_element_wise(day_str.take(pa.array(day - d0)), _time_of_day().take(pa.array(s % DAY)), "")
    return pc.if_else(valid, out, pa.scalar(None, pa.string()))


def _for_text(table: pa.Table, join_lists: bool) -> pa.Table:
    cols = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            col = iso(col)
        elif join_lists and pa.types.is_list(col.type):
            col = pc.binary_join(col, ";")
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _for_parquet(table: pa.Table) -> pa.Table:
    cols = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp("ms", tz="UTC"))
        cols.append(col)
    return pa.table(cols, names=table.column_names)


class TableWriter:
    """Writes one table file `<dir>/<name>.<ext>` chunk by chunk."""

    def __init__(self, directory: Path, name: str, fmt: str):
        self.path = Path(directory) / f"{name}{EXT[fmt]}"
        self.fmt = fmt
        self.rows = 0
        self._writer = None
        self._fh = None

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self.fmt == "parquet":
            t = _for_parquet(table)
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.path, t.schema, compression="zstd")
            self._writer.write_table(t, row_group_size=max(1, t.num_rows))
        elif self.fmt == "csv":
            t = _for_text(table, join_lists=True)
            if self._writer is None:
                self._writer = pacsv.CSVWriter(self.path, t.schema)
            self._writer.write_table(t)
        else:
            import polars as pl

            t = _for_text(table, join_lists=False)
            if self._fh is None:
                self._fh = open(self.path, "wb")
            if t.num_rows:
                pl.from_arrow(t).write_ndjson(self._fh)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()
        if self._writer is None and self._fh is None:
            raise RuntimeError(f"nothing was written to {self.path}")


def write_table(directory: Path, name: str, fmt: str, table: pa.Table, chunk_rows: int = 1_000_000) -> int:
    w = TableWriter(directory, name, fmt)
    if table.num_rows == 0:
        w.write(table)
    for start in range(0, table.num_rows, chunk_rows):
        w.write(table.slice(start, chunk_rows))
    w.close()
    return w.rows


def write_truth_csv(path: Path, table: pa.Table) -> int:
    """Ground-truth CSV: header, ISO timestamps, lists joined with ';'."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(_for_text(table, join_lists=True), path)
    return table.num_rows
