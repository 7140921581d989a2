"""Engine-neutral pieces of `map_batches` / `group_apply`: conforming results and cutting sorted
streams into whole groups. Used by every engine (on Spark inside the executors' Python workers)."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def conform(out, schema: pa.Schema) -> pa.Table:
    """A function's result (Table, RecordBatch, dict of columns, or None) as a Table in `schema`."""
    if out is None:
        return schema.empty_table()
    if isinstance(out, dict):
        out = pa.table(out)
    if isinstance(out, pa.RecordBatch):
        out = pa.Table.from_batches([out])
    missing = [n for n in schema.names if n not in out.column_names]
    if missing:
        raise ValueError(f"the function's result lacks columns {missing} of its declared schema")
    return out.select(schema.names).cast(schema)


def _key_equal(col: pa.ChunkedArray | pa.Array, value: pa.Scalar) -> pa.Array:
    if not value.is_valid:
        return pc.is_null(col)
    return pc.fill_null(pc.equal(col, value), False)


def last_group_start(t: pa.Table, by: Sequence[str]) -> int:
    """Row where the last group of a table sorted by `by` starts."""
    n = t.num_rows
    if n == 0:
        return 0
    same = None
    for c in by:
        col = t.column(c)
        eq = _key_equal(col, col[n - 1])
        same = eq if same is None else pc.and_(same, eq)
    # rows are sorted, so the rows equal to the last key form a suffix
    return n - int(pc.sum(pc.cast(same, pa.int64())).as_py() or 0)


def _starts(t: pa.Table, by: Sequence[str]):
    """Row indices (numpy) where a new group starts, in a table sorted by `by` (nulls equal to nulls)."""
    n = t.num_rows
    change = np.zeros(n, bool)
    if n:
        change[0] = True
    for c in by:
        col = t.column(c)
        codes = pc.dictionary_encode(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col).indices
        v = np.asarray(pc.fill_null(codes, -1).to_numpy(zero_copy_only=False))
        change[1:] |= v[1:] != v[:-1]
    return np.flatnonzero(change)


def whole_groups(batches: Iterable[pa.RecordBatch], by: Sequence[str], chunk_rows: int) -> Iterator[pa.Table]:
    """Cut a stream sorted by `by` into tables of whole groups, each of about `chunk_rows` rows (at least that many,
    but the last; a group larger than `chunk_rows` arrives whole, in one table)."""
    pending: list[pa.RecordBatch] = []
    n = 0
    for b in batches:
        if b.num_rows == 0:
            continue
        pending.append(b)
        n += b.num_rows
        if n < chunk_rows:
            continue
        t = pa.Table.from_batches(pending)
        starts = _starts(t, by)
        if starts.size < 2:  # one group so far: keep reading until it ends
            continue
        # cut at group starts, each piece reaching chunk_rows; the last group may continue in the next batch
        at = 0
        for cut in starts[1:].tolist():
            if cut - at >= chunk_rows:
                yield t.slice(at, cut - at)
                at = cut
        last = int(starts[-1])
        if at < last:
            yield t.slice(at, last - at)
            at = last
        rest = t.slice(at)
        pending = rest.to_batches()
        n = rest.num_rows
    if n:
        yield pa.Table.from_batches(pending)


def run_groups(fn: Callable, schema: pa.Schema, by: Sequence[str], chunk_rows: int,
               batches: Iterable[pa.RecordBatch]) -> Iterator[pa.Table]:
    for t in whole_groups(batches, by, chunk_rows):
        yield conform(fn(t), schema)


def run_batches(fn: Callable, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.Table]:
    for b in batches:
        if b.num_rows:
            yield conform(fn(b), schema)


def concat(parts: list[pa.Table], schema: pa.Schema) -> pa.Table:
    parts = [p for p in parts if p.num_rows]
    return pa.concat_tables(parts) if parts else schema.empty_table()


def shipped(token: tuple[str, str | None]) -> str:
    """Where a file shipped with `engine.ship` is on this worker: the driver's path when this machine sees it
    (DuckDB, Spark local mode), else Spark's copy."""
    import os

    path, name = token
    if os.path.exists(path) or name is None:
        return path
    from pyspark import SparkFiles

    return SparkFiles.get(name)
