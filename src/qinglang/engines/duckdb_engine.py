"""DuckDB engine: the embedded default. Lake tables are views over their Parquet files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator, Sequence

import duckdb
import pyarrow as pa

from qinglang.config import Settings
from qinglang.engines.apply import concat, run_batches, run_groups
from qinglang.lake import schema as S
from qinglang.lake.derived import TIERS
from qinglang.lake.layout import Lake
from qinglang.lake.validate import lit


def spill_dir() -> Path:
    """Where DuckDB writes what does not fit in memory_limit (its files are named by process)."""
    return Path(os.environ.get("QINGLANG_SPILL_DIR") or Path(tempfile.gettempdir()) / "qinglang-duckdb")


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, lake: Lake, settings: Settings, threads: int | None = None):
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET memory_limit = {lit(settings.duckdb_memory_limit)}")
        # spills go to the system's temp folder, not a `.tmp` folder in whatever directory the user is in
        self.con.execute(f"SET temp_directory = {lit(str(spill_dir()))}")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._tables: set[str] = set()
        self._registered: set[str] = set()
        self._materialized: set[str] = set()
        for name in list(S.TABLES) + [TIERS]:
            glob = lake.table_glob(name)
            view = name.split("/")[-1]
            if glob:
                self.con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet({lit(glob)})")
                self._tables.add(view)

    def tables(self) -> set[str]:
        return set(self._tables)

    def sql(self, query: str) -> pa.Table:
        return self.con.sql(query).to_arrow_table()

    def batches(self, query: str, batch_rows: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        reader = self.con.sql(query).to_arrow_reader(batch_rows)
        yield from reader

    def register(self, name: str, table: pa.Table) -> None:
        self.drop(name)
        self.con.register(name, table)
        self._tables.add(name)
        self._registered.add(name)

    # --- the primitives for work that is not SQL (engines/base.py); here it runs in this process ---
    def map_batches(self, query: str, fn, schema: pa.Schema, into: str | None = None, batch_rows: int = 100_000,
                    workers: int = 1, progress=None) -> pa.Table | None:
        batches = self.batches(query, batch_rows)
        parts = (forked_map(fn, schema, batches, workers, progress) if workers > 1
                 else _counted(run_batches(fn, schema, batches), progress))
        return self._result(parts, schema, into)

    def ship(self, path: str) -> tuple[str, str | None]:
        return str(path), None  # the workers are this process or its forks

    def group_apply(self, query: str, by: Sequence[str], fn, schema: pa.Schema, order_by: Sequence[str] = (),
                    into: str | None = None, chunk_rows: int = 200_000) -> pa.Table | None:
        order = ", ".join(f'"{c}" ASC NULLS LAST' for c in [*by, *order_by])
        stream = self.batches(f"SELECT * FROM ({query}) ORDER BY {order}", 100_000)
        return self._result(run_groups(fn, schema, list(by), chunk_rows, stream), schema, into)

    def _result(self, parts, schema: pa.Schema, into: str | None) -> pa.Table | None:
        if into is None:
            return concat(list(parts), schema)
        # kept as a DuckDB table: parts go to a temporary Parquet file while the query streams (no second statement
        # may run on the connection meanwhile), then load; memory stays bounded by one part
        import os
        import tempfile

        import pyarrow.parquet as pq

        fd, path = tempfile.mkstemp(prefix="qinglang-", suffix=".parquet")
        os.close(fd)
        try:
            with pq.ParquetWriter(path, schema) as w:
                w.write_table(schema.empty_table())
                for part in parts:
                    w.write_table(part)
            self.materialize(into, f"SELECT * FROM read_parquet({lit(path)})")
        finally:
            os.unlink(path)
        return None

    def materialize(self, name: str, query: str) -> None:
        if name in self._registered:
            self.drop(name)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")
        self._tables.add(name)
        self._materialized.add(name)

    def number_rows(self, name: str, query: str, order_by: Sequence[str], column: str = "i") -> None:
        order = ", ".join(f'"{c}" ASC NULLS LAST' for c in order_by)
        self.materialize(name, f'SELECT *, (row_number() OVER (ORDER BY {order}) - 1) AS "{column}" FROM ({query})')

    def drop(self, name: str) -> None:
        if name in self._registered:
            self.con.unregister(name)
            self._registered.discard(name)
        elif name in self._materialized:
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
            self._materialized.discard(name)
        else:
            return  # a lake view stays
        self._tables.discard(name)

    @property
    def parallelism(self) -> int:
        return int(self.con.execute("SELECT current_setting('threads')").fetchall()[0][0])

    def close(self) -> None:
        self.con.close()


def _counted(parts, progress):
    done = 0
    for t in parts:
        done += t.num_rows if progress else 0
        yield t
        if progress:
            progress(done)


_FORK_FN = None


def _forked_call(schema: pa.Schema, batch: pa.RecordBatch) -> tuple[int, pa.Table]:
    from qinglang.engines.apply import conform

    return batch.num_rows, conform(_FORK_FN(batch), schema)


def forked_map(fn, schema: pa.Schema, batches, workers: int, progress=None):
    """fn over batches in `workers` forked processes (they inherit fn and what it loaded), in input order."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    global _FORK_FN
    _FORK_FN = fn
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
            pending = []
            for b in batches:
                if b.num_rows == 0:
                    continue
                pending.append(pool.submit(_forked_call, schema, b))
                while len(pending) > workers * 2:
                    n, t = pending.pop(0).result()
                    done += n
                    if progress:
                        progress(done)
                    yield t
            for f in pending:
                n, t = f.result()
                done += n
                if progress:
                    progress(done)
                yield t
    finally:
        _FORK_FN = None
